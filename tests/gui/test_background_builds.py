"""Heavy work of a spec change off the GUI thread: a large spec's grids and colours are built on a
worker while the event loop goes on (a “building…” note meanwhile), a large image is decoded on a
worker, stale builds are dropped so rapid switches end showing the last spec exactly, and random
switches between large and small shapes raise nothing. Hang guards only, no timings."""

import numpy as np
import pytest
from helpers.strategies import LOAD_TOLERANT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("PyQt6")
pytest.importorskip("pyqtgraph")

from PyQt6 import QtCore, QtWidgets  # noqa: E402

from convviz.core import ConvSpec, ConvSpecError, plan  # noqa: E402
from convviz.core.reference import reference_at  # noqa: E402
from convviz.gui.session_view import BACKGROUND_CELLS  # noqa: E402
from convviz.gui.textures import coverage_colours, input_colours, output_colours  # noqa: E402

HANG_GUARD_MS = 60000


class Heartbeat:
    """A zero-interval timer: it fires whenever the GUI thread's event loop gets to run; counts
    the ticks that came while `pending()` held."""

    def __init__(self, pending):
        self.pending, self.ticks_while_pending = pending, 0
        self.timer = QtCore.QTimer()
        self.timer.timeout.connect(self._tick)
        self.timer.start(0)

    def _tick(self):
        if self.pending():
            self.ticks_while_pending += 1


def settled(qtbot, window) -> None:
    qtbot.waitUntil(lambda: not window.busy, timeout=HANG_GUARD_MS)
    QtWidgets.QApplication.processEvents()


def check_drawn(window) -> None:
    """What the panels show is the session's spec and data, its output as the float64 reference."""
    session, view = window.session, window.view
    frame = session.frame()
    conv_plan = session.plan
    assert view.animation.grid.shape == conv_plan.padded_shape
    assert view.output.grid.shape == conv_plan.output_size
    assert view.coverage.grid.shape == session.spec.input_size
    np.testing.assert_array_equal(view.animation.grid.image.image, input_colours(frame.input, view.animation.theme)[0])
    np.testing.assert_array_equal(view.coverage.grid.image.image, coverage_colours(frame.coverage, view.coverage.theme)[0])
    np.testing.assert_array_equal(view.output._rgba, output_colours(frame.output, view.output.theme)[0])
    np.testing.assert_array_equal(view._frame.input.values, conv_plan.padded_values(session.inputs)[session.in_channel])
    ho, wo = conv_plan.output_size
    rng = np.random.default_rng(ho * 7919 + wo)
    positions = [(int(rng.integers(ho)), int(rng.integers(wo))) for _ in range(6)] + [(0, 0), (ho - 1, wo - 1)]
    expected = reference_at(session.inputs[None], session.kernels[None], conv_plan.summed_channels, positions)[0, 0]
    rows, cols = zip(*positions)
    np.testing.assert_allclose(view.output._picture.values[list(rows), list(cols)], expected, rtol=1e-9, atol=1e-6)


def test_a_large_spec_change_returns_to_the_event_loop_while_its_grids_are_built(qtbot, window):
    view = window.view
    large = ConvSpec((1, 1, 700, 700), 1, 5, padding="same", padding_mode="reflect")
    assert plan(large).padded_shape[0] * plan(large).padded_shape[1] >= BACKGROUND_CELLS
    heartbeat = Heartbeat(lambda: view.building)
    assert window.session.set_spec(large)
    assert view.building and not window.session.grids_built  # nothing was built on this thread
    assert view.building_note.isVisible() and "building" in view.building_note.text()
    assert view.animation.grid.shape == (7, 7)  # the last spec's grids until the new ones arrive
    settled(qtbot, window)
    heartbeat.timer.stop()
    assert heartbeat.ticks_while_pending > 0
    assert not view.building_note.isVisible()
    check_drawn(window)


def test_the_output_convolution_starts_after_the_new_grids_are_drawn_and_painted(qtbot, window, monkeypatch):
    """Its BLAS threads would otherwise take the cores the GUI thread draws on."""
    rng = np.random.default_rng(23)
    view, jobs = window.view, window._outputs
    jobs.MOST_HELD_MS = 10 * HANG_GUARD_MS  # a slow build on a loaded machine must not make it overdue
    seen = []
    start = jobs._start

    def recorded(*args):
        seen.append((view.building, window._paint_awaited, view.animation.grid.shape))
        start(*args)

    monkeypatch.setattr(jobs, "_start", recorded)
    for _ in range(2):
        side = int(rng.integers(600, 700))
        large = ConvSpec((1, 1, side, side + int(rng.integers(0, 40))), 1, int(rng.integers(5, 9)), padding="same")
        assert window.session.set_spec(large)
        assert view.building and window.session.output_pending
        settled(qtbot, window)
        assert seen and seen[-1] == (False, False, plan(large).padded_shape)  # drawn, then painted
        assert not window.session.output_pending
        check_drawn(window)


def test_a_hidden_window_starts_the_output_without_waiting_for_a_paint(qtbot, window):
    """A window off screen paints nothing: its outputs start once the grids are drawn."""
    window._outputs.MOST_HELD_MS = 10 * HANG_GUARD_MS  # only the drawing can start it
    window.hide()
    large = ConvSpec((1, 1, 640, 620), 1, 7, padding="same")
    assert window.session.set_spec(large) and window.session.output_pending
    settled(qtbot, window)
    assert not window.session.output_pending and not window._paint_awaited
    check_drawn(window)


def test_small_spec_changes_are_drawn_at_once(window):
    window.session.set_spec(ConvSpec((1, 1, 20, 30), 1, 3, stride=2))
    assert not window.view.building
    assert window.view.animation.grid.shape == (20, 30) and window.view.output.grid.shape == (9, 14)


def test_rapid_switches_end_showing_the_last_spec_exactly(qtbot, window):
    rng = np.random.default_rng(11)
    specs = []
    while len(specs) < 6:
        side = int(rng.integers(256, 520))
        try:
            specs.append(ConvSpec((1, int(rng.integers(1, 3)), side, int(rng.integers(256, 520))), 2,
                                  int(rng.integers(1, 8)), stride=int(rng.integers(1, 3)),
                                  dilation=int(rng.integers(1, 3)), padding=["same", "valid", 3][len(specs) % 3],
                                  padding_mode=["zeros", "reflect", "circular"][len(specs) % 3]))
        except ConvSpecError:
            continue
    for index, spec in enumerate(specs):
        assert window.session.set_spec(spec)
        for _ in range(index % 3):  # some builds start, some are superseded before they do
            QtWidgets.QApplication.processEvents()
    window.session.reseed(5)
    settled(qtbot, window)
    assert window.session.spec == specs[-1]
    check_drawn(window)


def test_a_large_image_is_decoded_off_the_gui_thread(qtbot, window, tmp_path):
    from PIL import Image

    rng = np.random.default_rng(2)
    blocks = rng.integers(0, 256, size=(512, 384)).astype(np.uint8)
    pixels = np.kron(blocks, np.ones((4, 4), np.uint8))  # 2048×1536: decoded at 1024×768, each 2×2 block
    path = tmp_path / "large.png"
    Image.fromarray(pixels).save(path)
    heartbeat = Heartbeat(lambda: window.reading_image)
    assert window.open_image(str(path))
    assert window.reading_image and window.session.pattern != "image file"
    assert "reading image" in window.status.currentMessage()
    settled(qtbot, window)
    heartbeat.timer.stop()
    assert heartbeat.ticks_while_pending > 0
    assert window.session.pattern == "image file"
    np.testing.assert_array_equal(window.session.source_image, np.kron(blocks, np.ones((2, 2))))
    assert window.status.currentMessage() == f"opened image {path}"


def test_an_image_superseded_while_it_is_decoded_is_dropped(qtbot, window, tmp_path):
    from PIL import Image

    large = tmp_path / "large.png"
    Image.fromarray(np.full((1400, 1400), 200, np.uint8)).save(large)
    small = tmp_path / "small.png"
    Image.fromarray(np.arange(12, dtype=np.uint8).reshape(3, 4) * 20).save(small)
    assert window.open_image(str(large)) and window.reading_image
    assert window.open_image(str(small))  # decoded at once
    settled(qtbot, window)
    np.testing.assert_array_equal(window.session.source_image, np.arange(12).reshape(3, 4) * 20)


SIDES = st.sampled_from([1, 2, 5, 40, 256, 300, 400])


@settings(max_examples=6, deadline=None, suppress_health_check=[*LOAD_TOLERANT, HealthCheck.function_scoped_fixture])
@given(shapes=st.lists(st.tuples(SIDES, SIDES, st.integers(1, 9), st.integers(0, 3)), min_size=2, max_size=5))
def test_random_switches_between_large_and_small_shapes_raise_nothing(qtbot, window, shapes):
    last = None
    for height, width, kernel, events in shapes:
        if window.session.set_spec(ConvSpec((1, 1, height, width), 1, kernel, padding="same")):
            last = window.session.spec
        for _ in range(events):
            QtWidgets.QApplication.processEvents()
    settled(qtbot, window)
    if last is not None:
        assert window.view.animation.grid.shape == plan(last).padded_shape
        assert window.view.output.grid.shape == plan(last).output_size


def test_textures_are_the_colour_table_with_padding_and_unread_marked_and_kept_per_grid():
    import gc

    from convviz.gui import textures
    from convviz.gui.grid import colour_cells
    from convviz.gui.theme import NORMAL
    from convviz.session import Session

    session = Session(ConvSpec((1, 1, 9, 8), 1, 2, stride=3, padding=[1, 2, 0, 1]))
    frame = session.frame()
    rgba, dark = input_colours(frame.input, NORMAL)
    expected, expected_dark = colour_cells(frame.input.values, NORMAL.input_map, lightness=0.6)
    padding = frame.input.padding
    assert padding.any() and (~padding).any()
    np.testing.assert_array_equal(rgba[~padding], expected[~padding])
    assert (rgba[padding] == textures.ZERO_PAD).all()
    np.testing.assert_array_equal(dark, expected_dark)
    coverage, _ = coverage_colours(frame.coverage, NORMAL)
    unread = frame.coverage.unread
    assert unread.any() and (coverage[unread] == NORMAL.unread_colour).all()
    assert input_colours(frame.input, NORMAL)[0] is rgba  # made once per grid
    session.update_spec(stride=[1, 1])
    del frame, rgba
    gc.collect()
    output_colours(session.frame().output, NORMAL)  # a new entry drops the colours of grids gone
    assert all(ref() is not None for ref, _ in textures._kept.values())
