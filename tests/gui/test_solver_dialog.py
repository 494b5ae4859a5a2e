"""The padding solver dialog (pytest-qt, offscreen): it follows the spec, explains refusals, applies pads."""

import pytest

pytest.importorskip("PyQt6")
pytest.importorskip("pyqtgraph")

from PyQt6 import QtGui  # noqa: E402

from convviz.core import plan  # noqa: E402
from convviz.core.solve import solve_padding  # noqa: E402


def _menu_action(window, text):
    return next(action for action in window.actions() if action.text() == text)


def test_apply_sets_the_solved_pads_on_the_session(window, qtbot):
    _menu_action(window, "Padding &solver…").trigger()
    dialog = window.solver_dialog
    qtbot.waitExposed(dialog)
    assert (dialog.target_h.value(), dialog.target_w.value()) == (5, 5)  # starts at the current output
    assert not dialog.apply_button.isEnabled()  # nothing to change
    window.controls.stride_h.setValue(2)
    window.controls.kernel_w.setValue(4)
    assert "s2,1" in dialog.spec_label.text()  # follows the spec while open
    dialog.target_h.setValue(4)
    dialog.target_w.setValue(9)
    expected = solve_padding(window.session.spec, (4, 9))
    assert "top 1, bottom 1, left 2, right 3" in dialog.result.text()
    assert dialog.apply_button.isEnabled()
    dialog.apply_button.click()
    assert window.session.spec == expected.spec
    assert window.session.plan.output_size == (4, 9)
    assert plan(window.session.spec).pads == (1, 1, 2, 3)
    assert "Output 4×9" in window.view.output.shape_label.text()
    assert window.controls.padding.currentText() == "custom"
    assert not dialog.apply_button.isEnabled()


def test_unreachable_target_is_explained_and_apply_is_off(window, qtbot):
    dialog = window.open_solver()
    qtbot.waitExposed(dialog)
    dialog.target_h.setValue(3)
    assert "the smallest reachable is 5" in dialog.result.text()
    assert not dialog.apply_button.isEnabled()
    window.controls.mode.setCurrentText("reflect")
    dialog.set_target(18, 7)
    assert "reflect padding must be smaller than the input" in dialog.result.text()
    assert not dialog.apply_button.isEnabled()
    spec_before = window.session.spec
    dialog.apply_button.click()
    assert window.session.spec == spec_before


def test_a_hidden_dialog_stops_following_the_session(window, qtbot):
    dialog = window.open_solver()
    qtbot.waitExposed(dialog)
    dialog.close()
    window.controls.stride_h.setValue(3)
    assert "s3" not in dialog.spec_label.text()
    assert window.open_solver() is dialog
    assert "s3,1" in dialog.spec_label.text()


def test_shortcut_opens_the_solver(window, qtbot):
    assert _menu_action(window, "Padding &solver…").shortcut() == QtGui.QKeySequence("Ctrl+Shift+P")


def test_a_spec_too_big_to_animate_is_refused_in_the_dialog(window, qtbot):
    dialog = window.open_solver()
    qtbot.waitExposed(dialog)
    spec_before = window.session.spec
    dialog.set_target(1280, 5)  # padded 1282 rows: more than the animation draws
    assert dialog.apply_button.isEnabled()
    assert not dialog.apply()
    assert "too big to animate" in dialog.result.text()
    assert window.session.spec == spec_before
