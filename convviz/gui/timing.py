"""The timing panel: the profiler run in a worker thread, bars of median time with spread,
a table of the records, and a sweep plot with the GPU/CPU crossover."""

from __future__ import annotations

import gc
import math
import threading

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtCore, QtWidgets, sip

BAR_COLOURS = {"numpy": "#4c6ef5", "cupy": "#2f9e44", "torch-cpu": "#f08c00", "torch-cuda": "#e8590c",
               "scipy-ndimage": "#ae3ec9", "scipy-signal": "#862e9c"}
SWEEP_SIZES = (8, 16, 32, 64, 128, 256, 512)


def _colour(backend: str) -> str:
    return BAR_COLOURS.get(backend, "#495057")


_gc_holds = 0


def _hold_gc() -> None:
    """No automatic garbage collection while any worker runs: see ProfileWorker.run."""
    global _gc_holds
    _gc_holds += 1
    gc.disable()


def _release_gc() -> None:
    global _gc_holds
    _gc_holds = max(0, _gc_holds - 1)
    if _gc_holds == 0:
        gc.enable()


class _ParkedRuns(QtCore.QObject):
    """Runs whose window closed while a convolution was still going.

    A convolution cannot be interrupted, and Qt aborts the process when a QThread object is
    destroyed while its thread runs; so the thread and its worker are kept here, owned by
    nobody else, until the thread ends. Each keeps its hold on the garbage collector until then."""

    def __init__(self):
        super().__init__()
        self.runs: list = []

    def park(self, thread: QtCore.QThread, worker: QtCore.QObject) -> None:
        thread.setParent(None)
        self.runs.append((thread, worker))
        thread.finished.connect(self._reap, QtCore.Qt.ConnectionType.QueuedConnection)

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
    """How many threads of closed windows are still running."""
    return 0 if _parked is None else sum(1 for thread, _ in _parked.runs if thread.isRunning())


class ProfileWorker(QtCore.QObject):
    """Runs `job(progress, cancel, skipped, partial) -> records` on its thread; reports by signals.

    `partial(records)` may be called with the records so far (a profile record by record, a sweep
    size by size)."""

    progress = QtCore.pyqtSignal(int, int, str)
    partial = QtCore.pyqtSignal(object)
    done = QtCore.pyqtSignal(object, object)
    failed = QtCore.pyqtSignal(str)
    cancelled = QtCore.pyqtSignal()

    def __init__(self, job, cancel: threading.Event):
        super().__init__()
        self.job, self.cancel = job, cancel

    def run(self) -> None:
        from ..profiling import Cancelled

        # No garbage collection on this thread (the panel disabled it before starting us and turns
        # it back on, on the GUI thread, when the run ends): a collection here could destroy Qt
        # objects of the GUI thread (closed windows, their timers) from the wrong thread, and Qt
        # then crashes later on a timer of a deleted object.
        gc.disable()
        skipped: list = []
        try:
            records = self.job(lambda done, total, message: self.progress.emit(int(done), int(total), str(message)),
                               self.cancel, skipped, lambda found: self.partial.emit(list(found)))
        except Cancelled:
            self.cancelled.emit()
        except Exception as error:  # shown in the panel: a failed benchmark must not take the window down
            self.failed.emit(f"{type(error).__name__}: {error}")
        else:
            self.done.emit(records, skipped)


class TimingPanel(QtWidgets.QWidget):
    """Time the session's spec (or sweep its input size) on every available backend, live."""

    finished = QtCore.pyqtSignal()
    """Emitted when a run ends, however it ended."""
    sweep_updated = QtCore.pyqtSignal(int)
    """Emitted with the number of sweep records each time the sweep plot grows."""
    bars_updated = QtCore.pyqtSignal(int)
    """Emitted with the number of records so far each time the bars grow during a run."""

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.profile_options: dict = {}
        """Extra keyword arguments for profile()/sweep() (tests pass a tiny min_time_s)."""
        self.shutdown_wait_ms = 3000
        """How long closing the window waits for a cancelled run to end."""
        self.records: list = []
        self.sweep_records: list = []
        self._thread: QtCore.QThread | None = None
        self._worker: ProfileWorker | None = None
        self._cancel = threading.Event()

        self.time_button = QtWidgets.QPushButton("Time this spec")
        self.time_button.setToolTip("Time the current spec on every available backend (Ctrl+T)")
        self.sweep_button = QtWidgets.QPushButton("Sweep input size")
        self.sweep_button.setToolTip("Time input sizes 8…512 (channels, kernel, stride, padding as set)")
        self.cancel_button = QtWidgets.QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.peers_box = QtWidgets.QCheckBox("PyTorch/SciPy peers")
        self.peers_box.setToolTip("Also time PyTorch and SciPy where they are installed")
        self.algorithms_box = QtWidgets.QCheckBox("all algorithms")
        self.algorithms_box.setToolTip("Time every algorithm of each backend, not only the one it would choose")
        self.min_time = QtWidgets.QDoubleSpinBox()
        self.min_time.setRange(0.01, 10.0)
        self.min_time.setValue(0.2)
        self.min_time.setSuffix(" s")
        self.min_time.setToolTip("Least timed work per backend")
        self.progress = QtWidgets.QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.status = QtWidgets.QLabel("Not run yet.")
        self.status.setWordWrap(True)
        self.status.setObjectName("timing_status")
        self.backends_label = QtWidgets.QLabel()
        self.backends_label.setWordWrap(True)
        self.backends_label.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.ratio_label = QtWidgets.QLabel("")
        self.ratio_label.setWordWrap(True)

        side = QtWidgets.QVBoxLayout()
        buttons = QtWidgets.QHBoxLayout()
        buttons.addWidget(self.time_button)
        buttons.addWidget(self.sweep_button)
        buttons.addWidget(self.cancel_button)
        side.addLayout(buttons)
        options = QtWidgets.QHBoxLayout()
        options.addWidget(QtWidgets.QLabel("min time"))
        options.addWidget(self.min_time)
        options.addWidget(self.peers_box)
        options.addWidget(self.algorithms_box)
        options.addStretch(1)
        side.addLayout(options)
        side.addWidget(self.progress)
        side.addWidget(self.status)
        side.addWidget(self.ratio_label)
        side.addWidget(self.backends_label)
        side.addStretch(1)
        side_widget = QtWidgets.QWidget()
        side_widget.setLayout(side)
        side_widget.setMaximumWidth(420)

        self.bar_plot = pg.PlotWidget(background="w")
        self.bar_plot.setMenuEnabled(False)
        self.bar_plot.setMouseEnabled(False, False)
        self.bar_plot.setLabel("bottom", "median time (ms), whiskers p10–p90")
        self.bar_plot.getViewBox().invertY(True)
        self.bar_plot.showGrid(x=True, y=False, alpha=0.3)
        self.bar_plot.getAxis("bottom").enableAutoSIPrefix(False)
        self.bar_items: list = []
        self._placeholder()
        self.table = QtWidgets.QTableWidget(0, 8)
        self.table.setHorizontalHeaderLabels(
            ["backend", "algorithm", "kind", "median ms", "p10–p90 ms", "GFLOP/s", "roofline", "correct"])
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.sweep_plot = pg.PlotWidget(background="w")
        self.sweep_plot.setMenuEnabled(False)
        self.sweep_plot.setLogMode(True, True)
        self.sweep_plot.setLabel("bottom", "input height = width")
        self.sweep_plot.setLabel("left", "end-to-end median (ms)")
        self.sweep_plot.addLegend(offset=(10, 10))
        self.sweep_plot.showGrid(x=True, y=True, alpha=0.3)
        for side in ("bottom", "left"):
            self.sweep_plot.getAxis(side).enableAutoSIPrefix(False)
        self.tabs = QtWidgets.QTabWidget()
        self.tabs.addTab(self.bar_plot, "Bars")
        self.tabs.addTab(self.table, "Table")
        self.tabs.addTab(self.sweep_plot, "Sweep")

        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(side_widget)
        layout.addWidget(self.tabs, 1)

        self.time_button.clicked.connect(lambda: self.start_profile())
        self.sweep_button.clicked.connect(lambda: self.start_sweep())
        self.cancel_button.clicked.connect(self.cancel)
        self.show_backends()

    # availability ------------------------------------------------------------------------------
    def show_backends(self) -> None:
        from ..backends import all_backends

        lines = []
        for name, backend in all_backends().items():
            status = backend.available()
            if status:
                lines.append(f"<b>{name}</b>: ready ({getattr(backend, 'device', '')})")
            else:
                lines.append(f"<b>{name}</b>: <span style='color:#c92a2a'>not available</span> — {status.reason}")
        self.backends_label.setText("<br>".join(lines))

    # running -----------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._thread is not None

    def _options(self) -> dict:
        options = {"min_time_s": float(self.min_time.value()), "include_peers": self.peers_box.isChecked()}
        if self.algorithms_box.isChecked():
            options["algorithms"] = "all"
        options.update(self.profile_options)
        return options

    def start_profile(self, backends=None) -> bool:
        from ..profiling import profile

        spec, options = self.session.spec, self._options()

        def job(progress, cancel, skipped, partial):
            found = []

            def on_record(record):
                found.append(record)
                partial(found)

            return profile(spec, backends=backends, progress=progress, cancel=cancel, skipped=skipped,
                           on_record=on_record, **options)

        return self._start(job, "profile", f"timing {spec.describe()}")

    def start_sweep(self, sizes=SWEEP_SIZES, backends=None) -> bool:
        from ..profiling import sweep

        spec, options = self.session.spec, self._options()
        sizes = list(sizes)

        def job(progress, cancel, skipped, partial):
            # one size at a time, so the plot grows while the sweep runs
            found = []
            for index, size in enumerate(sizes):
                def scaled(done, total, message, index=index):
                    fraction = done / total if total else 1.0
                    progress(int((index + fraction) * 1000), len(sizes) * 1000, message)

                found += sweep(spec, "input-size", [size], backends=backends, progress=scaled, cancel=cancel,
                               skipped=skipped, **options)
                partial(found)
            return found

        return self._start(job, "sweep", f"sweeping input size {sizes[0]}…{sizes[-1]}")

    def _start(self, job, what: str, message: str) -> bool:
        if self.running:
            return False
        self._cancel = threading.Event()
        self._what = what
        self._thread = QtCore.QThread(self)
        self._worker = ProfileWorker(job, self._cancel)
        self._worker.moveToThread(self._thread)
        self._thread.started.connect(self._worker.run)
        self._worker.progress.connect(self._on_progress)
        self._worker.partial.connect(self._on_partial)
        self._worker.done.connect(self._on_done)
        self._worker.failed.connect(self._on_failed)
        self._worker.cancelled.connect(self._on_cancelled)
        self.time_button.setEnabled(False)
        self.sweep_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress.setRange(0, 0)
        self.status.setText(message + " …")
        self.tabs.setCurrentWidget(self.sweep_plot if what == "sweep" else self.bar_plot)  # once: the user may look elsewhere
        _hold_gc()  # before the thread starts: see ProfileWorker.run
        self._thread.start()
        return True

    def cancel(self) -> None:
        if self.running:
            self._cancel.set()
            self.status.setText("cancelling after the current run …")

    def shutdown(self, timeout_ms: int | None = None) -> bool:
        """Cancel a run and wait for its thread (the window is closing); False when it had to
        be parked still running (one convolution can outlast the wait)."""
        thread = self._thread
        if thread is None:
            return True
        self._cancel.set()
        thread.quit()
        if thread.wait(self.shutdown_wait_ms if timeout_ms is None else timeout_ms):
            self._finish()
            self.status.setText("cancelled")
            self.finished.emit()
            return True
        self._park()
        return False

    def _park(self) -> None:
        worker = self._worker
        for signal in (worker.progress, worker.partial, worker.done, worker.failed, worker.cancelled):
            signal.disconnect()
        _parking().park(self._thread, worker)
        self._thread, self._worker = None, None
        self._show_idle()
        self.status.setText("left the cancelled run to end on its own")
        self.finished.emit()

    def _on_progress(self, done: int, total: int, message: str) -> None:
        if not self.running:
            return
        if total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(min(done, total))
        self.status.setText(message)

    def _on_partial(self, records) -> None:
        if not self.running:
            return
        if self._what == "sweep":
            self.sweep_records = list(records)
            self.show_sweep(self.sweep_records)
            self.sweep_updated.emit(len(self.sweep_records))
        else:
            self.records = list(records)
            self.show_records(self.records)
            self.bars_updated.emit(len(self.records))

    def _finish(self) -> bool:
        """End the run on the GUI side; False when it has already ended (a late signal)."""
        thread = self._thread
        if thread is None:
            return False
        self._thread, self._worker = None, None
        thread.quit()
        thread.wait()
        thread.deleteLater()
        _release_gc()
        self._show_idle()
        return True

    def _show_idle(self) -> None:
        self.time_button.setEnabled(True)
        self.sweep_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        if self.progress.maximum() == 0:
            self.progress.setRange(0, 1)

    def _on_done(self, records, skipped) -> None:
        what = self._what
        if not self._finish():
            return
        self.progress.setValue(self.progress.maximum())
        notes = list(dict.fromkeys(f"{item.backend}: {item.reason}" for item in skipped))
        if what == "sweep":
            self.sweep_records = list(records)
            self.show_sweep(self.sweep_records)
            self.tabs.setCurrentWidget(self.sweep_plot)
        else:
            self.records = list(records)
            self.show_records(self.records)
            self.tabs.setCurrentWidget(self.bar_plot)
        text = f"done: {len(records)} timings"
        if notes:
            text += " · skipped " + "; ".join(notes)
        self.status.setText(text)
        self.finished.emit()

    def _on_failed(self, message: str) -> None:
        if self._finish():
            self.status.setText(f"failed: {message}")
            self.finished.emit()

    def _on_cancelled(self) -> None:
        if not self._finish():
            return
        self.progress.setValue(0)
        self.status.setText("cancelled")
        self.finished.emit()

    # drawing -----------------------------------------------------------------------------------
    def _placeholder(self) -> None:
        hint = pg.TextItem("Press “Time this spec” (Ctrl+T) to time the current convolution\n"
                           "on every backend, or “Sweep input size” for time against size.",
                           color="#666", anchor=(0.5, 0.5))
        self.bar_plot.addItem(hint)
        hint.setPos(0.5, 0.5)
        self.bar_plot.setXRange(0, 1)
        self.bar_plot.setYRange(0, 1)
        self.bar_plot.getAxis("left").setTicks([[], []])

    def show_records(self, records) -> None:
        plot = self.bar_plot
        plot.clear()
        self.bar_items = []
        records = sorted(records, key=lambda r: (r.kind != "end-to-end", r.backend, r.algorithm))
        self._fill_table(records)
        self.ratio_label.setText(self._ratio_text(records))
        records, host = self._one_bar_per_timing(records)
        if not records:
            return
        medians = np.array([r.median_ms for r in records])
        positions = np.arange(len(records), dtype=float)
        for index, record in enumerate(records):
            bar = pg.BarGraphItem(x0=[0], y=[positions[index]], height=0.6, width=[record.median_ms],
                                  brush=_colour(record.backend), pen=pg.mkPen("#333"))
            plot.addItem(bar)
            self.bar_items.append(bar)
        low = medians - np.array([r.p10_ms for r in records])
        high = np.array([r.p90_ms for r in records]) - medians
        plot.addItem(pg.ErrorBarItem(x=medians, y=positions, left=np.maximum(low, 0), right=np.maximum(high, 0),
                                     beam=0.25, pen=pg.mkPen("#111", width=1.5)))
        ticks = []
        for position, record in zip(positions, records):
            rate = record.rate_text(".3g")
            rate = "" if rate == "—" else rate if rate.endswith("GB/s") else f"{rate} GFLOP/s"
            mark = "" if record.correct else " ✗ WRONG"
            kind = "kernel = end-to-end" if (record.backend, record.algorithm) in host else record.kind
            ticks.append((position, f"{record.backend} {record.algorithm} ({kind}) · {rate}{mark}"))
        plot.getAxis("left").setTicks([ticks, []])
        plot.setXRange(0, float(np.max(medians + np.maximum(high, 0))) * 1.1 or 1.0, padding=0)
        plot.setYRange(-0.6, len(records) - 0.4, padding=0)

    @staticmethod
    def _one_bar_per_timing(records):
        """The records to draw as bars, and the (backend, algorithm) of host backends: a host
        backend's kernel and end-to-end records are one timing, drawn as one bar among the
        end-to-end ones (also while a live run has reported only one of the two)."""
        host = {(r.backend, r.algorithm) for r in records if r.note}
        bars, seen = [], set()
        for record in sorted(records, key=lambda r: (r.kind != "end-to-end" and (r.backend, r.algorithm) not in host,
                                                     r.backend, r.algorithm)):
            key = (record.backend, record.algorithm)
            if key in host and key in seen:
                continue
            seen.add(key)
            bars.append(record)
        return bars, host

    def _fill_table(self, records) -> None:
        self.table.setRowCount(len(records))
        for row, record in enumerate(records):
            roofline = "" if record.roofline_fraction is None else f"{record.roofline_fraction:.1%}"
            values = [record.backend, record.algorithm, record.kind, f"{record.median_ms:.4g}",
                      f"{record.p10_ms:.4g}–{record.p90_ms:.4g}", record.rate_text(".3g"), roofline,
                      "yes" if record.correct else f"NO (error {record.max_error:.2g})"]
            for col, value in enumerate(values):
                self.table.setItem(row, col, QtWidgets.QTableWidgetItem(value))
        self.table.resizeColumnsToContents()

    @staticmethod
    def _ratio_text(records) -> str:
        from ..backends import get_backend
        from ..profiling.compare import copy_share, fastest_median

        parts = []
        for kind in ("end-to-end", "kernel"):
            gpu, cpu = fastest_median(records, "cupy", kind), fastest_median(records, "numpy", kind)
            if gpu is not None and cpu is not None and cpu > 0:
                parts.append(f"GPU/CPU time ({kind}): {gpu / cpu:.3g}× ({'GPU' if gpu < cpu else 'CPU'} faster)")
        copies = copy_share(records)
        if copies is not None:
            parts.append(f"GPU copies: in {copies.copy_in_ms:.3g} ms + out {copies.copy_out_ms:.3g} ms, "
                         f"{copies.share:.0%} of the GPU's end-to-end time")
        if not parts:
            status = get_backend("cupy").available()
            if not status:
                return f"GPU/CPU ratio: no GPU here — {status.reason}"
        return "<br>".join(parts)

    def show_sweep(self, records) -> None:
        from ..profiling import crossover

        plot = self.sweep_plot
        plot.clear()
        by_backend: dict[str, dict[int, float]] = {}
        for record in records:
            if record.kind != "end-to-end" or record.sweep_value is None:
                continue
            values = by_backend.setdefault(record.backend, {})
            values[record.sweep_value] = min(values.get(record.sweep_value, math.inf), record.median_ms)
        for backend, values in by_backend.items():
            sizes = sorted(values)
            plot.plot(sizes, [values[size] for size in sizes], name=backend, symbol="o",
                      pen=pg.mkPen(_colour(backend), width=2), symbolBrush=_colour(backend))
        point = crossover(records)
        if point is not None:
            line = pg.InfiniteLine(pos=math.log10(point), angle=90, pen=pg.mkPen("#c92a2a", width=2,
                                                                                style=QtCore.Qt.PenStyle.DashLine),
                                   label=f"GPU faster from {point}", labelOpts={"color": "#c92a2a"})
            plot.addItem(line)
        self.ratio_label.setText(
            f"crossover: the GPU wins end to end from input {point}×{point}" if point is not None
            else self._ratio_text(records))
