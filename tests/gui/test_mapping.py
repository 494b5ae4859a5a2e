"""Hover and pin in every direction, drawn: what each grid highlights is what the plan's inverse
queries (reads_of_output, reads_of_input, reads_of_weight, copies_of) say, on seeded random specs."""

import numpy as np
import pytest

pytest.importorskip("PyQt6")
pytest.importorskip("pyqtgraph")

from PyQt6 import QtCore  # noqa: E402

from convviz.core import ConvSpec, ConvSpecError  # noqa: E402
from convviz.gui.session_view import SessionView  # noqa: E402
from convviz.session import SelectionTarget, Session  # noqa: E402
from convviz.session.patterns import format_value  # noqa: E402

MODES = ("zeros", "reflect", "replicate", "circular")


def random_specs(count: int, seed: int):
    rng = np.random.default_rng(seed)
    found = []
    while len(found) < count:
        values = dict(
            input_shape=(1, 1, *rng.integers(1, 10, size=2).tolist()),
            kernel_size=rng.integers(1, 5, size=2).tolist(),
            stride=rng.integers(1, 4, size=2).tolist(),
            dilation=rng.integers(1, 3, size=2).tolist(),
            padding=rng.integers(0, 3, size=4).tolist(),
            padding_mode=MODES[len(found) % len(MODES)],
        )
        try:
            found.append(ConvSpec(**values))
        except ConvSpecError:
            continue
    return found


def cells(highlight) -> set:
    return {tuple(cell) for cell in highlight.cells.tolist()}


def as_set(array) -> set:
    return {tuple(cell) for cell in np.asarray(array).tolist()}


@pytest.fixture
def view(qtbot):
    session = Session(ConvSpec((1, 1, 7, 7), 1, 3))
    view = SessionView(session)
    qtbot.addWidget(view)
    view.resize(1400, 900)
    view.show()
    return view


def hover(qtbot, view, grid, row, col):
    """Point at a cell as the pointer does: the grid says so, the view applies it once idle."""
    grid.cell_hovered.emit(row, col)
    qtbot.waitUntil(lambda: not view._hover_timer.isActive(), timeout=2000)


@pytest.mark.parametrize("spec", random_specs(12, seed=11), ids=lambda spec: spec.describe())
def test_every_direction_highlights_what_the_inverse_queries_say(qtbot, view, spec):
    session = view.session
    assert session.set_spec(spec), session.error
    conv_plan = session.plan
    rng = np.random.default_rng(abs(hash(spec.describe())) % 2**32)
    top, left = conv_plan.pads[0], conv_plan.pads[2]

    # an output cell: its window's taps on the padded input, every weight, itself
    ho, wo = conv_plan.output_size
    i, j = int(rng.integers(ho)), int(rng.integers(wo))
    hover(qtbot, view, view.output.grid, i, j)
    reads = conv_plan.reads_of_output(i, j)
    assert session.hover_target == SelectionTarget("output", i, j)
    assert cells(view.animation.picked) == as_set(reads.cells("padded"))
    assert cells(view.kernel.picked) == as_set(reads.cells("weight"))
    assert cells(view.output.picked) == {(i, j)}
    assert cells(view.coverage.picked) == as_set(reads.cells("input"))
    if len(reads) <= 400:  # each tap says the weight it is multiplied by, in the weight's order
        weights = {tuple(padded): tuple(tap) for padded, tap in zip(reads.padded.tolist(), reads.weight.tolist())}
        said = [item.text() for item in view.animation.picked.labels.childItems()]
        order = sorted(weights)
        assert said == [f"·{format_value(session.weights[weights[cell]])}" for cell in order]

    # an input cell, pointed at on the padded grid: every output that reads it, how often
    height, width = spec.input_size
    row, col = int(rng.integers(height)), int(rng.integers(width))
    hover(qtbot, view, view.animation.grid, row + top, col + left)
    reads = conv_plan.reads_of_input(row, col)
    assert session.hover_target == SelectionTarget("input", row, col)
    assert cells(view.output.picked) == as_set(reads.cells("output"))
    assert view.output.picked.counts == reads.counts("output")
    assert cells(view.animation.copies) == as_set(conv_plan.copies_of(row, col))
    assert cells(view.animation.picked) == as_set(reads.cells("padded"))
    assert view.animation.picked.counts == reads.counts("padded")
    assert cells(view.kernel.picked) == as_set(reads.cells("weight"))
    assert view.kernel.picked.counts == reads.counts("weight")
    assert cells(view.coverage.picked) == {(row, col)}
    assert view.animation.selection_text.text().startswith(f"input ({row}, {col}) is read")

    # a kernel weight: every input (padded) cell it multiplies, every output
    kh, kw = spec.kernel_size
    r, s = int(rng.integers(kh)), int(rng.integers(kw))
    hover(qtbot, view, view.kernel.grid, r, s)
    reads = conv_plan.reads_of_weight(r, s)
    assert cells(view.animation.picked) == as_set(reads.cells("padded"))
    assert cells(view.output.picked) == as_set(reads.cells("output"))
    assert cells(view.coverage.picked) == as_set(reads.cells("input"))
    assert view.coverage.picked.counts == reads.counts("input")
    assert cells(view.kernel.picked) == {(r, s)}

    hover(qtbot, view, view.kernel.grid, -1, -1)  # the pointer leaves: nothing highlighted
    assert session.frame().selection is None
    assert not cells(view.animation.picked) and not cells(view.output.picked)


def test_zero_padding_is_no_input_cell(qtbot, view):
    view.session.update_spec(padding=1)
    hover(qtbot, view, view.animation.grid, 0, 3)  # the top zero row
    assert view.session.hover_target is None
    hover(qtbot, view, view.animation.grid, 1, 1)  # input (0, 0)
    assert view.session.hover_target == SelectionTarget("input", 0, 0)


def test_reflect_padding_copies_light_up_with_their_reads(qtbot, view):
    session = view.session
    session.update_spec(padding=2, padding_mode="reflect", stride=[2, 2])
    hover(qtbot, view, view.coverage.grid, 1, 0)
    copies = as_set(session.plan.copies_of(1, 0))
    assert cells(view.animation.copies) == copies and len(copies) == 2
    padded_reads = session.plan.reads_of_input(1, 0).counts("padded")
    assert set(padded_reads) <= copies
    assert view.animation.picked.counts == padded_reads


def test_click_pins_hover_shows_over_it_and_esc_clears(qtbot, qsettings):
    from convviz.gui.app import make_window

    window = make_window(ConvSpec((1, 1, 7, 7), 1, 3), settings=qsettings, restore=False)
    qtbot.addWidget(window)
    window.resize(1500, 980)
    with qtbot.waitExposed(window):
        window.show()
    view, session = window.view, window.session
    grid = view.kernel.grid
    point = grid.mapFromScene(grid.view.mapViewToScene(QtCore.QPointF(2.5, 0.5)))  # weight (0, 2)
    qtbot.mouseClick(grid.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=point)
    assert session.selection_target == SelectionTarget("weight", 0, 2)
    assert cells(view.animation.picked) == as_set(session.plan.reads_of_weight(0, 2).cells("padded"))
    hover(qtbot, view, view.output.grid, 1, 1)  # a hover shows over the pin ...
    assert cells(view.output.picked) == {(1, 1)}
    hover(qtbot, view, view.output.grid, -1, -1)  # ... and the pin comes back when it ends
    assert len(view.output.picked.cells) == 25 and session.selection_target.kind == "weight"
    output_grid = view.output.grid
    point = output_grid.mapFromScene(output_grid.view.mapViewToScene(QtCore.QPointF(3.5, 2.5)))
    qtbot.mouseClick(output_grid.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=point)
    assert session.selection_target == SelectionTarget("output", 2, 3) and session.frame().position == (2, 3)
    view.animation.grid.setFocus()
    qtbot.keyClick(view.animation.grid, QtCore.Qt.Key.Key_Escape)
    assert session.selection_target is None and not cells(view.output.picked)


def test_unread_rows_and_columns_are_hatched_on_the_input_grid(qtbot, view):
    view.session.update_spec(input_shape=[1, 1, 8, 7], kernel_size=[2, 2], stride=[3, 3])
    picture = view.session.frame().input
    assert picture.unread_rows == (2, 5) and picture.unread_cols == (2, 5, 6)
    hatched = view.animation.unread.path().boundingRect()
    assert hatched == QtCore.QRectF(0, 0, 7, 8)  # rows and columns across the whole input
    assert view.animation.unread.path().contains(QtCore.QPointF(6.5, 0.5))  # column 6
    assert not view.animation.unread.path().contains(QtCore.QPointF(0.5, 0.5))  # row 0, column 0 is read
    assert "never read: rows 2, 5, columns 2, 5–6" in view.animation.legend.text()
    view.session.update_spec(stride=[1, 1])
    assert view.animation.unread.path().isEmpty() and "hatching" not in view.animation.legend.text()


def test_a_transposed_convolution_that_crops_its_input_draws_only_on_the_grid(qtbot, view):
    """Padding over d·(k−1) crops the zero-inserted input: its frame, dots and hatching stop at
    the grid, and the legend says where the unread rows went."""
    view.session.update_spec(operation="conv_transpose", input_shape=[1, 1, 6, 5], kernel_size=[3, 3],
                             stride=[2, 2], padding=[3, 3])
    picture = view.session.frame().input
    grid = QtCore.QRectF(0, 0, picture.padding.shape[1], picture.padding.shape[0])
    assert picture.input_rect[:2] == (-1, -1) and grid == QtCore.QRectF(0, 0, 7, 9)
    assert view.animation.input_border.rect() == grid
    assert grid.contains(view.animation.inserted_marks.path().boundingRect())
    assert picture.unread_rows == (0, 5) and view.animation.unread.path().isEmpty()
    assert "crops the input, not drawn" in view.animation.legend.text()
    assert "cropped to 9×7" in picture.title
    view.session.update_spec(padding=[1, 1])  # padded by 1: the whole input on the grid again
    picture = view.session.frame().input
    assert view.animation.input_border.rect() == QtCore.QRectF(1, 1, 9, 11)  # x, y, width, height
    assert "crops" not in view.animation.legend.text() and "padded to" in picture.title


def test_a_hover_on_a_large_input_stays_bounded(qtbot, view):
    """A weight of a 3×3 kernel over 1000×1000 multiplies about a million cells: one fill image,
    no outline or count items per cell."""
    view.session.set_spec(ConvSpec((1, 1, 1000, 1000), 1, 3))
    qtbot.waitUntil(lambda: not view.building, timeout=30000)  # large grids are built on a worker
    hover(qtbot, view, view.kernel.grid, 1, 1)
    assert len(view.animation.picked.cells) == 998 * 998
    assert view.animation.picked.outline.path().isEmpty() and not view.animation.picked.labels.childItems()
    assert view.animation.picked.fill.isVisible()


def test_the_pointer_itself_hovers(qtbot, view):
    grid = view.output.grid
    point = grid.mapFromScene(grid.view.mapViewToScene(QtCore.QPointF(1.5, 3.5)))  # output (3, 1)
    qtbot.mouseMove(grid.viewport(), pos=point)
    qtbot.waitUntil(lambda: view.session.hover_target == SelectionTarget("output", 3, 1), timeout=2000)
    assert cells(view.animation.picked) == as_set(view.session.plan.reads_of_output(3, 1).cells("padded"))


def test_a_picked_output_shows_its_own_arithmetic(qtbot, view):
    session = view.session
    session.update_spec(padding=1, input_shape=[1, 2, 7, 7], out_channels=3)
    session.show_channels(out_channel=2)
    hover(qtbot, view, view.output.grid, 4, 1)
    lines = view.animation.selection_text.text().splitlines()
    assert lines[0].startswith("output (4, 1) sums 9 products")
    assert lines[1].startswith("y[k=2][4,1] = Σ over 2 input channels")
    assert lines[-1].endswith(f"= {session.frame(session.plan.step_of(4, 1)).terms.text().rsplit('= ', 1)[1]}")
    assert session.frame().selection_terms.total == pytest.approx(session.output[4, 1])


def test_many_taps_are_one_tinted_image_at_the_tap_cells(qtbot, view):
    """Past 400 taps the kernel's window is an image (painting 3,721 outlined squares took 11 ms a
    paint): its tinted pixels are exactly the dilated taps, placed on the window."""
    from convviz.gui.panels import MAX_OUTLINED_TAPS

    view.session.update_spec(input_shape=[1, 1, 40, 40], kernel_size=[21, 23], dilation=[2, 1], padding="same")
    animation = view.animation
    assert 21 * 23 > MAX_OUTLINED_TAPS
    assert animation.tap_fill.isVisible() and animation.tap_marks.path().isEmpty()
    image = animation.tap_fill.image
    rows, cols = view.session.frame().input.tap_offsets
    expected = np.zeros(image.shape[:2], dtype=bool)
    expected[np.ix_(rows, cols)] = True
    assert np.array_equal(image[..., 3] > 0, expected) and image.shape[:2] == (41, 23)
    assert animation.tap_fill.mapRectToItem(animation.taps, animation.tap_fill.boundingRect()) == QtCore.QRectF(0, 0, 23, 41)
    view.session.update_spec(kernel_size=[3, 3], dilation=[1, 1])
    assert not animation.tap_fill.isVisible() and not animation.tap_marks.path().isEmpty()
