"""The scatter view in the window: chosen by the control or the shortcut, its panels draw each frame
(the scattering cell, the window on the output, cells not written yet left white, the overlap
counts), pointing at an output cell lights its writers, and exports draw it too."""

import numpy as np
import pytest

pytest.importorskip("PyQt6")
pytest.importorskip("pyqtgraph")

from PyQt6 import QtCore  # noqa: E402

from convviz.core import ConvSpec  # noqa: E402
from convviz.gui.panels import EMPTY  # noqa: E402
from convviz.session.scatter import scatter_plan  # noqa: E402

SPEC = ConvSpec((1, 1, 3, 3), 1, 3, stride=2, padding=1, output_padding=1, operation="conv_transpose")


def rect_of(item) -> tuple:
    rect = item.rect()
    return int(rect.top()), int(rect.left()), int(rect.height()), int(rect.width())


def scatter_window(window, qtbot):
    session, controls = window.session, window.controls
    assert session.set_spec(SPEC), session.error
    controls.transposed_view.setCurrentIndex(controls.transposed_view.findData("scatter"))
    qtbot.wait(1)
    return session


def test_the_control_and_the_shortcut_switch_between_the_views(window, qtbot):
    session = scatter_window(window, qtbot)
    view = window.view
    assert session.transposed_view == "scatter" and view.scattering
    assert view.scatter_output.isVisible() and view.overlap.isVisible() and not view.animation.isVisible()
    assert window.scatter_action.isChecked()
    window.scatter_action.trigger()
    assert session.transposed_view == "direct" and not view.scattering and view.animation.isVisible()
    assert window.controls.transposed_view.currentData() == "direct"
    window.scatter_action.trigger()
    assert view.scattering and window.controls.transposed_view.currentData() == "scatter"
    assert window.scatter_action.shortcut().toString() == "Ctrl+Shift+V"


def test_each_step_draws_the_cell_the_window_and_what_is_written_so_far(window, qtbot):
    session = scatter_window(window, qtbot)
    panel, source = window.view.scatter_output, window.view.scatter_input
    for step in (0, 4, session.steps - 1):
        session.set_step(step)
        frame = session.frame()
        a, b = frame.cell
        assert rect_of(source.current) == (a, b, 1, 1)
        assert rect_of(panel.window_rect) == frame.window
        assert panel.arithmetic.text() == frame.arithmetic
        image = panel.grid.image.image
        white = np.all(image == EMPTY, axis=-1)
        np.testing.assert_array_equal(white, frame.written == 0)
        inside = frame.terms.inside
        assert panel.taps.cell_count == int(inside.any(axis=1).sum() * inside.any(axis=0).sum())
    assert not (frame.written == 0).any()  # after the last step every cell has been written


def test_the_overlap_panel_writes_the_counts_and_says_what_they_count(window, qtbot):
    scatter_window(window, qtbot)
    panel = window.view.overlap
    overlap = scatter_plan(window.session.plan).overlap
    assert panel.grid.texts, "the cells are large enough for their counts"
    for (row, col), item in panel.grid.texts.items():
        assert item.text() == str(overlap[row, col])
    assert "written by 1, 2 or 4 input cells" in panel.summary.text()
    assert "kernel 3 is not a multiple of stride 2" in panel.summary.text()


def test_pointing_at_an_output_cell_lights_its_writers_and_a_click_completes_it(window, qtbot):
    session = scatter_window(window, qtbot)
    view = window.view
    view.scatter_output.grid.cell_hovered.emit(1, 1)
    qtbot.waitUntil(lambda: session.hover_target is not None, timeout=2000)
    writers = scatter_plan(session.plan).writers_of_output(1, 1)
    lit = {tuple(cell) for cell in view.scatter_input.picked.cells.tolist()}
    assert lit == {tuple(cell) for cell in writers.cells("input").tolist()} == {(0, 0), (0, 1), (1, 0), (1, 1)}
    assert "y[1,1] is written by 4 input cells" in view.scatter_output.selection_text.text()
    view.scatter_output.grid.cell_clicked.emit(1, 1)
    assert session.step == 4 and session.selection_target.cell == (1, 1)  # x[1,1], the last writer
    view.scatter_input.grid.cell_clicked.emit(2, 0)
    assert session.step == 6 and session.selection_target.kind == "input"


def test_an_export_frame_of_the_scatter_has_its_panels(qtbot):
    from convviz.gui.export import renderer
    from convviz.session import Session

    session = Session(SPEC)
    session.set_transposed_view("scatter")
    for panel in ("panels", "output", "coverage"):
        with renderer(session, size=(640, 400), panel=panel) as frames:
            assert frames.steps == 9
            image = frames.array(3)
            assert image.shape[:2] == (400, 640) and image.std() > 0
    session.set_transposed_view("direct")
    with renderer(session, size=(640, 400), panel="animation") as frames:
        assert frames.steps == session.plan.steps


def test_the_kernel_is_shown_as_the_scatter_applies_it(window, qtbot):
    session = scatter_window(window, qtbot)
    kernel = window.view.scatter_input.kernel
    session.set_weights(np.arange(9.0).reshape(3, 3))
    qtbot.wait(1)
    texts = {cell: item.text() for cell, item in kernel.texts.items()}
    assert texts[(0, 0)] == "0" and texts[(2, 2)] == "8"  # not flipped
    kernel.cell_clicked.emit(0, 2)
    assert session.selection_target.cell == (0, 2)
    assert "w[0,2] multiplies" in window.view.scatter_output.selection_text.text()


def test_the_command_line_draws_the_scatter_at_an_input_cells_step(qapp, tmp_path, monkeypatch, capsys):
    from convviz.cli import main
    from convviz.gui.window import MainWindow

    seen = []
    original = MainWindow.save_screenshot

    def recording(window, path):
        view = window.view
        seen.append((window.session.steps, window.session.step, view.scattering,
                     len(view.scatter_input.picked.cells)))
        return original(window, path)

    monkeypatch.setattr(MainWindow, "save_screenshot", recording)
    path = tmp_path / "scatter.png"
    flags = ["--operation", "conv_transpose", "--input", "4", "--kernel", "3", "--stride", "2"]
    assert main(["--screenshot", str(path), *flags, "--transposed-view", "scatter", "--step", "6",
                 "--select", "output:2,2"]) == 0
    assert path.stat().st_size > 1000
    assert seen[-1] == (16, 5, True, 4)  # 16 input cells; y[2,2] is written by 4 of them
    assert main(["--screenshot", str(path), *flags, "--transposed-view", "scatter", "--step", "17"]) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert error == ["convviz: step 17 does not exist: this spec has steps 1–16 (one per input cell, 4×4)"]


def test_playing_forward_on_a_large_grid_recolours_only_the_window_and_matches_a_full_redraw(qtbot):
    from convviz.gui.session_view import EVERYTHING, SessionView
    from convviz.session import STEP, Session

    session = Session(ConvSpec((1, 1, 40, 40), 1, 3, stride=2, padding=1, output_padding=1,
                               operation="conv_transpose"))
    session.set_transposed_view("scatter")
    view = SessionView(session, live=False)
    qtbot.addWidget(view)
    view.resize(500, 400)
    view.show()
    panel, source = view.scatter_output, view.scatter_input
    view.draw(session.frame(700), EVERYTHING)
    assert not panel.grid.values_visible()  # 80×80 cells in a small view: too small for values
    for step in range(701, 760):
        frame = session.frame(step)
        view.draw(frame, {STEP})
    np.testing.assert_array_equal(panel.grid.image.image, panel._colours(frame)[0])
    expected = source._display.copy()
    source._shown_colours(frame.step)
    np.testing.assert_array_equal(expected, source._display)
    view.draw(session.frame(100), {STEP})  # a jump back: every cell again
    np.testing.assert_array_equal(panel.grid.image.image, panel._colours(session.frame(100))[0])


def test_the_scatter_view_has_fit_and_follow_in_step_with_the_direct_view(window, qtbot):
    """Zoomed in on a large scatter, Follow keeps the step's window in view and Fit shows the
    grids whole; the box is one setting with the direct view's."""
    session = window.session
    assert session.set_spec(ConvSpec((1, 1, 40, 40), 1, 3, stride=2, operation="conv_transpose")), session.error
    window.controls.transposed_view.setCurrentIndex(window.controls.transposed_view.findData("scatter"))
    qtbot.waitUntil(lambda: window.view.scattering and session.grids_built, timeout=5000)
    view, stage = window.view, window.view.scatter_output
    assert stage.fit_button.isVisible() and stage.follow.isVisible() and stage.follow.isChecked()
    stage.follow.setChecked(False)
    assert not view.animation.follow.isChecked()
    stage.follow.setChecked(True)  # turning it on zooms in until values can be read, on the step's window
    assert stage.grid.zoomed()
    session.set_step(session.steps - 1)
    top, left, height, width = session.frame().window
    shown = stage.grid.view.viewRect()
    assert shown.contains(QtCore.QRectF(left, top, width, height)) and shown.width() < 81
    qtbot.mouseClick(stage.fit_button, QtCore.Qt.MouseButton.LeftButton)
    assert not stage.grid.zoomed() and not view.scatter_input.grid.zoomed()
    view.animation.follow.setChecked(False)
    assert not stage.follow.isChecked()
