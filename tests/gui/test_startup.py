"""Start-up always works: hostile stored settings are dropped or clamped with a note, an unusable
settings file is moved aside, and with no display the program says what to do (exit 2)."""

import os
import subprocess
import sys

import pytest
from helpers import ROOT
from helpers.strategies import LOAD_TOLERANT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("PyQt6")

from PyQt6 import QtCore  # noqa: E402

from convviz.gui import settings as stored  # noqa: E402
from convviz.gui.display import XCB_CURSOR, display_problem  # noqa: E402

HOSTILE = {
    "speed": ["0.0000001", "1e-300", "1e400", "nan", "-inf", "-3", "0", "fast", "9" * 5000, "1e9"],
    "spec": ["[" * 100000 + "]" * 100000, "{}", "[]", "null", "not json", '{"input_shape": [1, 1, 5000, 5000]}',
             '{"input_shape": [1, 1, ' + "9" * 5000 + ', 3]}', "x" * 200000,
             '{"input_shape": [1, 1, 7, 7], "out_channels": 1, "kernel_size": 3, "colour": 1}'],
    "preset": ["no such preset", "", "x" * 100000],
    "pattern": ["image file", "no such pattern"],
    "geometry": ["not bytes", "x" * 100000],
}


def _window_from(qtbot, path):
    from convviz.gui.window import MainWindow

    window = MainWindow(settings=QtCore.QSettings(str(path), QtCore.QSettings.Format.IniFormat), restore=True)
    qtbot.addWidget(window)
    with qtbot.waitExposed(window):
        window.show()
    return window


@pytest.mark.parametrize("key, value", [(key, value) for key, values in HOSTILE.items() for value in values],
                         ids=lambda value: str(value)[:20])
def test_a_hostile_stored_value_is_dropped_or_clamped_with_a_note(qtbot, tmp_path, key, value):
    path = tmp_path / "convviz.ini"
    writer = QtCore.QSettings(str(path), QtCore.QSettings.Format.IniFormat)
    writer.setValue(key, value)
    writer.sync()
    window = _window_from(qtbot, path)
    session = window.session
    assert 0 < session.interval_ms < 2**31
    if key == "pattern" and value == "image file":
        assert session.pattern == "sample image"
        return
    assert window.settings_notes, "a note must say what was not restored"
    assert "Settings:" in window.status.currentMessage()
    if key == "speed" and value in ("0.0000001", "1e-300", "1e9"):
        assert session.speed in stored.SPEED_RANGE  # clamped, kept


@settings(max_examples=15, deadline=None, suppress_health_check=[*LOAD_TOLERANT, HealthCheck.function_scoped_fixture])
@given(values=st.dictionaries(st.sampled_from(["spec", "speed", "preset", "pattern", "geometry"]),
                              st.one_of(st.text(max_size=60), st.floats(allow_nan=True), st.integers(),
                                        st.binary(max_size=40), st.lists(st.integers(), max_size=4))))
def test_any_stored_values_start_the_window(qtbot, tmp_path_factory, values):
    path = tmp_path_factory.mktemp("fuzz") / "convviz.ini"
    writer = QtCore.QSettings(str(path), QtCore.QSettings.Format.IniFormat)
    for key, value in values.items():
        writer.setValue(key, value)
    writer.sync()
    from convviz.gui.window import MainWindow

    window = MainWindow(settings=QtCore.QSettings(str(path), QtCore.QSettings.Format.IniFormat), restore=True)
    try:
        assert 0 < window.session.interval_ms < 2**31
    finally:
        window.close()
        window.deleteLater()
        QtCore.QCoreApplication.sendPostedEvents(None, QtCore.QEvent.Type.DeferredDelete.value)


def test_an_unusable_settings_file_is_moved_aside(tmp_path):
    fifo = tmp_path / "fifo.conf"
    os.mkfifo(fifo)
    note = stored.set_aside_unusable_file(str(fifo))
    assert "not a regular file" in note and not fifo.exists() and (tmp_path / "fifo.conf.unusable").exists()
    big = tmp_path / "big.conf"
    big.write_bytes(b"[General]\n" + b"x" * (stored.MAX_SETTINGS_BYTES + 1))
    assert "too big" in stored.set_aside_unusable_file(str(big))
    small = tmp_path / "ok.conf"
    small.write_text("[General]\nspeed=4\n")
    assert stored.set_aside_unusable_file(str(small)) is None and small.exists()
    assert stored.set_aside_unusable_file(str(tmp_path / "missing.conf")) is None


@pytest.mark.parametrize("environ, loadable, words", [
    ({}, True, "no display"),
    ({"QT_QPA_PLATFORM": "xcb"}, True, "no display"),
    ({"DISPLAY": ":0"}, False, "sudo apt install libxcb-cursor0"),
    ({"QT_QPA_PLATFORM": "xcb", "DISPLAY": ":0"}, False, XCB_CURSOR),
    ({"WAYLAND_DISPLAY": "wayland-0", "QT_QPA_PLATFORM": "xcb"}, True, "QT_QPA_PLATFORM=wayland"),
    ({"QT_QPA_PLATFORM": "wayland"}, True, "WAYLAND_DISPLAY is not set"),
    ({"DISPLAY": ":0"}, True, None),
    ({"WAYLAND_DISPLAY": "wayland-0"}, False, None),
    ({"QT_QPA_PLATFORM": "offscreen"}, False, None),
    ({"QT_QPA_PLATFORM": "minimal:enable_fonts"}, False, None),
])
def test_display_problems_are_named_with_what_to_do(environ, loadable, words):
    problem = display_problem(environ, "linux", loadable=lambda library: loadable)
    if words is None:
        assert problem is None
    else:
        assert words in problem and "\n" not in problem
    assert display_problem(environ, "darwin", loadable=lambda library: False) is None


def test_without_a_display_the_program_says_what_to_do_and_exits_2():
    env = {key: value for key, value in os.environ.items()
           if key not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    result = subprocess.run([sys.executable, "main.py"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "no display" in result.stderr and "--screenshot" in result.stderr
