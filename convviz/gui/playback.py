"""The playback bar of one session: first, back, play/pause, forward, last, a scrub slider, speed."""

from __future__ import annotations

from PyQt6 import QtCore, QtWidgets

from ..session import PLAYING, SPEC, SPEED, SPEEDS, STEP


class PlaybackBar(QtWidgets.QWidget):
    """Jump to start, step back, play/pause, step forward, jump to end, a scrub slider, speed.

    `session` is what it drives: a Session, or a Comparison (both sessions in step)."""

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        icon = self.style().standardIcon
        pixmaps = QtWidgets.QStyle.StandardPixmap
        self.first_button = QtWidgets.QToolButton(text="|◀")
        self.first_button.setIcon(icon(pixmaps.SP_MediaSkipBackward))
        self.first_button.setToolTip("First step (Home)")
        self.back_button = QtWidgets.QToolButton(text="◀")
        self.back_button.setIcon(icon(pixmaps.SP_MediaSeekBackward))
        self.back_button.setToolTip("Step back (←)")
        self.play_button = QtWidgets.QToolButton(text="▶ Play")
        self.play_button.setToolTip("Play / pause (Space)")
        self.play_button.setMinimumWidth(80)
        self.forward_button = QtWidgets.QToolButton(text="▶")
        self.forward_button.setIcon(icon(pixmaps.SP_MediaSeekForward))
        self.forward_button.setToolTip("Step forward (→)")
        self.last_button = QtWidgets.QToolButton(text="▶|")
        self.last_button.setIcon(icon(pixmaps.SP_MediaSkipForward))
        self.last_button.setToolTip("Last step (End)")
        self.slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self.slider.setObjectName("scrub")
        self.slider.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
        self.slider.setMinimumWidth(140)
        self.step_label = QtWidgets.QLabel()
        self.step_label.setObjectName("step_label")
        self.speed = QtWidgets.QComboBox()
        self.speed.setToolTip("Steps per second")
        for value in SPEEDS:
            self.speed.addItem(f"{value:g} steps/s", value)
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        for widget in (self.first_button, self.back_button, self.play_button, self.forward_button, self.last_button):
            widget.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
            layout.addWidget(widget)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.step_label)
        layout.addWidget(self.speed)
        self.first_button.clicked.connect(session.first)
        self.back_button.clicked.connect(session.step_back)
        self.play_button.clicked.connect(session.toggle_play)
        self.forward_button.clicked.connect(session.step_forward)
        self.last_button.clicked.connect(session.last)
        self.slider.valueChanged.connect(session.set_step)
        self.speed.currentIndexChanged.connect(lambda index: session.set_speed(self.speed.itemData(index)))

    def apply_theme(self, theme) -> None:
        """Buttons, step label and speed at the theme's font size; a taller slider to grab."""
        font = QtWidgets.QApplication.font()
        font.setPointSizeF(theme.font(font.pointSizeF()))
        for widget in (self.play_button, self.step_label, self.speed):
            widget.setFont(font)
        side = int(round(22 * theme.font_scale))
        for button in (self.first_button, self.back_button, self.forward_button, self.last_button):
            button.setIconSize(QtCore.QSize(side, side))
        self.slider.setMinimumHeight(int(round(20 * theme.font_scale)))

    def draw(self, frame, changes) -> None:
        """Show `frame`'s step; playing and speed as the session has them."""
        session = self.session
        if SPEC in changes:
            self.slider.blockSignals(True)
            self.slider.setRange(0, frame.steps - 1)
            self.slider.blockSignals(False)
            widest = f"step {frame.steps} / {frame.steps}"
            self.step_label.setMinimumWidth(self.step_label.fontMetrics().horizontalAdvance(widest) + 6)
        if SPEC in changes or STEP in changes:
            self.slider.blockSignals(True)
            self.slider.setValue(frame.step)
            self.slider.blockSignals(False)
            self.step_label.setText(frame.step_label)
        if PLAYING in changes:
            self.play_button.setText("⏸ Pause" if session.playing else "▶ Play")
        if SPEED in changes:
            index = min(range(len(SPEEDS)), key=lambda k: abs(SPEEDS[k] - session.speed))
            self.speed.blockSignals(True)
            self.speed.setCurrentIndex(index)
            self.speed.blockSignals(False)
