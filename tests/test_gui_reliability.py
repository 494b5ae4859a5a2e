"""The window survives what goes wrong: errors in slots, files it cannot read or write, a window
closed during a convolution that outlasts the wait; and the timing bars grow while a run goes on."""

import argparse
import gc
import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("PyQt6")
pytest.importorskip("pyqtgraph")

from PyQt6 import QtCore, QtGui, QtWidgets, sip  # noqa: E402

from convviz.core import ConvSpec  # noqa: E402
from convviz.gui import app as gui_app  # noqa: E402
from convviz.gui import timing as timing_module  # noqa: E402
from convviz.gui.app import make_window  # noqa: E402
from convviz.gui.errors import TITLE, install_excepthook  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def window(qtbot, qsettings):
    window = make_window(ConvSpec((1, 1, 7, 7), 1, 3), settings=qsettings, restore=False)
    qtbot.addWidget(window)
    window.resize(1500, 980)
    window.show()
    qtbot.waitExposed(window)
    return window


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
    window.animation.grid.setFocus()
    qtbot.keyClick(window.animation.grid, QtCore.Qt.Key.Key_Right)
    assert window.session.step == 1 and window.playback.step_label.text() == "step 2 / 25"


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
    assert gui_app.run_gui(argparse.Namespace()) == 3
    assert during and during[0] is not previous and during[0].__module__ == "convviz.gui.errors"
    assert sys.excepthook is previous


def test_run_gui_leaves_without_teardown_while_a_closed_window_still_computes(qtbot, monkeypatch):
    left = []
    monkeypatch.setattr(timing_module, "parked_runs", lambda: 1)
    monkeypatch.setattr(gui_app, "_leave_now", left.append)
    window = make_window(ConvSpec((1, 1, 7, 7), 1, 3), restore=False)
    qtbot.addWidget(window)
    assert gui_app._run_event_loop(_StubApplication(lambda: 5), window) == 5
    assert left == [5]


# files ------------------------------------------------------------------------------------------

def _said(window, *parts):
    """The File action's message is beside the controls and in the status bar."""
    label = window.controls.error_label
    message = window.status.currentMessage()
    return label.isVisible() and all(part in label.text() and part in message for part in parts)


def test_saving_the_spec_to_a_folder_or_a_missing_folder_says_why(window, tmp_path):
    assert not window.save_spec(str(tmp_path))
    assert _said(window, f"could not save the spec to {tmp_path}", "Is a directory")
    target = tmp_path / "no such folder" / "spec.json"
    assert not window.save_spec(str(target))
    assert _said(window, "could not save the spec", "No such file or directory")
    assert not target.exists()


def test_saving_the_spec_says_where_and_clears_the_last_file_error(window, tmp_path):
    assert not window.save_spec(str(tmp_path))
    window.session.update_spec(stride=[2, 2])
    path = tmp_path / "lesson.json"
    assert window.save_spec(str(path))
    assert window.status.currentMessage() == f"saved spec to {path}"
    assert not window.controls.error_label.isVisible()
    assert ConvSpec.from_dict(json.loads(path.read_text())) == window.session.spec


def test_a_spec_error_is_not_cleared_by_a_successful_save(window, tmp_path):
    window.controls.kernel_h.setValue(9)
    message = window.controls.error_label.text()
    assert "smaller than the kernel" in message
    assert window.save_spec(str(tmp_path / "spec.json"))
    assert window.controls.error_label.isVisible() and window.controls.error_label.text() == message


def test_saving_a_screenshot_reports_failure_and_success(window, tmp_path):
    assert not window.save_screenshot(str(tmp_path))
    assert _said(window, "could not save the screenshot", "Is a directory")
    path = tmp_path / "window.png"
    assert window.save_screenshot(str(path))
    assert window.status.currentMessage() == f"saved screenshot to {path}"
    image = QtGui.QImage(str(path))
    assert not image.isNull() and image.width() > 100


@pytest.mark.parametrize("name, content, expected", [
    ("missing.json", None, "cannot read spec file"),
    ("folder", "folder", "cannot read spec file"),
    ("latin1.json", b"\xff\xfe{", "is not UTF-8 text"),
    ("broken.json", b'{"input_shape": [1, 1, 7, 7],', "is not valid JSON"),
    ("list.json", b"[1, 2]", "must hold a JSON object"),
    ("unknown.json", b'{"colour": "red"}', "unknown spec field 'colour'"),
    ("huge.json", json.dumps({"input_shape": [1, 1, 5000, 5000], "kernel_size": [3, 3]}).encode(),
     "too big to animate"),
])
def test_opening_a_spec_that_cannot_be_used_says_why(window, tmp_path, name, content, expected):
    path = tmp_path / name
    if content == "folder":
        path.mkdir()
    elif content is not None:
        path.write_bytes(content)
    before = window.session.spec
    assert not window.open_spec(str(path))
    assert _said(window, expected)
    assert window.session.spec == before


def test_opening_a_spec_says_what_was_opened(window, tmp_path):
    path = tmp_path / "lesson.json"
    path.write_text(json.dumps({"input_shape": [1, 1, 9, 9], "kernel_size": [3, 3], "stride": [2, 2]}))
    assert window.open_spec(str(path))
    assert window.session.spec.stride == (2, 2)
    assert window.status.currentMessage() == f"opened spec {path}"


def test_opening_an_image_that_cannot_be_used_says_why(window, tmp_path):
    assert not window.open_image(str(tmp_path))
    assert _said(window, "is not an image convviz can read")
    assert not window.open_image(str(tmp_path / "missing.png"))
    assert _said(window, "cannot read", "No such file or directory")


# closing during a long convolution --------------------------------------------------------------

def _gc_on_again(qtbot):
    qtbot.waitUntil(lambda: timing_module.parked_runs() == 0 and not timing_module._parking().runs, timeout=10000)
    assert gc.isenabled()


def test_closing_during_one_long_convolution_parks_its_thread_until_it_ends(qtbot):
    window = make_window(ConvSpec((1, 1, 7, 7), 1, 3), restore=False)
    window.show()
    timing = window.timing
    started, release = threading.Event(), threading.Event()

    def one_long_convolution(progress, cancel, skipped, partial):  # does not look at `cancel`
        started.set()
        release.wait(30)
        progress(1, 1, "late progress from a closed window")
        partial(["late"])
        return []

    ended = []
    timing.finished.connect(lambda: ended.append(True))
    try:
        assert timing._start(one_long_convolution, "profile", "one long convolution")
        assert started.wait(5)
        thread = timing._thread
        assert not timing.shutdown(timeout_ms=50)
        assert thread.isRunning() and timing_module.parked_runs() == 1
        assert not gc.isenabled()
        assert not timing.running and timing.time_button.isEnabled() and not timing.cancel_button.isEnabled()
        window.close()
        window.deleteLater()
        qtbot.waitUntil(lambda: sip.isdeleted(timing), timeout=5000)
        assert thread.isRunning()  # the window is gone, its thread lives on
    finally:
        release.set()
    _gc_on_again(qtbot)
    assert sip.isdeleted(thread) or not thread.isRunning()
    assert ended == [True]  # once, when it was parked; nothing late from the parked thread


def test_a_run_that_ends_within_the_wait_is_joined_and_reported_once(window, qtbot):
    from convviz.profiling import Cancelled

    timing = window.timing

    def stops_when_cancelled(progress, cancel, skipped, partial):
        cancel.wait(30)
        raise Cancelled("cancelled")

    ended = []
    timing.finished.connect(lambda: ended.append(True))
    assert timing._start(stops_when_cancelled, "profile", "waiting for cancel")
    assert timing.shutdown(timeout_ms=5000)
    assert not timing.running and gc.isenabled() and ended == [True]
    qtbot.wait(50)  # the worker's queued `cancelled` arrives after the run has ended
    assert ended == [True] and gc.isenabled()


def test_a_process_closed_during_a_long_convolution_exits_cleanly(tmp_path):
    script = textwrap.dedent("""
        import sys, threading
        from PyQt6 import QtCore
        from convviz.core import ConvSpec
        from convviz.gui import app as gui_app

        qt_app = gui_app._application()
        window = gui_app.make_window(ConvSpec((1, 1, 7, 7), 1, 3), restore=False)
        window.timing.shutdown_wait_ms = 50
        started = threading.Event()

        def one_long_convolution(progress, cancel, skipped, partial):
            started.set()
            threading.Event().wait(60)
            return []

        window.show()
        window.timing._start(one_long_convolution, "profile", "one long convolution")
        started.wait(5)
        QtCore.QTimer.singleShot(100, window.close)
        code = gui_app._run_event_loop(qt_app, window)
        print("returned normally", code)
    """)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                            cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert "a timing run was still going" in result.stderr
    assert "Destroyed while thread" not in result.stderr and "returned normally" not in result.stdout


# live bars --------------------------------------------------------------------------------------

def test_bars_grow_one_timing_at_a_time_while_the_run_goes_on(window, qtbot):
    timing = window.timing
    timing.profile_options = {"min_time_s": 0.001, "roofline_peaks": False, "settle_s": 0, "repeats": 3,
                              "algorithms": "all"}
    grown = []
    timing.bars_updated.connect(lambda count: grown.append((count, len(timing.bar_items), timing.running)))
    with qtbot.waitSignal(timing.finished, timeout=60000):
        assert timing.start_profile(backends=["numpy"])
    assert len(grown) == 8 and all(running for _, _, running in grown)
    assert [count for count, _, _ in grown] == list(range(1, 9))
    bars = [bar_count for _, bar_count, _ in grown]
    assert bars == sorted(bars) and bars[0] == 1 and bars[-1] == 4
    medians = {r.algorithm: r.median_ms for r in timing.records if r.kind == "end-to-end"}
    assert len(timing.records) == 8 and len(timing.bar_items) == len(medians) == 4
    assert sorted(bar.opts["width"][0] for bar in timing.bar_items) == sorted(medians.values())
    assert timing.table.rowCount() == 8 and timing.status.text().startswith("done")


def test_screenshot_to_a_folder_exits_1_with_one_line_saying_why(tmp_path):
    environment = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    result = subprocess.run([sys.executable, "main.py", "--screenshot", str(tmp_path)], cwd=Path(__file__).resolve().parents[1], env=environment,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr == f"convviz: could not save the screenshot to {tmp_path}: Is a directory\n"
    assert not list(tmp_path.parent.glob("*.part"))
