"""A generator run off the GUI thread, in the style of napari's and superqt's `thread_worker`.

    worker = GeneratorWorker(function, *args, stop=event, aborts=(Cancelled,), **kwargs)
    worker.yielded.connect(...)      # each value the generator yields
    worker.returned.connect(...)     # what it returned
    worker.errored.connect(...)      # the exception it raised
    worker.aborted.connect(...)      # it stopped because it was asked to
    worker.finished.connect(...)     # after any of those three
    worker.start(parent)             # on a QThread of its own (worker.thread(), as for any QObject)
    worker.quit()                    # stop at the next yield (the generator is closed)
    worker.join(timeout_ms)          # wait for the thread to end
    worker.park()                    # its owner is going away while it still runs

Signals reach receivers in the GUI thread queued, in the order they were emitted.

Two hard-won rules live here. No automatic garbage collection while any worker runs: a
collection on a worker's thread can destroy Qt objects of the GUI thread (closed windows, their
timers) from the wrong thread, and Qt then crashes later on a timer of a deleted object. And Qt
aborts the process when a QThread object is destroyed while its thread runs; one step of a
generator (one long convolution) cannot be interrupted, so a worker whose owner goes away is
parked: kept, with its thread, by this module until the thread ends, still holding the garbage
collector. `parked_runs()` tells the application to leave without the interpreter's teardown
while one still runs.
"""

from __future__ import annotations

import gc
import threading

from PyQt6 import QtCore, sip

_gc_holds = 0


def _hold_gc() -> None:
    """No automatic garbage collection while any worker runs (see the module's docstring)."""
    global _gc_holds
    _gc_holds += 1
    gc.disable()


def _release_gc() -> None:
    global _gc_holds
    _gc_holds = max(0, _gc_holds - 1)
    if _gc_holds == 0:
        gc.enable()


class GeneratorWorker(QtCore.QObject):
    """Runs `function(*args, **kwargs)`, a generator function, on a QThread; reports by signals.

    stop: the threading.Event that quit() sets (a new one if not given); pass the same Event to
    a generator that can stop between its yields, too. aborts: exceptions that mean the
    generator stopped because it was asked to (reported as `aborted`, not `errored`).
    """

    yielded = QtCore.pyqtSignal(object)
    returned = QtCore.pyqtSignal(object)
    errored = QtCore.pyqtSignal(object)
    aborted = QtCore.pyqtSignal()
    finished = QtCore.pyqtSignal()

    def __init__(self, function, *args, stop: threading.Event | None = None, aborts=(), **kwargs):
        super().__init__()
        self._function, self._args, self._kwargs = function, args, kwargs
        self.stop = stop if stop is not None else threading.Event()
        self._aborts = tuple(aborts)
        self._thread: QtCore.QThread | None = None

    def start(self, parent: QtCore.QObject | None = None) -> None:
        """Run on a new QThread (a child of `parent`); garbage collection stays off until the
        worker is joined, or, parked, until its thread ends."""
        if self._thread is not None:
            raise RuntimeError("this worker is already running")
        thread = QtCore.QThread(parent)
        self.moveToThread(thread)
        thread.started.connect(self.work)
        self._thread = thread
        _hold_gc()  # before the thread starts
        thread.start()

    def quit(self) -> None:
        """Ask the generator to stop: it is closed at its next yield (and `stop` is set)."""
        self.stop.set()

    def join(self, timeout_ms: int | None = None) -> bool:
        """Ask it to stop and wait for its thread, at most `timeout_ms` (None: until it ends);
        True when the thread has ended (it is then released), False when it still runs."""
        thread = self._thread
        if thread is None:
            return True
        self.quit()
        thread.quit()
        if not (thread.wait() if timeout_ms is None else thread.wait(int(timeout_ms))):
            return False
        self._thread = None
        sip.transferto(thread, None)  # Qt deletes it
        thread.deleteLater()
        _release_gc()
        return True

    def park(self) -> None:
        """Its owner goes away while it still runs: nothing more is reported to anyone, and this
        module keeps it and its thread until the thread ends."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self.quit()
        thread.quit()
        for signal in (self.yielded, self.returned, self.errored, self.aborted, self.finished):
            try:
                signal.disconnect()
            except TypeError:  # nothing was connected
                pass
        _parking().park(thread, self)

    @QtCore.pyqtSlot()
    def work(self) -> None:
        """The thread's body: run the generator to its end, or until asked to stop."""
        gc.disable()  # process-wide, already off since start(); see the module's docstring
        try:
            generator = self._function(*self._args, **self._kwargs)
            while True:
                if self.stop.is_set():
                    generator.close()
                    self.aborted.emit()
                    return
                try:
                    value = next(generator)
                except StopIteration as end:
                    self.returned.emit(end.value)
                    return
                self.yielded.emit(value)
        except self._aborts:
            self.aborted.emit()
        except Exception as error:  # reported: a failed job must not take the window down
            self.errored.emit(error)
        finally:
            self.finished.emit()


class _ParkedRuns(QtCore.QObject):
    """Workers whose owner went away while their thread still ran, kept until it ends."""

    def __init__(self):
        super().__init__()
        self.runs: list = []

    def park(self, thread: QtCore.QThread, worker: GeneratorWorker) -> None:
        thread.setParent(None)
        self.runs.append((thread, worker))
        thread.finished.connect(self._reap, QtCore.Qt.ConnectionType.QueuedConnection)
        if thread.isFinished():  # it ended before the connection was made
            QtCore.QTimer.singleShot(0, self._reap)

    @QtCore.pyqtSlot()
    def _reap(self) -> None:
        ended = [run for run in self.runs if not run[0].isRunning()]
        for run in ended:
            thread = run[0]
            thread.wait()
            self.runs.remove(run)
            sip.transferto(thread, None)  # Qt deletes it, after this slot has returned
            thread.deleteLater()
            _release_gc()


_parked: _ParkedRuns | None = None


def _parking() -> _ParkedRuns:
    global _parked
    if _parked is None:
        _parked = _ParkedRuns()
    return _parked


def parked_runs() -> int:
    """How many parked workers' threads are still running."""
    return 0 if _parked is None else sum(1 for thread, _ in _parked.runs if thread.isRunning())


class LatestJobs(QtCore.QObject):
    """Runs plain functions on a GeneratorWorker, one at a time; a job asked for while one runs
    waits, replacing any that waited before it (each is superseded by the next request anyway).

        jobs = LatestJobs(parent)
        jobs.run(job, deliver, failed)   # deliver(job()) or failed(error), on the GUI thread
        jobs.busy                        # one runs or waits
        jobs.close(3000)                 # drop the waiting one; join the running one, else park it

    With `ready` (a callable), a job also waits, from the next turn of the event loop, while
    ready() is False, until `resume()` is called or `MOST_HELD_MS` have passed: the window's
    output convolution waits while a view draws new grids, so that its BLAS threads do not take
    the cores the GUI thread draws on.
    """

    MOST_HELD_MS = 1000

    def __init__(self, parent: QtCore.QObject | None = None, ready=None):
        super().__init__(parent)
        self._worker: GeneratorWorker | None = None
        self._waiting: tuple | None = None
        self._held: tuple | None = None
        self._ready = ready

    @property
    def busy(self) -> bool:
        return self._worker is not None or self._waiting is not None

    @property
    def waiting(self) -> bool:
        """A job waits for the running one to end (or for `ready`)."""
        return self._waiting is not None

    def run(self, job, deliver, failed=None) -> None:
        if self._worker is not None or self._ready is not None:
            self._waiting = (job, deliver, failed)
            if self._worker is None:
                self._hold()
            return
        self._start(job, deliver, failed)

    def resume(self) -> None:
        """Start the waiting job, if nothing runs and `ready` allows it."""
        if self._ready is None or self._ready():
            self._start_waiting()

    def _hold(self) -> None:
        """The waiting job starts when ready (asked from the next turn on) or when overdue."""
        self._held = self._waiting
        QtCore.QTimer.singleShot(0, self.resume)
        QtCore.QTimer.singleShot(self.MOST_HELD_MS, self._overdue)

    def _overdue(self) -> None:
        if self._waiting is self._held:
            self._start_waiting()

    def _start_waiting(self) -> None:
        if self._worker is None and self._waiting is not None:
            waiting, self._waiting = self._waiting, None
            self._start(*waiting)

    def _start(self, job, deliver, failed) -> None:
        def one_step():
            return job()
            yield  # noqa: B901 (one step: a generator for GeneratorWorker)

        worker = self._worker = GeneratorWorker(one_step)
        worker.returned.connect(deliver)
        if failed is not None:
            worker.errored.connect(failed)
        worker.finished.connect(self._done)
        worker.start(self)

    def _done(self) -> None:
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.join(5000)
        if self._waiting is not None:
            waiting, self._waiting = self._waiting, None
            self.run(*waiting)

    def close(self, timeout_ms: int = 3000) -> None:
        """Nothing more runs or is delivered; a job that cannot stop in `timeout_ms` is parked."""
        self._waiting = None
        worker, self._worker = self._worker, None
        if worker is None:
            return
        for signal in (worker.returned, worker.errored, worker.finished):
            try:
                signal.disconnect()
            except TypeError:  # nothing was connected
                pass
        if not worker.join(timeout_ms):
            worker.park()
