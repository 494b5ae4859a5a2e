"""The framework code panel: the spec as PyTorch or TensorFlow, kept up to date, with Copy."""

from __future__ import annotations

from PyQt6 import QtGui, QtWidgets

from ..session import SPEC
from ..session.framework_code import FRAMEWORKS, FrameworkCode, framework_code

FRAMEWORK_LABELS = {"pytorch": "PyTorch (NCHW)", "tensorflow": "TensorFlow (NHWC)"}


class CodePanel(QtWidgets.QWidget):
    """Read-only code of the session's spec in the chosen framework; regenerated on every spec change."""

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.generated: FrameworkCode | None = None
        self.framework = QtWidgets.QComboBox()
        for name in FRAMEWORKS:
            self.framework.addItem(FRAMEWORK_LABELS[name], name)
        self.framework.currentIndexChanged.connect(self.refresh)
        self.copy_button = QtWidgets.QPushButton("Copy")
        self.copy_button.setToolTip("copy the code to the clipboard")
        self.copy_button.clicked.connect(self.copy)
        self.problem = QtWidgets.QLabel()
        self.problem.setObjectName("code_problem")
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #a61e1e;")
        self.text = QtWidgets.QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QtWidgets.QPlainTextEdit.LineWrapMode.NoWrap)
        self.text.setFont(QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.SystemFont.FixedFont))

        top = QtWidgets.QHBoxLayout()
        top.addWidget(self.framework)
        top.addWidget(self.copy_button)
        top.addStretch(1)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.problem)
        layout.addWidget(self.text, 1)
        session.subscribe(self._on_change)
        self.refresh()

    def set_framework(self, name: str) -> None:
        self.framework.setCurrentIndex(FRAMEWORKS.index(name))

    def _on_change(self, changes) -> None:
        if SPEC in changes:
            self.refresh()

    def refresh(self) -> None:
        self.generated = framework_code(self.session.spec, self.framework.currentData())
        self.text.setPlainText(self.generated.code)
        self.problem.setText(self.generated.problem or "")
        self.problem.setVisible(bool(self.generated.problem))
        self.copy_button.setEnabled(self.generated.problem is None)

    def copy(self) -> None:
        if self.generated is not None and self.generated.problem is None:
            QtWidgets.QApplication.clipboard().setText(self.generated.code)

    def detach(self) -> None:
        self.session.unsubscribe(self._on_change)
