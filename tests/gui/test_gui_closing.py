"""Closing the window during a convolution that outlasts the wait; bars that grow while a run goes on."""

import gc
import os
import subprocess
import sys
import textwrap
import threading

import pytest

pytest.importorskip("PyQt6")
pytest.importorskip("pyqtgraph")

from helpers import ROOT  # noqa: E402
from PyQt6 import sip  # noqa: E402

from convviz.core import ConvSpec  # noqa: E402
from convviz.gui import worker as worker_module  # noqa: E402
from convviz.gui.app import make_window  # noqa: E402
from convviz.profiling import Progress  # noqa: E402

# closing during a long convolution --------------------------------------------------------------

def _late_record():
    from convviz.profiling import profile

    return profile(ConvSpec((1, 1, 5, 5), 1, 3), backends=["numpy"], repeats=1, roofline_peaks=False, settle_s=0)[0]


def _gc_on_again(qtbot):
    qtbot.waitUntil(lambda: worker_module.parked_runs() == 0 and not worker_module._parking().runs, timeout=10000)
    assert gc.isenabled()


def test_closing_during_one_long_convolution_parks_its_thread_until_it_ends(qtbot):
    window = make_window(ConvSpec((1, 1, 7, 7), 1, 3), restore=False)
    window.show()
    timing = window.timing
    started, release = threading.Event(), threading.Event()

    def one_long_convolution(cancel):  # does not look at `cancel`
        started.set()
        release.wait(30)
        yield Progress(1, 1, "late progress from a closed window")
        yield _late_record()
        return []

    ended = []
    timing.finished.connect(lambda: ended.append(True))
    try:
        assert timing._start(one_long_convolution, "profile", "one long convolution")
        assert started.wait(5)
        thread = timing._worker.thread()
        assert not timing.shutdown(timeout_ms=50)
        assert thread.isRunning() and worker_module.parked_runs() == 1
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

    def stops_when_cancelled(cancel):
        cancel.wait(30)
        raise Cancelled("cancelled")
        yield

    ended = []
    timing.finished.connect(lambda: ended.append(True))
    assert timing._start(stops_when_cancelled, "profile", "waiting for cancel")
    assert timing.shutdown(timeout_ms=5000)
    assert not timing.running and gc.isenabled() and ended == [True]
    qtbot.wait(50)  # the worker's queued `aborted` arrives after the run has ended
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

        def one_long_convolution(cancel):
            started.set()
            threading.Event().wait(60)
            return []
            yield

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


def test_screenshot_to_a_folder_exits_2_with_one_line_saying_why_before_any_window(tmp_path):
    environment = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    result = subprocess.run([sys.executable, "main.py", "--screenshot", str(tmp_path)], cwd=ROOT, env=environment,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr == f"convviz: cannot write the screenshot to {tmp_path}: it is a folder\n"
    assert not list(tmp_path.parent.glob("*.part"))
