"""The framework code dock (pytest-qt, offscreen): follows the spec, switches framework, copies."""

import pytest

pytest.importorskip("PyQt6")
pytest.importorskip("pyqtgraph")

from helpers.tf_semantics import run_tensorflow_code  # noqa: E402
from PyQt6 import QtWidgets  # noqa: E402

from convviz.session.framework_code import framework_code  # noqa: E402


def _menu_action(window, text):
    return next(action for action in window.actions() if action.text() == text)


def test_code_follows_the_spec_and_copies(window, qtbot):
    assert not window.code_dock.isVisible()  # out of the way until asked for
    _menu_action(window, "&Framework code").trigger()
    qtbot.waitUntil(window.code_dock.isVisible)
    panel = window.code
    assert panel.text.toPlainText() == framework_code(window.session.spec, "pytorch").code
    window.controls.stride_h.setValue(2)
    window.controls.padding.setCurrentText("same")
    code = panel.text.toPlainText()
    assert code == framework_code(window.session.spec, "pytorch").code
    assert "stride=(2, 1)" in code and "PyTorch refuses padding='same' with stride > 1" in code
    QtWidgets.QApplication.clipboard().clear()
    panel.copy_button.click()
    assert QtWidgets.QApplication.clipboard().text() == code


def test_tensorflow_and_what_it_cannot_do(window, qtbot):
    panel = window.show_code("tensorflow")
    assert "tf.nn.conv2d" in panel.text.toPlainText()
    assert callable(run_tensorflow_code(panel.text.toPlainText())["forward"])
    assert not panel.problem.isVisibleTo(panel)
    window.controls.padding.setCurrentText("same")
    window.controls.mode.setCurrentText("circular")
    assert "no circular mode" in panel.problem.text()
    assert panel.problem.isVisibleTo(panel)
    assert not panel.copy_button.isEnabled()
    assert "Not expressible" in panel.text.toPlainText()
    panel.set_framework("pytorch")
    assert panel.copy_button.isEnabled() and "padding_mode='circular'" in panel.text.toPlainText()
