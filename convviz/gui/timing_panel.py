"""The timing panel: the profiler's generator run by a worker, bars of median time with spread,
a table of the records, and a sweep plot with the GPU/CPU crossover.

What the records say (ratios, labels, which records are one bar) comes from
convviz.profiling.results; this widget places it."""

from __future__ import annotations

import math
import threading

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtCore, QtGui, QtWidgets

from ..profiling import results
from ..profiling.events import Cancelled, Progress, Skipped, SweptValue
from ..profiling.machine import available_cpus, default_threads
from ..profiling.records import Measurement
from ..session import SPEC
from .worker import GeneratorWorker

SWEEP_SIZES = (8, 16, 32, 64, 128, 256, 512)
PALETTE = ("#0072B2", "#009E73", "#E69F00", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
"""Okabe and Ito's colour-blind-safe colours: blue, bluish green, orange, vermillion, reddish
purple, sky blue, yellow, black; given to the known backends in their order."""
OTHER_COLOUR = "#495057"
STALE_COLOUR = "#b8b8b8"
"""Bars, lines and text of results timed for another spec than the current one."""
SYMBOLS = ("o", "s", "t", "d", "star", "p", "h", "x")


def backend_symbol(backend: str) -> str:
    """The marker of a backend's sweep line: by its place among the backends the profiler knows."""
    from ..profiling import known_names

    names = known_names()
    return SYMBOLS[names.index(backend) % len(SYMBOLS)] if backend in names else "o"


def log_ticks(low: float, high: float) -> list[tuple[float, str]]:
    """Ticks for a log axis from `low` to `high` (positive), as (log10 position, label): the
    decades, and 2 and 5 within them when the range spans at most two decades."""
    first, last = math.floor(math.log10(low)), math.ceil(math.log10(high))
    steps = (1, 2, 5) if last - first <= 2 else (1,)
    ticks = []
    for exponent in range(first, last + 1):
        for step in steps:
            value = step * 10.0**exponent
            if low / 1.0001 <= value <= high * 1.0001 or step == 1:
                ticks.append((math.log10(value), f"{value:g}"))
    return ticks


def backend_colour(backend: str) -> str:
    """The colour of a backend's bars and lines: by its place among the backends the profiler knows."""
    from ..profiling import known_names

    names = known_names()
    return PALETTE[names.index(backend) % len(PALETTE)] if backend in names else OTHER_COLOUR


def _load_now() -> str:
    """The load as a run starts, and what it means for the timings."""
    from ..profiling.machine import load_average
    from ..profiling.stats import busy_load

    load = load_average()
    if not load:
        return ""
    cpus = available_cpus()
    verdict = " — busy: its timings will be marked unstable" if busy_load(load[0], cpus) else ""
    return f" (load {load[0]:.2f} on {cpus} CPUs{verdict})"


class TimingPanel(QtWidgets.QWidget):
    """Time the session's spec (or sweep its input size) on every available backend, live."""

    started = QtCore.pyqtSignal()
    """Emitted when a run starts, however it was started (the window shows the timing dock)."""
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
        self._running_spec = None
        self._cancel = threading.Event()
        self._what = "profile"  # or "sweep": what the running (or last) worker does
        self._found: list = []  # its records so far
        self._skipped: list = []  # what it skipped so far

        self.time_button = QtWidgets.QPushButton("Time this spec")
        self.time_button.setToolTip("Time the current operation (convolution, transposed convolution, pooling, "
                                    "groups) on every available backend (Ctrl+T)")
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
        self.min_time.setToolTip("Least timed work per backend; repeats go on (up to 5×) while the spread is large")
        self.threads = QtWidgets.QSpinBox()
        self.threads.setRange(1, 4 * available_cpus())
        self.threads.setValue(default_threads())
        self.threads.setToolTip(f"Threads for NumPy's BLAS and for PyTorch (this machine: {available_cpus()} CPUs). "
                                "On a busy machine, fewer threads give steadier timings.")
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
        self.stability_label = QtWidgets.QLabel("")
        self.stability_label.setWordWrap(True)
        self.stability_label.setObjectName("timing_stability")
        self._records_spec = None  # the spec self.records were timed for
        self._sweep_spec = None  # the spec self.sweep_records were swept from
        self._summary = ""  # the status line of the last finished profile run
        self._sweep_summary = ""  # and of the last sweep

        side = QtWidgets.QVBoxLayout()
        buttons = QtWidgets.QHBoxLayout()
        buttons.addWidget(self.time_button)
        buttons.addWidget(self.sweep_button)
        buttons.addWidget(self.cancel_button)
        side.addLayout(buttons)
        options = QtWidgets.QHBoxLayout()
        options.addWidget(QtWidgets.QLabel("min time"))
        options.addWidget(self.min_time)
        options.addWidget(QtWidgets.QLabel("threads"))
        options.addWidget(self.threads)
        options.addStretch(1)
        side.addLayout(options)
        choices = QtWidgets.QHBoxLayout()
        choices.addWidget(self.peers_box)
        choices.addWidget(self.algorithms_box)
        choices.addStretch(1)
        side.addLayout(choices)
        side.addWidget(self.progress)
        side.addWidget(self.status)
        side.addWidget(self.stability_label)
        side.addWidget(self.ratio_label)
        side.addWidget(self.backends_label)
        side.addStretch(1)
        side_widget = QtWidgets.QWidget()
        side_widget.setLayout(side)
        side_scroll = QtWidgets.QScrollArea()  # a low dock (a projector's 768 rows) scrolls, never squeezes
        side_scroll.setWidget(side_widget)
        side_scroll.setWidgetResizable(True)
        side_scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        side_scroll.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        side_scroll.setMaximumWidth(420)
        side_scroll.setMinimumWidth(min(420, side_widget.sizeHint().width() + 16))

        self.bar_plot = pg.PlotWidget(background="w")
        self.bar_plot.setMenuEnabled(False)
        self.bar_plot.setMouseEnabled(False, False)
        self.bar_plot.setLabel("bottom", "median time (ms), whiskers p10–p90")
        self.bar_plot.getViewBox().invertY(True)
        self.bar_plot.showGrid(x=True, y=False, alpha=0.3)
        self.bar_plot.getAxis("bottom").enableAutoSIPrefix(False)
        self.bar_items: list = []
        self.bar_texts: list = []
        self._bar_extent = None
        self.bar_plot.getPlotItem().getViewBox().sigResized.connect(self._fit_bars)
        self._placeholder()
        self.table = QtWidgets.QTableWidget(0, len(results.TABLE_COLUMNS))
        self.table.setHorizontalHeaderLabels(list(results.TABLE_COLUMNS))
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.sweep_plot = pg.PlotWidget(background="w")
        self.sweep_plot.setMenuEnabled(False)
        self.sweep_plot.setLogMode(True, True)
        self.sweep_plot.setLabel("bottom", "input height = width (hollow marker: unstable timing)")
        self.sweep_plot.setLabel("left", "end-to-end median (ms)")
        self.sweep_legend = pg.LegendItem(labelTextColor="#222")
        self.sweep_legend.setSizePolicy(QtWidgets.QSizePolicy.Policy.Preferred, QtWidgets.QSizePolicy.Policy.Fixed)
        layout = self.sweep_plot.getPlotItem().layout
        layout.addItem(self.sweep_legend, 2, 3)  # beside the data, never on it
        layout.setAlignment(self.sweep_legend, QtCore.Qt.AlignmentFlag.AlignTop)
        self.sweep_plot.showGrid(x=True, y=True, alpha=0.3)
        for side in ("bottom", "left"):
            self.sweep_plot.getAxis(side).enableAutoSIPrefix(False)
        self.tabs = QtWidgets.QTabWidget()
        self.tabs.addTab(self.bar_plot, "Bars")
        self.tabs.addTab(self.table, "Table")
        self.tabs.addTab(self.sweep_plot, "Sweep")

        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(side_scroll)
        layout.addWidget(self.tabs, 1)

        self.time_button.clicked.connect(lambda: self.start_profile())
        self.sweep_button.clicked.connect(lambda: self.start_sweep())
        self.cancel_button.clicked.connect(self.cancel)
        self.show_backends()
        self.tabs.currentChanged.connect(lambda _: self._show_staleness())
        session.subscribe(self._on_session_change)
        self.destroyed.connect(lambda *_: session.unsubscribe(self._on_session_change))

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
        options = {"min_time_s": float(self.min_time.value()), "include_peers": self.peers_box.isChecked(),
                   "threads": int(self.threads.value())}
        if self.algorithms_box.isChecked():
            options["algorithms"] = "all"
        options.update(self.profile_options)
        return options

    def start_profile(self, backends=None) -> bool:
        from ..profiling import profile_events

        spec, options = self.session.spec, self._options()
        self._running_spec = spec
        return self._start(lambda cancel: profile_events(spec, backends=backends, cancel=cancel, **options),
                           "profile", f"timing {spec.describe()} with {options['threads']} threads")

    def start_sweep(self, sizes=SWEEP_SIZES, backends=None) -> bool:
        from ..profiling import sweep_events

        spec, options, sizes = self.session.spec, self._options(), list(sizes)
        self._running_spec = spec
        return self._start(lambda cancel: sweep_events(spec, "input-size", sizes, backends=backends, cancel=cancel,
                                                       **options),
                           "sweep", f"sweeping input size {sizes[0]}…{sizes[-1]}")

    def _start(self, job, what: str, message: str) -> bool:
        """Run `job(cancel)`, a generator of the profiler's events returning the records, on a worker."""
        if self.running:
            return False
        if what == "profile":
            self._records_spec, self.records = self._running_spec, []
        else:
            self._sweep_spec, self.sweep_records = self._running_spec, []
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
        self.status.setText(message + " …" + _load_now())
        self.tabs.setCurrentWidget(self.sweep_plot if what == "sweep" else self.bar_plot)  # once: the user may look elsewhere
        self._worker.start(self)
        self.started.emit()
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
        subject = None
        if self._what == "sweep" and records:
            values = results.swept_values(records)
            subject = f"input sizes {values[0]}…{values[-1]} from {self._sweep_spec.describe()}"
        summary = results.run_summary(records, self._skipped, subject)
        if self._what == "sweep":
            self._sweep_summary = summary
        else:
            self._summary = summary
        self.status.setText(summary)
        self._show_staleness()
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

    # results tied to their spec -----------------------------------------------------------------
    def _on_session_change(self, changes) -> None:
        if SPEC in changes:
            self._show_staleness()

    def records_current(self) -> bool:
        """Whether the bars and table were timed for the session's spec (True with nothing shown)."""
        return not self.records or self._records_spec is None or self._records_spec == self.session.spec

    def sweep_current(self) -> bool:
        """Whether the sweep was run from the session's spec (its input size aside: the sweep varies it)."""
        if not self.sweep_records or self._sweep_spec is None:
            return True
        def family(spec) -> dict:
            values = spec.to_dict()
            values["input_shape"] = list(values["input_shape"][:2])
            return values

        return family(self._sweep_spec) == family(self.session.spec)

    def _show_staleness(self) -> None:
        """Redraw what is shown, greyed with "timed for …" where it is for another spec; the side
        labels speak of the tab in view (the sweep's on the Sweep tab)."""
        if self.running:
            return
        sweep_first = self.tabs.currentWidget() is not self.sweep_plot
        if self.sweep_records and sweep_first:
            self.show_sweep(self.sweep_records)
        if self.records:
            self.show_records(self.records)
            self.status.setText((self._summary or f"{len(self.records)} timings") if self.records_current() else
                                f"timed for {results.timed_for(self.records)} — not the current spec; "
                                "press “Time this spec” to time it")
        if self.sweep_records and not sweep_first:
            self.show_sweep(self.sweep_records)
            if self.sweep_current():
                self.status.setText(self._sweep_summary or f"{len(self.sweep_records)} timings swept")
            else:
                self.status.setText(f"swept from {self._sweep_spec.describe()} — not the current spec; "
                                    "press “Sweep input size” to sweep it")

    # drawing -----------------------------------------------------------------------------------
    def _placeholder(self) -> None:
        hint = pg.TextItem("Press “Time this spec” (Ctrl+T) to time the current operation\n"
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
        current = self.records_current() if records is self.records else True
        self._fill_table(results.table_order(records), current)
        lines = results.comparison_lines(records)
        stability = results.stability_line(records)
        if not current:
            lines = [f"timed for {results.timed_for(records)} (not the current spec):", *lines]
        self.ratio_label.setText("<br>".join(lines))
        self.ratio_label.setStyleSheet("" if current else f"color: {STALE_COLOUR}")
        self.stability_label.setText(stability)
        self.stability_label.setStyleSheet(("color: #b35900" if stability.startswith("⚠") else "")
                                           if current else f"color: {STALE_COLOUR}")
        bars = results.bars(records)
        self.bar_texts = []
        if not bars:
            self._bar_extent = None
            return
        shown = [bar.record for bar in bars]
        medians = np.array([record.median_ms for record in shown])
        positions = np.arange(len(shown), dtype=float)
        low = np.maximum(medians - np.array([record.p10_ms for record in shown]), 0)
        high = np.maximum(np.array([record.p90_ms for record in shown]) - medians, 0)
        for position, record, bar, end in zip(positions, shown, bars, medians + high):
            colour = QtGui.QColor(backend_colour(record.backend) if current else STALE_COLOUR)
            brush = QtGui.QBrush(colour, QtCore.Qt.BrushStyle.BDiagPattern if record.stable is False
                                 else QtCore.Qt.BrushStyle.SolidPattern)
            item = pg.BarGraphItem(x0=[0], y=[position], height=0.6, width=[record.median_ms],
                                   brush=brush, pen=pg.mkPen(colour.darker(150) if current else STALE_COLOUR))
            plot.addItem(item)
            self.bar_items.append(item)
            warn = record.stable is False or not record.correct
            text = pg.TextItem(bar.detail, anchor=(0, 0.5),
                               color=STALE_COLOUR if not current else ("#a04000" if warn else "#222"))
            plot.addItem(text)
            text.setPos(float(end), float(position))
            self.bar_texts.append(text)
        plot.addItem(pg.ErrorBarItem(x=medians, y=positions, left=low, right=high, beam=0.25,
                                     pen=pg.mkPen("#111" if current else STALE_COLOUR, width=1.5)))
        axis = plot.getAxis("left")
        axis.setTicks([[(position, bar.name) for position, bar in zip(positions, bars)], []])
        axis.setTextPen(pg.mkPen("#222" if current else STALE_COLOUR))
        metrics = QtGui.QFontMetrics(self.bar_texts[0].textItem.font())
        self._bar_extent = (float(np.max(medians + high)) or 1.0,
                            max(metrics.horizontalAdvance(bar.detail) for bar in bars) + 16)
        self._fit_bars()
        plot.setYRange(-0.6, len(shown) - 0.4, padding=0)
        plot.setTitle(results.timed_for(records) if current else
                      f"timed for {results.timed_for(records)} — not the current spec", color="#555", size="9pt")

    def _fit_bars(self, *_) -> None:
        """Leave room right of the longest bar for its figures: their width is in pixels, the
        bars' in milliseconds, so the range follows the plot's width."""
        if getattr(self, "_bar_extent", None) is None:
            return
        longest, text_px = self._bar_extent
        width = self.bar_plot.getPlotItem().getViewBox().width()
        share = min(text_px / width, 0.8) if width > 0 else 0.5
        self.bar_plot.setXRange(0, longest / (1 - share), padding=0)

    def _fill_table(self, records, current: bool = True) -> None:
        self.table.setRowCount(len(records))
        grey = QtGui.QBrush(QtGui.QColor(STALE_COLOUR))
        for row, record in enumerate(records):
            for col, value in enumerate(results.table_row(record)):
                item = QtWidgets.QTableWidgetItem(value)
                if not current:
                    item.setForeground(grey)
                    item.setToolTip(f"timed for {record.shape}, not the current spec")
                self.table.setItem(row, col, item)
        self.table.resizeColumnsToContents()

    def show_sweep(self, records) -> None:
        plot = self.sweep_plot
        plot.clear()
        self.sweep_legend.clear()
        current = self.sweep_current() if records is self.sweep_records else True
        series = results.sweep_series(records)
        for backend, points in series.items():
            colour = backend_colour(backend) if current else STALE_COLOUR
            device = any(record.backend == backend and record.host is False for record in records)
            pen = pg.mkPen(colour, width=2, style=QtCore.Qt.PenStyle.DashLine if device else QtCore.Qt.PenStyle.SolidLine)
            curve = plot.plot([point.value for point in points], [point.median_ms for point in points],
                              pen=pen, symbol=backend_symbol(backend), symbolSize=9, symbolPen=pg.mkPen(colour, width=1.5),
                              symbolBrush=[pg.mkBrush(colour if point.stable else "w") for point in points])
            self.sweep_legend.addItem(curve, f"{backend} ({'GPU' if device else 'CPU'})")
        values = results.swept_values(records)
        medians = [point.median_ms for points in series.values() for point in points if point.median_ms > 0]
        if values:
            plot.getAxis("bottom").setTicks([[(math.log10(value), str(value)) for value in values], []])
        if medians:
            plot.getAxis("left").setTicks([log_ticks(min(medians), max(medians)), []])
        for side in ("bottom", "left"):
            plot.getAxis(side).setTextPen(pg.mkPen("#222" if current else STALE_COLOUR))
        point = results.sweep_crossover(records)
        if point is not None:
            line = pg.InfiniteLine(pos=math.log10(point), angle=90,
                                   pen=pg.mkPen("#c92a2a", width=2, style=QtCore.Qt.PenStyle.DashLine),
                                   label=results.crossover_mark(point),
                                   labelOpts={"color": "#c92a2a", "position": 0.92, "fill": (255, 255, 255, 220)})
            plot.addItem(line)
        swept_from = self._sweep_spec.describe() if self._sweep_spec is not None else results.timed_for(records)
        plot.setTitle(f"swept from {swept_from}" if current else f"swept from {swept_from} — not the current spec",
                      color="#555", size="9pt")
        lines = results.input_size_sweep_lines(records)
        if not current:
            lines = [f"swept from {swept_from} (not the current spec):", *lines]
        self.ratio_label.setText("<br>".join(lines))
        self.ratio_label.setStyleSheet("" if current else f"color: {STALE_COLOUR}")
        self.stability_label.setText(results.stability_line(records))
