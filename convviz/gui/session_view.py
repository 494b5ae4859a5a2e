"""SessionView: one session drawn, its animation, output and coverage panels and its playback.

Live, it follows its session: every change is drawn from `session.frame()`, clicks become the
session's intents, and its own timer plays the animation at the session's speed. Detached
(`live=False`), it draws whatever frames it is given and never changes the session, which is
how frames are rendered offscreen (convviz.gui.render). Two views can share a window.
"""

from __future__ import annotations

from PyQt6 import QtCore, QtWidgets

from ..session import DATA, PLAYING, SELECTION, SPEC, SPEED, STEP, Session
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
        if live:
            self.timer.timeout.connect(session.tick)
            self.output.cell_clicked.connect(session.go_to_output)
            self.coverage.cell_clicked.connect(lambda row, col: session.select_input((row, col)))
            session.subscribe(self.on_change)
            self.on_change(EVERYTHING)

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
        for panel in (self.animation, self.output, self.coverage, self.playback):
            panel.draw(frame, changes)

    def detach(self) -> None:
        """Stop following the session (the view is about to go)."""
        if self.live:
            self.session.unsubscribe(self.on_change)
            self.timer.stop()
            self.live = False
