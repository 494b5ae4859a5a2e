"""The padding solver dialog: pick a target output size, see the least padding, apply it."""

from __future__ import annotations

from PyQt6 import QtCore, QtWidgets

from ..core import ConvSpecError
from ..core.solve import SolvedPadding, solve_padding
from ..session import SPEC
from ..session.session import MAX_ANIMATION_SIDE


class PaddingSolverDialog(QtWidgets.QDialog):
    """Non-modal: follows the session's spec while open; Apply sets the solved pads on the session."""

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.setWindowTitle("Padding solver")
        self.solved: SolvedPadding | None = None
        self.problem = ""

        self.target_h = QtWidgets.QSpinBox()
        self.target_w = QtWidgets.QSpinBox()
        for box, axis in ((self.target_h, "height"), (self.target_w, "width")):
            box.setRange(1, MAX_ANIMATION_SIDE)
            box.setKeyboardTracking(False)
            box.setToolTip(f"the output {axis} wanted")
            box.valueChanged.connect(self.solve)
        self.spec_label = QtWidgets.QLabel()
        self.result = QtWidgets.QLabel()
        self.result.setObjectName("solver_result")
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QtWidgets.QDialogButtonBox()
        self.apply_button = buttons.addButton("Apply", QtWidgets.QDialogButtonBox.ButtonRole.ApplyRole)
        self.apply_button.setToolTip("set these pads on the spec (other settings stay)")
        self.apply_button.clicked.connect(self.apply)
        buttons.addButton(QtWidgets.QDialogButtonBox.StandardButton.Close).clicked.connect(self.close)

        target = QtWidgets.QHBoxLayout()
        target.addWidget(self.target_h, 1)
        target.addWidget(QtWidgets.QLabel("×"))
        target.addWidget(self.target_w, 1)
        form = QtWidgets.QFormLayout()
        form.addRow("Spec", self.spec_label)
        form.addRow("Target output", target)
        layout = QtWidgets.QVBoxLayout(self)
        intro = QtWidgets.QLabel("The least padding that gives this output size, split as TensorFlow "
                                 "splits it: half before, the odd pixel after.")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.result, 1)
        layout.addWidget(buttons)
        self.setMinimumWidth(520)

        self.set_target(*session.plan.output_size)

    def set_target(self, height: int, width: int) -> None:
        for box, value in ((self.target_h, height), (self.target_w, width)):
            box.blockSignals(True)
            box.setValue(value)
            box.blockSignals(False)
        self.solve()

    def _on_change(self, changes) -> None:
        if SPEC in changes:
            self.solve()

    def showEvent(self, event) -> None:
        """Follow the session only while shown: a closed dialog costs nothing per edit."""
        super().showEvent(event)
        self.session.unsubscribe(self._on_change)
        self.session.subscribe(self._on_change)
        self.solve()

    def hideEvent(self, event) -> None:
        self.session.unsubscribe(self._on_change)
        super().hideEvent(event)

    def solve(self) -> None:
        """Solve for the current target on the session's current spec."""
        spec = self.session.spec
        self.spec_label.setText(f"{spec.describe()} ({spec.padding_mode} padding)")
        try:
            self.solved = solve_padding(spec, (self.target_h.value(), self.target_w.value()))
            self.problem = ""
        except ConvSpecError as error:
            self.solved, self.problem = None, str(error)
        self.apply_button.setEnabled(self.solved is not None and self.solved.pads != self.session.plan.pads)
        if self.solved is None:
            self.result.setStyleSheet("color: #a61e1e;")
            self.result.setText(self.problem)
            return
        top, bottom, left, right = self.solved.pads
        self.result.setStyleSheet("")
        self.result.setText("\n".join([
            f"pads: top {top}, bottom {bottom}, left {left}, right {right}",
            *self.solved.explanation,
            "" if self.apply_button.isEnabled() else "(the spec already has these pads)",
        ]).strip())

    def apply(self) -> bool:
        """Set the solved pads on the session; a spec the session refuses shows its reason here."""
        if self.solved is None:
            return False
        if not self.session.set_spec(self.solved.spec):
            self.problem = self.session.error
            self.result.setStyleSheet("color: #a61e1e;")
            self.result.setText(self.problem)
            return False
        return True
