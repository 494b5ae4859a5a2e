"""GeneratorWorker: a generator on a QThread, reported by signals; quit at the next yield; no garbage
collection while it runs; parked when its owner goes away mid-step."""

import gc
import threading
import time

import numpy as np
import pytest

pytest.importorskip("PyQt6")

from PyQt6 import QtCore  # noqa: E402

from convviz.gui import worker as worker_module  # noqa: E402
from convviz.gui.worker import GeneratorWorker  # noqa: E402


class _Stop(Exception):
    pass


def _record_signals(worker):
    seen = []
    worker.yielded.connect(lambda value: seen.append(("yielded", value)))
    worker.returned.connect(lambda value: seen.append(("returned", value)))
    worker.errored.connect(lambda error: seen.append(("errored", type(error).__name__, str(error))))
    worker.aborted.connect(lambda: seen.append(("aborted",)))
    worker.finished.connect(lambda: seen.append(("finished",)))
    return seen


def _run_to_the_end(qtbot, worker):
    seen = _record_signals(worker)
    with qtbot.waitSignal(worker.finished, timeout=10000):
        worker.start()
        assert not gc.isenabled()  # off from start() on
    assert worker.join(5000) and gc.isenabled()
    return seen


def test_values_in_order_then_what_it_returned(qtbot):
    def count(upto):
        yield from range(upto)
        return "done"

    seen = _run_to_the_end(qtbot, GeneratorWorker(count, 3))
    assert seen == [("yielded", 0), ("yielded", 1), ("yielded", 2), ("returned", "done"), ("finished",)]


def test_an_error_is_reported_not_raised(qtbot):
    def fails():
        yield 1
        raise ValueError("bad spec")

    seen = _run_to_the_end(qtbot, GeneratorWorker(fails))
    assert seen == [("yielded", 1), ("errored", "ValueError", "bad spec"), ("finished",)]


def test_an_abort_exception_means_aborted(qtbot):
    stop = threading.Event()

    def waits(stop):
        yield "waiting"
        stop.wait(30)
        raise _Stop

    worker = GeneratorWorker(waits, stop, stop=stop, aborts=(_Stop,))
    seen = _record_signals(worker)
    with qtbot.waitSignal(worker.finished, timeout=10000):
        worker.start()
        qtbot.waitUntil(lambda: seen == [("yielded", "waiting")], timeout=5000)
        worker.quit()  # sets `stop`, which the generator watches between its yields
    assert seen == [("yielded", "waiting"), ("aborted",), ("finished",)]
    assert worker.join(5000) and gc.isenabled()


def test_quit_closes_the_generator_at_its_next_yield(qtbot):
    go, closed = threading.Event(), []

    def endless():
        try:
            while True:
                yield "tick"
                go.wait(30)  # one step that does not look at any stop flag
        finally:
            closed.append(True)

    worker = GeneratorWorker(endless)
    seen = _record_signals(worker)
    with qtbot.waitSignal(worker.finished, timeout=10000):
        worker.start()
        qtbot.waitUntil(lambda: seen == [("yielded", "tick")], timeout=5000)
        worker.quit()
        assert closed == []  # still in its step
        go.set()
    assert seen[-2:] == [("aborted",), ("finished",)] and closed == [True]
    assert all(event == ("yielded", "tick") for event in seen[:-2])
    assert worker.join(5000) and gc.isenabled()


def test_a_step_that_outlasts_the_wait_is_parked_until_it_ends(qtbot):
    started, release = threading.Event(), threading.Event()

    def one_long_step():
        started.set()
        release.wait(30)
        yield "late"

    worker = GeneratorWorker(one_long_step)
    seen = _record_signals(worker)
    worker.start()
    try:
        assert started.wait(5)
        thread = worker.thread()
        assert not worker.join(50)  # still in its step
        worker.park()
        assert worker_module.parked_runs() == 1 and thread.isRunning() and not gc.isenabled()
        del worker  # its owner lets go: the module keeps it
    finally:
        release.set()
    qtbot.waitUntil(lambda: worker_module.parked_runs() == 0 and not worker_module._parking().runs, timeout=10000)
    assert gc.isenabled() and seen == []  # nothing reported after it was parked


def test_garbage_collection_stays_off_while_any_worker_runs(qtbot):
    releases = [threading.Event(), threading.Event()]

    def waits(release):
        release.wait(30)
        yield None

    workers = [GeneratorWorker(waits, release) for release in releases]
    for worker in workers:
        worker.start()
    releases[0].set()
    assert workers[0].join(5000)
    assert not gc.isenabled()  # the other still runs
    releases[1].set()
    assert workers[1].join(5000) and gc.isenabled()


def test_the_generator_runs_on_the_workers_thread(qtbot):
    where = []

    def records_thread():
        where.append(QtCore.QThread.currentThread())
        yield None

    worker = GeneratorWorker(records_thread)
    with qtbot.waitSignal(worker.finished, timeout=10000):
        worker.start()
    assert where == [worker.thread()] and where[0] is not QtCore.QThread.currentThread()
    assert worker.join(5000)


def test_latest_jobs_with_ready_wait_for_it_then_run_only_the_latest(qtbot):
    from convviz.gui.worker import LatestJobs

    state = {"ready": False}
    jobs = LatestJobs(ready=lambda: state["ready"])
    jobs.MOST_HELD_MS = 60_000
    ran, delivered = [], []
    rng = np.random.default_rng(5)
    values = rng.integers(0, 1000, size=3).tolist()
    for value in values:
        jobs.run(lambda value=value: ran.append(value) or value * 2, delivered.append)
    qtbot.wait(50)
    assert ran == [] and jobs.busy and jobs.waiting  # held: not ready
    jobs.resume()
    assert ran == []  # still not ready
    state["ready"] = True
    jobs.resume()
    qtbot.waitUntil(lambda: delivered == [values[-1] * 2])
    qtbot.waitUntil(lambda: not jobs.busy)
    assert ran == [values[-1]]
    jobs.close()


def test_latest_jobs_held_too_long_run_anyway(qtbot):
    from convviz.gui.worker import LatestJobs

    jobs = LatestJobs(ready=lambda: False)
    jobs.MOST_HELD_MS = 200
    delivered = []
    began = time.monotonic()
    jobs.run(lambda: (time.monotonic(), 42), delivered.append)
    assert delivered == [] and jobs.waiting
    qtbot.waitUntil(lambda: len(delivered) == 1, timeout=10000)
    started, value = delivered[0]
    assert value == 42 and started - began >= jobs.MOST_HELD_MS / 1000 - 0.01  # held that long first
    jobs.close()
