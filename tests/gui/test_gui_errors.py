"""Errors that escape a slot are shown in a box, and the window goes on."""

import os
import subprocess
import sys
import textwrap
import time

import pytest

pytest.importorskip("PyQt6")
pytest.importorskip("pyqtgraph")

from helpers import ROOT  # noqa: E402
from PyQt6 import QtCore, QtWidgets  # noqa: E402

from convviz.core import ConvSpec  # noqa: E402
from convviz.gui import app as gui_app  # noqa: E402
from convviz.gui import worker as worker_module  # noqa: E402
from convviz.gui.app import make_window  # noqa: E402
from convviz.gui.errors import TITLE, install_excepthook  # noqa: E402


def _raised(error: Exception):
    try:
        raise error
    except Exception as caught:
        return type(caught), caught, caught.__traceback__


def _close_message_boxes_as_they_open(seen: list) -> QtCore.QTimer:
    """Closes each message box that opens (box.exec() blocks), noting title, text and details."""
    def close_open_boxes():
        for widget in QtWidgets.QApplication.topLevelWidgets():
            if isinstance(widget, QtWidgets.QMessageBox) and widget.isVisible():
                seen.append((widget.windowTitle(), widget.text(), widget.detailedText()))
                widget.done(0)

    timer = QtCore.QTimer()
    timer.setInterval(20)
    timer.timeout.connect(close_open_boxes)
    timer.start()
    return timer


# errors in slots --------------------------------------------------------------------------------

def test_the_hook_shows_the_error_in_a_message_box_and_restores_the_previous_hook(window, capsys):
    previous = sys.excepthook
    restore = install_excepthook(lambda: window)
    seen = []
    timer = _close_message_boxes_as_they_open(seen)
    try:
        assert sys.excepthook is not previous
        sys.excepthook(*_raised(OSError("disk full\nsecond line")))
    finally:
        timer.stop()
        restore()
    assert sys.excepthook is previous
    assert len(seen) == 1
    title, text, details = seen[0]
    assert title == TITLE and text == "OSError: disk full"
    assert details.startswith("Traceback") and "disk full" in details and "_raised" in details
    assert "OSError: disk full" in capsys.readouterr().err
    assert not [w for w in QtWidgets.QApplication.topLevelWidgets()
                if isinstance(w, QtWidgets.QMessageBox) and w.isVisible()]


def test_an_error_while_the_box_is_up_is_printed_not_shown_again(capsys):
    shown = []

    def show(parent, message, details):
        shown.append(message)
        sys.excepthook(*_raised(ValueError("second, while the box is up")))

    restore = install_excepthook(show=show)
    try:
        sys.excepthook(*_raised(RuntimeError("first")))
    finally:
        restore()
    assert shown == ["RuntimeError: first"]
    err = capsys.readouterr().err
    assert "RuntimeError: first" in err and "second, while the box is up" in err


def test_the_same_error_again_right_after_its_box_is_printed_only(capsys, monkeypatch):
    from convviz.gui import errors

    shown = []
    restore = install_excepthook(show=lambda parent, message, details: shown.append(message))
    try:
        for _ in range(3):  # a slot that fails on every tick of a timer
            sys.excepthook(*_raised(IndexError("tick")))
        sys.excepthook(*_raised(IndexError("another")))
        monkeypatch.setattr(errors, "monotonic", lambda: time.monotonic() + errors.REPEAT_QUIET_S + 1)
        sys.excepthook(*_raised(IndexError("another")))
    finally:
        restore()
    assert shown == ["IndexError: tick", "IndexError: another", "IndexError: another"]
    assert capsys.readouterr().err.count("IndexError: tick") == 3


def test_a_box_that_cannot_be_shown_does_not_break_the_hook(capsys):
    def show(parent, message, details):
        raise RuntimeError("no screen")

    restore = install_excepthook(show=show)
    try:
        sys.excepthook(*_raised(KeyError("missing")))
        sys.excepthook(*_raised(KeyError("again")))  # the guard was reset
    finally:
        restore()
    err = capsys.readouterr().err
    assert err.count("RuntimeError: no screen") == 2 and "'again'" in err


def test_an_error_in_a_slot_is_shown_and_the_window_keeps_working(window, qtbot):
    shown = []
    restore = install_excepthook(lambda: window, show=lambda parent, message, details: shown.append(message))

    def broken_slot():
        raise ZeroDivisionError("a bug in a slot")

    try:
        QtCore.QTimer.singleShot(0, broken_slot)
        qtbot.waitUntil(lambda: bool(shown), timeout=2000)
    finally:
        restore()
    assert shown == ["ZeroDivisionError: a bug in a slot"]
    window.view.animation.grid.setFocus()
    qtbot.keyClick(window.view.animation.grid, QtCore.Qt.Key.Key_Right)
    assert window.session.step == 1 and window.view.playback.step_label.text() == "step 2 / 25"


def test_a_process_with_the_hook_survives_an_error_in_a_slot(tmp_path):
    script = textwrap.dedent("""
        import sys
        from PyQt6 import QtCore, QtWidgets
        from convviz.gui.errors import install_excepthook

        app = QtWidgets.QApplication(sys.argv[:1])
        shown = []
        restore = install_excepthook(show=lambda parent, message, details: shown.append(message))

        def broken_slot():
            raise RuntimeError("disk on fire")

        QtCore.QTimer.singleShot(0, broken_slot)
        QtCore.QTimer.singleShot(100, app.quit)
        code = app.exec()
        restore()
        print("still alive:", shown)
        sys.exit(code)
    """)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                            cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert "still alive: ['RuntimeError: disk on fire']" in result.stdout
    assert "Traceback" in result.stderr and "disk on fire" in result.stderr


class _StubApplication:
    def __init__(self, on_exec):
        self.on_exec = on_exec

    def exec(self) -> int:
        return self.on_exec()


def test_run_gui_installs_the_hook_for_the_event_loop_only(qtbot, monkeypatch):
    previous = sys.excepthook
    during = []

    def on_exec():
        during.append(sys.excepthook)
        for widget in QtWidgets.QApplication.topLevelWidgets():
            if isinstance(widget, QtWidgets.QMainWindow):
                qtbot.addWidget(widget)
                widget.close()
        return 3

    monkeypatch.setattr(gui_app, "_application", lambda: _StubApplication(on_exec))
    assert gui_app.run_gui(None) == 3
    assert during and during[0] is not previous and during[0].__module__ == "convviz.gui.errors"
    assert sys.excepthook is previous


def test_run_gui_leaves_without_teardown_while_a_closed_window_still_computes(qtbot, monkeypatch):
    left = []
    monkeypatch.setattr(worker_module, "parked_runs", lambda: 1)
    monkeypatch.setattr(gui_app, "_leave_now", left.append)
    window = make_window(ConvSpec((1, 1, 7, 7), 1, 3), restore=False)
    qtbot.addWidget(window)
    assert gui_app._run_event_loop(_StubApplication(lambda: 5), window) == 5
    assert left == [5]
