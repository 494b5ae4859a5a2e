"""The timing panel: the profiler's generator run by a worker, bars of median time with spread,
a table of the records, and a sweep plot with the GPU/CPU crossover.

What the records say (ratios, labels, which records are one bar) comes from
convviz.profiling.results; this widget places it."""

from __future__ import annotations

import math
import threading

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtCore, QtWidgets

from ..profiling import results
from ..profiling.events import Cancelled, Progress, Skipped, SweptValue
from ..profiling.records import Measurement
from .worker import GeneratorWorker

SWEEP_SIZES = (8, 16, 32, 64, 128, 256, 512)
PALETTE = ("#0072B2", "#009E73", "#E69F00", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
"""Okabe and Ito's colour-blind-safe colours: blue, bluish green, orange, vermillion, reddish
purple, sky blue, yellow, black; given to the known backends in their order."""
OTHER_COLOUR = "#495057"


def backend_marker(backend: str) -> str:
    """The marker of a backend's sweep line, so that colour is not the only cue."""
    from ..profiling import known_names
    from .theme import SERIES_MARKERS

    names = known_names()
    return SERIES_MARKERS[names.index(backend) % len(SERIES_MARKERS)] if backend in names else "x"


def backend_colour(backend: str) -> str:
    """The colour of a backend's bars and lines: by its place among the backends the profiler knows."""
    from ..profiling import known_names

    names = known_names()
    return PALETTE[names.index(backend) % len(PALETTE)] if backend in names else OTHER_COLOUR


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
        """Extra keyword arguments for profile_events()/sweep_events() (tests pass a tiny min_time_s)."""
        self.shutdown_wait_ms = 3000
        """How long closing the window waits for a cancelled run to end."""
        self.records: list = []
        self.sweep_records: list = []
        self._worker: GeneratorWorker | None = None
        self._cancel = threading.Event()
        self._what = "profile"  # or "sweep": what the running (or last) worker does
        self._found: list = []  # its records so far
        self._skipped: list = []  # what it skipped so far

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
        self.table = QtWidgets.QTableWidget(0, len(results.TABLE_COLUMNS))
        self.table.setHorizontalHeaderLabels(list(results.TABLE_COLUMNS))
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
                lines.append(f"<b>{name}</b>: ready ({backend.device})")
            else:
                lines.append(f"<b>{name}</b>: <span style='color:#c92a2a'>not available</span> — {status.reason}")
        self.backends_label.setText("<br>".join(lines))

    # running -----------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._worker is not None

    def _options(self) -> dict:
        options = {"min_time_s": float(self.min_time.value()), "include_peers": self.peers_box.isChecked()}
        if self.algorithms_box.isChecked():
            options["algorithms"] = "all"
        options.update(self.profile_options)
        return options

    def start_profile(self, backends=None) -> bool:
        from ..profiling import profile_events

        spec, options = self.session.spec, self._options()
        return self._start(lambda cancel: profile_events(spec, backends=backends, cancel=cancel, **options),
                           "profile", f"timing {spec.describe()}")

    def start_sweep(self, sizes=SWEEP_SIZES, backends=None) -> bool:
        from ..profiling import sweep_events

        spec, options, sizes = self.session.spec, self._options(), list(sizes)
        return self._start(lambda cancel: sweep_events(spec, "input-size", sizes, backends=backends, cancel=cancel,
                                                       **options),
                           "sweep", f"sweeping input size {sizes[0]}…{sizes[-1]}")

    def _start(self, job, what: str, message: str) -> bool:
        """Run `job(cancel)`, a generator of the profiler's events returning the records, on a worker."""
        if self.running:
            return False
        self._cancel = threading.Event()
        self._what, self._found, self._skipped = what, [], []
        self._worker = GeneratorWorker(job, self._cancel, stop=self._cancel, aborts=(Cancelled,))
        self._worker.yielded.connect(self._on_event)
        self._worker.returned.connect(self._on_returned)
        self._worker.errored.connect(self._on_errored)
        self._worker.aborted.connect(self._on_aborted)
        self.time_button.setEnabled(False)
        self.sweep_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress.setRange(0, 0)
        self.status.setText(message + " …")
        self.tabs.setCurrentWidget(self.sweep_plot if what == "sweep" else self.bar_plot)  # once: the user may look elsewhere
        self._worker.start(self)
        return True

    def cancel(self) -> None:
        if self.running:
            self._worker.quit()
            self.status.setText("cancelling after the current run …")

    def shutdown(self, timeout_ms: int | None = None) -> bool:
        """Cancel a run and wait for its thread (the window is closing); False when it had to
        be parked still running (one convolution can outlast the wait)."""
        worker = self._worker
        if worker is None:
            return True
        if worker.join(self.shutdown_wait_ms if timeout_ms is None else timeout_ms):
            self._worker = None
            self._show_idle()
            self.status.setText("cancelled")
            self.finished.emit()
            return True
        self._worker = None
        worker.park()
        self._show_idle()
        self.status.setText("left the cancelled run to end on its own")
        self.finished.emit()
        return False

    def _current(self) -> bool:
        """Whether the signal being handled comes from the running worker (not a late one)."""
        return self._worker is not None and self.sender() is self._worker

    @QtCore.pyqtSlot(object)
    def _on_event(self, event) -> None:
        if not self._current():
            return
        if isinstance(event, Progress):
            if event.total > 0:
                self.progress.setRange(0, event.total)
                self.progress.setValue(min(event.done, event.total))
            self.status.setText(event.message)
        elif isinstance(event, Skipped):
            self._skipped.append(event)
        elif isinstance(event, SweptValue):
            self._found.extend(event.records)
            self.sweep_records = list(self._found)
            self.show_sweep(self.sweep_records)
            self.sweep_updated.emit(len(self.sweep_records))
        elif isinstance(event, Measurement) and self._what == "profile":
            self._found.append(event)
            self.records = list(self._found)
            self.show_records(self.records)
            self.bars_updated.emit(len(self.records))

    def _finish(self) -> None:
        """End the run on the GUI side: its thread has ended or is about to."""
        worker, self._worker = self._worker, None
        worker.join()
        self._show_idle()

    def _show_idle(self) -> None:
        self.time_button.setEnabled(True)
        self.sweep_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        if self.progress.maximum() == 0:
            self.progress.setRange(0, 1)

    @QtCore.pyqtSlot(object)
    def _on_returned(self, records) -> None:
        if not self._current():
            return
        self._finish()
        self.progress.setValue(self.progress.maximum())
        if self._what == "sweep":
            self.sweep_records = list(records)
            self.show_sweep(self.sweep_records)
            self.tabs.setCurrentWidget(self.sweep_plot)
        else:
            self.records = list(records)
            self.show_records(self.records)
            self.tabs.setCurrentWidget(self.bar_plot)
        self.status.setText(results.run_summary(records, self._skipped))
        self.finished.emit()

    @QtCore.pyqtSlot(object)
    def _on_errored(self, error) -> None:
        if self._current():
            self._finish()
            self.status.setText(f"failed: {type(error).__name__}: {error}")
            self.finished.emit()

    @QtCore.pyqtSlot()
    def _on_aborted(self) -> None:
        if self._current():
            self._finish()
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
        self._fill_table(results.table_order(records))
        self.ratio_label.setText("<br>".join(results.comparison_lines(records)))
        bars = results.bars(records)
        if not bars:
            return
        shown = [bar.record for bar in bars]
        medians = np.array([record.median_ms for record in shown])
        positions = np.arange(len(shown), dtype=float)
        for position, record in zip(positions, shown):
            item = pg.BarGraphItem(x0=[0], y=[position], height=0.6, width=[record.median_ms],
                                   brush=backend_colour(record.backend), pen=pg.mkPen("#333"))
            plot.addItem(item)
            self.bar_items.append(item)
        low = np.maximum(medians - np.array([record.p10_ms for record in shown]), 0)
        high = np.maximum(np.array([record.p90_ms for record in shown]) - medians, 0)
        plot.addItem(pg.ErrorBarItem(x=medians, y=positions, left=low, right=high,
                                     beam=0.25, pen=pg.mkPen("#111", width=1.5)))
        plot.getAxis("left").setTicks([[(position, bar.label) for position, bar in zip(positions, bars)], []])
        plot.setXRange(0, float(np.max(medians + high)) * 1.1 or 1.0, padding=0)
        plot.setYRange(-0.6, len(shown) - 0.4, padding=0)

    def _fill_table(self, records) -> None:
        self.table.setRowCount(len(records))
        for row, record in enumerate(records):
            for col, value in enumerate(results.table_row(record)):
                self.table.setItem(row, col, QtWidgets.QTableWidgetItem(value))
        self.table.resizeColumnsToContents()

    def show_sweep(self, records) -> None:
        plot = self.sweep_plot
        plot.clear()
        for backend, points in results.sweep_series(records).items():
            colour = backend_colour(backend)
            plot.plot([point.value for point in points], [point.median_ms for point in points], name=backend,
                      symbol=backend_marker(backend), pen=pg.mkPen(colour, width=2), symbolBrush=colour)
        point = results.sweep_crossover(records)
        if point is not None:
            line = pg.InfiniteLine(pos=math.log10(point), angle=90, pen=pg.mkPen("#c92a2a", width=2,
                                                                                style=QtCore.Qt.PenStyle.DashLine),
                                   label=results.crossover_mark(point), labelOpts={"color": "#c92a2a"})
            plot.addItem(line)
        self.ratio_label.setText("<br>".join(results.input_size_sweep_lines(records)))
