"""SessionView: one session drawn, its animation, output and coverage panels and its playback.

Live, it follows its session: every change is drawn from `session.frame()`, clicks become the
session's intents, and its own timer plays the animation at the session's speed. Detached
(`live=False`), it draws whatever frames it is given and never changes the session, which is
how frames are rendered offscreen (convviz.gui.render). Two views can share a window.
"""

from __future__ import annotations

from PyQt6 import QtCore, QtWidgets

from ..session import DATA, PLAYING, SELECTION, SPEC, SPEED, STEP, SelectionTarget, Session
from .panels import AnimationPanel, CoveragePanel, OutputPanel
from .playback import PlaybackBar

EVERYTHING = frozenset({SPEC, DATA, STEP, SELECTION, PLAYING, SPEED})


class SessionView(QtWidgets.QWidget):
    """The panels and playback of one session."""

    def __init__(self, session: Session, live: bool = True, parent=None):
        super().__init__(parent)
        self.session = session
        self.live = live
        self.animation = AnimationPanel()
        self.output = OutputPanel()
        self.coverage = CoveragePanel()
        self.kernel = self.animation.kernel
        self.playback = PlaybackBar(session)
        self.playback.setVisible(live)

        left = QtWidgets.QWidget()
        left_layout = QtWidgets.QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.animation, 1)
        left_layout.addWidget(self.playback)
        right = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical)
        right.addWidget(self.output)
        right.addWidget(self.coverage)
        self.splitter = QtWidgets.QSplitter(QtCore.Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)

        self.timer = QtCore.QTimer(self)
        self.timer.setTimerType(QtCore.Qt.TimerType.PreciseTimer)
        self._frame = None
        self._pending_hover: tuple | None = None
        self._hover_timer = QtCore.QTimer(self)
        self._hover_timer.setSingleShot(True)
        self._hover_timer.timeout.connect(self._apply_hover)
        if live:
            self.timer.timeout.connect(session.tick)
            self.output.cell_clicked.connect(self._output_clicked)
            self.coverage.cell_clicked.connect(lambda row, col: self._pin("input", row, col))
            self.kernel.grid.cell_clicked.connect(lambda row, col: self._pin("weight", row, col))
            self.animation.grid.cell_clicked.connect(self._padded_clicked)
            self.animation.channels.chosen.connect(lambda c: session.show_channels(in_channel=c))
            self.output.channels.chosen.connect(lambda k: session.show_channels(out_channel=k))
            self.output.grid.cell_hovered.connect(lambda row, col: self._hover("output", row, col))
            self.coverage.grid.cell_hovered.connect(lambda row, col: self._hover("input", row, col))
            self.kernel.grid.cell_hovered.connect(lambda row, col: self._hover("weight", row, col))
            self.animation.grid.cell_hovered.connect(
                lambda row, col: self._hover("input", *self._input_cell_at(row, col)))
            session.subscribe(self.on_change)
            self.on_change(EVERYTHING)

    # pointing and picking ------------------------------------------------------------------------
    def _input_cell_at(self, padded_row: int, padded_col: int) -> tuple[int, int]:
        """The input cell a padded cell holds (itself or the cell a padding copy copies); (-1, -1)
        for zero padding or off the grid."""
        picture = self._frame.input if self._frame is not None else None
        if picture is None or padded_row < 0 or padded_col < 0:
            return -1, -1
        row, col = int(picture.source_rows[padded_row]), int(picture.source_cols[padded_col])
        return (row, col) if row >= 0 and col >= 0 else (-1, -1)

    def _hover(self, kind: str, row: int, col: int) -> None:
        """Point at a cell; applied once the event queue is empty, so a fast pointer costs one
        redraw per pause, not one per cell crossed."""
        self._pending_hover = None if row < 0 or col < 0 else SelectionTarget(kind, row, col)
        self._hover_timer.start(0)

    def _apply_hover(self) -> None:
        self.session.hover(self._pending_hover)

    def _pin(self, kind: str, row: int, col: int) -> None:
        if row >= 0 and col >= 0:
            self._hover_timer.stop()
            self.session.hover(None)
            self.session.toggle_selection(SelectionTarget(kind, row, col))

    def _padded_clicked(self, padded_row: int, padded_col: int) -> None:
        self._pin("input", *self._input_cell_at(padded_row, padded_col))

    def _output_clicked(self, i: int, j: int) -> None:
        self.session.go_to_output(i, j)
        self._pin("output", i, j)

    def on_change(self, changes) -> None:
        self.draw(self.session.frame(), changes)
        session = self.session
        if SPEED in changes:
            self.timer.setInterval(session.interval_ms)
        if PLAYING in changes:
            if session.playing:
                self.timer.start(session.interval_ms)
            else:
                self.timer.stop()

    def draw(self, frame, changes=EVERYTHING) -> None:
        """Draw `frame`; `changes` says which of its parts are new (all of them by default)."""
        changes = set(changes)
        self._frame = frame
        for panel in (self.animation, self.output, self.coverage, self.playback):
            panel.draw(frame, changes)

    def detach(self) -> None:
        """Stop following the session (the view is about to go)."""
        if self.live:
            self.session.unsubscribe(self.on_change)
            self.timer.stop()
            self.live = False
