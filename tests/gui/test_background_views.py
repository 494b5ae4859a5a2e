"""The scatter view and compare mode build off the GUI thread too: a large transposed convolution
switched to its scatter view gets its `ScatterGrids` from a worker (the GUI thread never calls
`scatter_grids`), compare mode computes B's output and the coverage difference on workers, and a
build or difference that a spec change overtook is dropped. What is shown is checked against a
brute-force scatter and brute-force coverage counts. Hang guards only, no timings."""

import threading

import numpy as np
import pytest

pytest.importorskip("PyQt6")
pytest.importorskip("pyqtgraph")

from PyQt6 import QtWidgets  # noqa: E402

from convviz.core import ConvSpec, ConvSpecError, plan  # noqa: E402
from convviz.core.reference import reference_at  # noqa: E402
from convviz.gui.grid import colour_cells  # noqa: E402
from convviz.gui.session_view import BACKGROUND_CELLS  # noqa: E402
from convviz.session import compare as compare_module  # noqa: E402
from convviz.session import session as session_module  # noqa: E402
from convviz.session.scatter_frame import ScatterGrids  # noqa: E402

HANG_GUARD_MS = 60000
RELEASE_S = 30


def settled(qtbot, window) -> None:
    qtbot.waitUntil(lambda: not window.busy, timeout=HANG_GUARD_MS)
    QtWidgets.QApplication.processEvents()


class Calls:
    """Wraps a function: records whether each call ran on the GUI thread; with `hold`, the first
    call waits until `release()` (so a later spec change overtakes it)."""

    def __init__(self, function, hold: bool = False):
        self.function, self.on_gui_thread = function, []
        self._release = threading.Event()
        if not hold:
            self._release.set()
        self.first_started = threading.Event()

    def __call__(self, *args, **kwargs):
        self.on_gui_thread.append(threading.current_thread() is threading.main_thread())
        if len(self.on_gui_thread) == 1:
            self.first_started.set()
            assert self._release.wait(RELEASE_S), "never released"
        return self.function(*args, **kwargs)

    def release(self) -> None:
        self._release.set()


def random_transposed(rng) -> ConvSpec:
    """A transposed convolution whose output has at least BACKGROUND_CELLS cells."""
    while True:
        kernel = (int(rng.integers(2, 6)), int(rng.integers(2, 6)))
        stride, dilation = int(rng.integers(2, 4)), int(rng.integers(1, 3))
        try:
            spec = ConvSpec((1, 2, int(rng.integers(150, 200)), int(rng.integers(150, 200))), 2, kernel,
                            stride=stride, dilation=dilation, padding=int(rng.integers(0, 2)),
                            output_padding=int(rng.integers(0, max(stride, dilation))), operation="conv_transpose")
        except ConvSpecError:
            continue
        if spec.operation == "conv_transpose" and np.prod(plan(spec).output_size) >= BACKGROUND_CELLS:
            return spec


def brute_scatter(spec: ConvSpec, inputs: np.ndarray, kernels: np.ndarray, bias) -> np.ndarray:
    """y[a·s + r·d − p] += Σ_c x[c, a]·w[c, r] on both axes, cropped to the output (PyTorch's
    conv_transpose2d), written without the scatter plan."""
    (ho, wo), (kh, kw) = plan(spec).output_size, spec.kernel_size
    (sh, sw), (dh, dw) = spec.stride, spec.dilation
    top, left = (axis.padding for axis in plan(spec).axes)
    height, width = inputs.shape[1:]
    output = np.zeros((ho, wo))
    for r in range(kh):
        rows = np.arange(height) * sh + r * dh - top
        for s in range(kw):
            cols = np.arange(width) * sw + s * dw - left
            added = np.einsum("chw,c->hw", inputs, kernels[:, r, s])
            keep_rows, keep_cols = (rows >= 0) & (rows < ho), (cols >= 0) & (cols < wo)
            output[np.ix_(rows[keep_rows], cols[keep_cols])] += added[np.ix_(keep_rows, keep_cols)]
    return output + (0.0 if bias is None else bias)


def check_scatter_drawn(window) -> None:
    """The scatter panels show the session's scatter: its grids are what a synchronous build
    gives, the output is the brute-force scatter, and the panels' colours are theirs."""
    session, view = window.session, window.view
    assert view.scattering and session.grids_built
    assert view.updatesEnabled() and not view.settling  # painted once the new panels were laid out
    grids = view._frame.grids
    assert isinstance(grids, ScatterGrids)
    feeding = slice(session.feeding.start, session.feeding.stop)
    expected = session_module.scatter_grids(session.plan, session.inputs[feeding], session.kernels[feeding],
                                            tuple(session.feeding), session.in_channel, session.out_channel,
                                            session.bias)
    np.testing.assert_array_equal(grids.contributions, expected.contributions)
    np.testing.assert_array_equal(grids.overlap, expected.overlap)
    assert (grids.input_title, grids.output_title, grids.overlap_summary) == \
        (expected.input_title, expected.output_title, expected.overlap_summary)
    brute = brute_scatter(session.spec, session.inputs[feeding], session.kernels[feeding], session.bias)
    np.testing.assert_allclose(grids.final, brute, rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(expected.final, brute, rtol=1e-9, atol=1e-6)
    theme = view.overlap.theme
    most = max(int(grids.overlap.max()), 1)
    np.testing.assert_array_equal(view.overlap.grid.image.image,
                                  colour_cells(grids.overlap, theme.coverage_map, low=0, high=most, lightness=1.0)[0])
    np.testing.assert_array_equal(view.scatter_input._rgba,
                                  colour_cells(grids.input, theme.input_map, lightness=0.6)[0])
    frame = session.frame()
    low, high = float(brute.min()), float(brute.max())
    colours = colour_cells(frame.partial, theme.output_map, low=low, high=high, lightness=0.6)[0]
    colours[frame.written == 0] = (255, 255, 255, 255)
    np.testing.assert_array_equal(view.scatter_output.grid.image.image, colours)


@pytest.mark.parametrize("seed", [3, 8])
def test_the_scatter_view_of_a_large_transposed_convolution_is_built_on_a_worker(qtbot, window, monkeypatch,
                                                                                  seed):
    rng = np.random.default_rng(seed)
    session, view = window.session, window.view
    assert session.set_spec(random_transposed(rng)), session.error
    session.reseed(seed)
    session.set_weights(rng.normal(size=session.spec.kernel_size).round(2))
    session.set_bias(round(float(rng.normal()), 2))
    settled(qtbot, window)
    calls = Calls(session_module.scatter_grids)
    monkeypatch.setattr(session_module, "scatter_grids", calls)
    session.set_step(int(rng.integers(session.steps)))
    session.set_transposed_view("scatter")
    assert view.building and not session.grids_built and "building" in view.building_note.text()
    assert not view.scattering  # the direct view's panels until the scatter's grids arrive
    settled(qtbot, window)
    monkeypatch.undo()
    assert calls.on_gui_thread and not any(calls.on_gui_thread)
    assert not view.building_note.isVisible()
    check_scatter_drawn(window)
    window.controls.transposed_view.setCurrentIndex(window.controls.transposed_view.findData("direct"))
    settled(qtbot, window)
    assert not view.scattering and view.animation.grid.shape == session.plan.padded_shape


def test_a_scatter_build_overtaken_by_a_spec_change_is_dropped(qtbot, window, monkeypatch):
    rng = np.random.default_rng(21)
    session, view = window.session, window.view
    first = random_transposed(rng)
    assert session.set_spec(first), session.error
    settled(qtbot, window)
    calls = Calls(session_module.scatter_grids, hold=True)
    monkeypatch.setattr(session_module, "scatter_grids", calls)
    adopted = []
    adopt = session.adopt_grids
    monkeypatch.setattr(session, "adopt_grids", lambda token, grids: adopted.append(adopt(token, grids)) or adopted[-1])
    session.set_transposed_view("scatter")
    qtbot.waitUntil(calls.first_started.is_set, timeout=HANG_GUARD_MS)
    kernel = [k + 1 for k in first.kernel_size]
    assert session.update_spec(kernel_size=kernel), session.error
    calls.release()
    settled(qtbot, window)
    monkeypatch.undo()
    assert adopted[0] is False and adopted[-1] is True
    assert not any(calls.on_gui_thread)
    assert view._frame.grids.scatter.kernel_size == tuple(kernel) == session.spec.kernel_size
    check_scatter_drawn(window)


# compare mode -------------------------------------------------------------------------------------
def brute_coverage(spec: ConvSpec) -> np.ndarray:
    """Reads of each input cell by a zero-padded convolution, counted window by window, tap by tap."""
    counts = []
    for size, kernel, stride, dilation, axis in zip(spec.input_size, spec.kernel_size, spec.stride, spec.dilation,
                                                     plan(spec).axes):
        reads = np.zeros(size, int)
        for start in range(axis.output_size):
            for tap in range(kernel):
                index = start * stride + tap * dilation - axis.before
                if 0 <= index < size:
                    reads[index] += 1
        counts.append(reads)
    return np.outer(*counts)


def check_compared(window) -> None:
    first, second = window.comparison.sessions
    a, b = brute_coverage(first.spec), brute_coverage(second.spec)
    rows, cols = min(a.shape[0], b.shape[0]), min(a.shape[1], b.shape[1])
    difference = window.comparison.difference()
    np.testing.assert_array_equal(difference.values[:rows, :cols], b[:rows, :cols] - a[:rows, :cols])
    assert np.isnan(difference.values[rows:]).all() and np.isnan(difference.values[:, cols:]).all()
    panel = window.compare_panel
    assert window.central.updatesEnabled() and panel.isVisible()
    assert not panel.computing and panel.summary.text() == difference.summary
    assert panel.grid.shape == difference.values.shape
    view = window.views[1]
    assert not view.building and view.animation.grid.shape == second.plan.padded_shape
    ho, wo = second.plan.output_size
    rng = np.random.default_rng(ho * 31 + wo)
    positions = [(int(rng.integers(ho)), int(rng.integers(wo))) for _ in range(6)] + [(ho - 1, wo - 1)]
    expected = reference_at(second.inputs[None], second.kernels[None], second.plan.summed_channels, positions)[0, 0]
    rows_at, cols_at = zip(*positions)
    np.testing.assert_allclose(view.output._picture.values[list(rows_at), list(cols_at)], expected, rtol=1e-9,
                               atol=1e-6)


def test_compare_mode_on_a_large_spec_computes_on_workers(qtbot, window, monkeypatch):
    session = window.session
    assert session.set_spec(ConvSpec((1, 1, 300, 310), 1, 5, padding="same")), session.error
    settled(qtbot, window)
    differences = Calls(compare_module.coverage_difference)
    outputs = Calls(session_module._shown_output)
    monkeypatch.setattr(compare_module, "coverage_difference", differences)
    monkeypatch.setattr(session_module, "_shown_output", outputs)
    second = ConvSpec((1, 1, 290, 320), 1, 15, stride=2, dilation=2, padding=3)
    view = window.compare_with(second)
    assert window.busy and view.building and view.session.output_pending
    settled(qtbot, window)
    monkeypatch.undo()
    assert differences.on_gui_thread and not any(differences.on_gui_thread)
    assert outputs.on_gui_thread and not any(outputs.on_gui_thread)
    check_compared(window)
    window.close_compare()
    assert window.comparison is None and not window.busy


def test_a_coverage_difference_overtaken_by_a_spec_change_is_dropped(qtbot, window, monkeypatch):
    session = window.session
    assert session.set_spec(ConvSpec((1, 1, 280, 280), 1, 3, padding="same")), session.error
    settled(qtbot, window)
    differences = Calls(compare_module.coverage_difference, hold=True)
    monkeypatch.setattr(compare_module, "coverage_difference", differences)
    window.compare_with(ConvSpec((1, 1, 280, 280), 1, 7, padding=1))
    qtbot.waitUntil(differences.first_started.is_set, timeout=HANG_GUARD_MS)
    assert window.compare_panel.computing and "computing" in window.compare_panel.summary.text()
    assert window.comparison.b.update_spec(kernel_size=[4, 6], stride=[2, 1]), window.comparison.b.error
    differences.release()
    settled(qtbot, window)
    monkeypatch.undo()
    assert len(differences.on_gui_thread) >= 2 and not any(differences.on_gui_thread)
    assert window.comparison.b.spec.kernel_size == (4, 6)
    check_compared(window)


def test_compare_mode_closed_while_it_is_put_together_leaves_nothing_behind(qtbot, window):
    session = window.session
    assert session.set_spec(ConvSpec((1, 1, 260, 300), 1, 3, padding="same")), session.error
    settled(qtbot, window)
    window.compare_with(ConvSpec((1, 1, 300, 260), 1, 5, padding="same"))
    assert window.busy and window.compare_panel is None  # the rest comes on the next turns of the loop
    window.close_compare()
    settled(qtbot, window)
    qtbot.wait(20)
    assert window.comparison is None and window.compare_panel is None and window.compare_controls is None
    assert window.views == [window.view] and window.controls_tabs.count() == 1
    assert window.central.updatesEnabled()
    window.compare_with(ConvSpec((1, 1, 300, 260), 1, 5, padding="same"))
    settled(qtbot, window)
    check_compared(window)
