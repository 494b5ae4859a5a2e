"""The control panel: every setting of the spec, the kernel and the input pattern.

Widgets emit intents to the session (set_spec_dict, set_preset, set_weight, …) and are
synchronised back from it; an invalid combination leaves the session as it was and
shows the session's error message here, in red, above the controls.
"""

from __future__ import annotations

from PyQt6 import QtCore, QtWidgets

from ..core import PADDING_MODES, ConvSpecError
from ..core.spec import OPERATION_NAMES
from ..session import DATA, ERROR, SPEC
from ..session.patterns import INPUT_PATTERNS, KERNEL_PRESETS, format_value
from ..session.session import TRANSPOSED_VIEW, TRANSPOSED_VIEWS

PADDING_CHOICES = ("valid", "same", "full", "custom")
MAX_WEIGHT_TABLE = 9
"""Kernels up to this size per side get an editable grid of their values."""


def _spin(low: int, high: int, tooltip: str = "") -> QtWidgets.QSpinBox:
    box = QtWidgets.QSpinBox()
    box.setRange(low, high)
    box.setKeyboardTracking(False)
    box.setToolTip(tooltip)
    return box


def _pair_row(first: QtWidgets.QWidget, second: QtWidgets.QWidget, between: str = "×") -> QtWidgets.QWidget:
    row = QtWidgets.QWidget()
    layout = QtWidgets.QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(first, 1)
    layout.addWidget(QtWidgets.QLabel(between))
    layout.addWidget(second, 1)
    return row


class Controls(QtWidgets.QWidget):
    """The settings of one session."""

    open_image_requested = QtCore.pyqtSignal()

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self._syncing = False

        self.error_label = QtWidgets.QLabel("")
        self.error_label.setObjectName("spec_error")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(
            "QLabel { color: #a61e1e; background: #fff0f0; border: 1px solid #e03131; padding: 4px; }")
        self.error_label.setVisible(False)

        self.operation = QtWidgets.QComboBox()
        self.operation.setObjectName("operation")
        for operation, name in OPERATION_NAMES.items():
            self.operation.addItem(name, operation)
        self.operation.setToolTip("what slides over the input: a kernel (convolution), a kernel scattered "
                                  "(transposed convolution) or a window without weights (pooling)")
        self.groups = _spin(1, 4096, "groups g: output channel k sums only the C/g input channels of its "
                                     "group; g = C is depthwise")
        self.groups.setObjectName("groups")
        self.output_padding_h = _spin(0, 63, "output padding (height): rows added at the bottom of a transposed "
                                             "convolution's output; smaller than the stride or the dilation")
        self.output_padding_w = _spin(0, 63, "output padding (width): columns added at the right")
        self.ceil_mode = QtWidgets.QCheckBox("ceil mode")
        self.ceil_mode.setObjectName("ceil_mode")
        self.ceil_mode.setToolTip("round the output size up: a last window that overhangs the input is kept "
                                  "when it starts inside the input or the left padding (as PyTorch)")
        self.count_include_pad = QtWidgets.QCheckBox("count padding in the divisor")
        self.count_include_pad.setObjectName("count_include_pad")
        self.count_include_pad.setToolTip("count_include_pad: average pooling divides by the taps on the input and "
                                          "its padding (on) or on the input only (off); the ceil-mode overhang "
                                          "never counts")
        self.transposed_view = QtWidgets.QComboBox()
        self.transposed_view.setObjectName("transposed_view")
        for view in TRANSPOSED_VIEWS:
            self.transposed_view.addItem(view, view)
        self.transposed_view.setToolTip("direct: the convolution over the input with stride−1 zeros inserted "
                                        "and d(k−1)−p padding · scatter: each input cell adds its weighted "
                                        "kernel to the output (Ctrl+Shift+V switches)")
        self.input_h, self.input_w = _spin(1, 4096, "input height"), _spin(1, 4096, "input width")
        self.channels = _spin(1, 4096, "input channels C: every output cell sums over them (tabs above the input)")
        self.out_channels = _spin(1, 4096, "output channels K: weights K×C×kh×kw (choose one above the output)")
        self.batch = _spin(1, 4096, "batch size (for timing)")
        self.kernel_h, self.kernel_w = _spin(1, 63, "kernel height"), _spin(1, 63, "kernel width")
        self.stride_h, self.stride_w = _spin(1, 64, "stride down"), _spin(1, 64, "stride across")
        self.dilation_h, self.dilation_w = _spin(1, 32, "dilation down"), _spin(1, 32, "dilation across")
        self.padding = QtWidgets.QComboBox()
        self.padding.addItems(PADDING_CHOICES)
        self.padding.setToolTip("valid: none · same: output = ⌈input/stride⌉ (extra on bottom/right) · "
                                "full: every overlap · custom: top, bottom, left, right")
        self.pad_sides = [_spin(0, 1024, f"padding {side}") for side in ("top", "bottom", "left", "right")]
        self.mode = QtWidgets.QComboBox()
        self.mode.addItems(PADDING_MODES)
        self.mode.setToolTip("what the padding cells hold: zeros, or copies of input cells")
        self.preset = QtWidgets.QComboBox()
        self.preset.addItems([*KERNEL_PRESETS, "custom"])
        self.weights = QtWidgets.QTableWidget()
        self.weights.setObjectName("kernel_weights")
        self.weights.horizontalHeader().setVisible(False)
        self.weights.verticalHeader().setVisible(False)
        self.weights.setToolTip("kernel values of the shown slice w[k, c]: double-click to edit")
        self.bias = QtWidgets.QLineEdit()
        self.bias.setObjectName("bias")
        self.bias.setPlaceholderText("none")
        self.bias.setToolTip("bias of the shown output channel, added to each of its cells (empty: none)")
        self.pattern = QtWidgets.QComboBox()
        self.pattern.addItems(INPUT_PATTERNS)
        self.open_button = QtWidgets.QPushButton("Open image…")
        self.backend = QtWidgets.QComboBox()
        self._fill_backends()

        form = QtWidgets.QFormLayout()
        form.setFieldGrowthPolicy(QtWidgets.QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Operation", self.operation)
        form.addRow("Drawn as", self.transposed_view)
        form.addRow("Input H × W", _pair_row(self.input_h, self.input_w))
        form.addRow("Kernel H × W", _pair_row(self.kernel_h, self.kernel_w))
        form.addRow("Stride", _pair_row(self.stride_h, self.stride_w))
        form.addRow("Dilation", _pair_row(self.dilation_h, self.dilation_w))
        form.addRow("Padding", self.padding)
        sides = QtWidgets.QWidget()
        sides_layout = QtWidgets.QGridLayout(sides)
        sides_layout.setContentsMargins(0, 0, 0, 0)
        for index, (name, box) in enumerate(zip(("top", "bottom", "left", "right"), self.pad_sides)):
            sides_layout.addWidget(QtWidgets.QLabel(name), index // 2, 2 * (index % 2))
            sides_layout.addWidget(box, index // 2, 2 * (index % 2) + 1)
        form.addRow("", sides)
        form.addRow("Padding mode", self.mode)
        self.output_padding_row = _pair_row(self.output_padding_h, self.output_padding_w)
        form.addRow("Output pad", self.output_padding_row)
        form.addRow("", self.ceil_mode)
        form.addRow("", self.count_include_pad)
        form.addRow("Channels", _pair_row(self.channels, self.out_channels, "→"))
        form.addRow("Groups", self.groups)
        form.addRow("Kernel", self.preset)
        form.addRow(self.weights)
        form.addRow("Bias", self.bias)
        pattern_row = QtWidgets.QWidget()
        pattern_layout = QtWidgets.QHBoxLayout(pattern_row)
        pattern_layout.setContentsMargins(0, 0, 0, 0)
        pattern_layout.addWidget(self.pattern, 1)
        pattern_layout.addWidget(self.open_button)
        form.addRow("Input", pattern_row)
        form.addRow("Numbers from", self.backend)
        profiling = QtWidgets.QGroupBox("For timing only")
        profiling_form = QtWidgets.QFormLayout(profiling)
        profiling_form.addRow("Batch", self.batch)

        self.form = form
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(self.error_label)
        layout.addLayout(form)
        layout.addWidget(profiling)
        layout.addStretch(1)

        for box in (self.input_h, self.input_w, self.channels, self.out_channels, self.batch, self.kernel_h,
                    self.kernel_w, self.stride_h, self.stride_w, self.dilation_h, self.dilation_w, *self.pad_sides,
                    self.groups, self.output_padding_h, self.output_padding_w):
            box.valueChanged.connect(self._spec_edited)
        self.operation.currentIndexChanged.connect(self._operation_chosen)
        self.ceil_mode.toggled.connect(self._spec_edited)
        self.count_include_pad.toggled.connect(self._spec_edited)
        self.transposed_view.currentIndexChanged.connect(self._view_chosen)
        self.padding.currentTextChanged.connect(self._spec_edited)
        self.mode.currentTextChanged.connect(self._spec_edited)
        self.preset.currentTextChanged.connect(self._preset_chosen)
        self.pattern.currentTextChanged.connect(self._pattern_chosen)
        self.open_button.clicked.connect(self.open_image_requested)
        self.backend.currentIndexChanged.connect(self._backend_chosen)
        self.weights.itemChanged.connect(self._weight_edited)
        self.bias.editingFinished.connect(self._bias_edited)
        session.subscribe(self.on_change)
        self.sync()

    def _fill_backends(self) -> None:
        from ..backends import all_backends

        for name, backend in all_backends().items():
            status = backend.available()
            self.backend.addItem(name if status else f"{name} (not available)", name)
            index = self.backend.count() - 1
            if not status:
                item = self.backend.model().item(index)
                item.setEnabled(False)
                item.setToolTip(status.reason)

    # session → widgets ---------------------------------------------------------------------------
    def on_change(self, changes) -> None:
        if SPEC in changes or DATA in changes or TRANSPOSED_VIEW in changes:
            self.sync()
        if ERROR in changes:
            self.show_error(self.session.error)

    def show_error(self, message: str) -> None:
        self.error_label.setText(message)
        self.error_label.setVisible(bool(message))

    def sync(self) -> None:
        """Show the session's spec, kernel and pattern (without feeding them back)."""
        session, spec = self.session, self.session.spec
        self._syncing = True
        try:
            batch, channels, height, width = spec.input_shape
            pairs = ((self.input_h, height), (self.input_w, width), (self.channels, channels),
                     (self.out_channels, spec.out_channels), (self.batch, batch),
                     (self.kernel_h, spec.kernel_size[0]), (self.kernel_w, spec.kernel_size[1]),
                     (self.stride_h, spec.stride[0]), (self.stride_w, spec.stride[1]),
                     (self.dilation_h, spec.dilation[0]), (self.dilation_w, spec.dilation[1]))
            for box, value in pairs:
                box.setValue(value)
            self.operation.setCurrentIndex(max(0, self.operation.findData(spec.operation)))
            self.groups.setValue(spec.groups)
            self.output_padding_h.setValue(spec.output_padding[0])
            self.output_padding_w.setValue(spec.output_padding[1])
            self.ceil_mode.setChecked(spec.ceil_mode)
            self.count_include_pad.setChecked(spec.count_include_pad)
            self.transposed_view.setCurrentIndex(max(0, self.transposed_view.findData(session.transposed_view)))
            self._show_operation_fields(spec.operation)
            if isinstance(spec.padding, str):
                self.padding.setCurrentText(spec.padding)
            else:
                self.padding.setCurrentText("custom")
            for box, value in zip(self.pad_sides, self._user_pads(spec, session.plan)):
                box.setValue(value)
            for box in self.pad_sides:
                box.setEnabled(self.padding.currentText() == "custom")
            self.mode.setCurrentText(spec.padding_mode)
            self.preset.setCurrentText(session.preset)
            self.pattern.setCurrentText(session.pattern)
            self.backend.setCurrentIndex(max(0, self.backend.findData(session.backend)))
            self._show_weights()
            if not self.bias.hasFocus():
                self.bias.setText("" if session.bias is None else repr(session.bias))
        finally:
            self._syncing = False

    @staticmethod
    def _user_pads(spec, conv_plan) -> tuple[int, int, int, int]:
        """(top, bottom, left, right) as the user gives them: a transposed convolution's padding
        is its crop, not the direct view's padded border; pooling's leaves out the ceil-mode overhang."""
        if spec.operation == "conv":
            return conv_plan.pads
        rows, cols = conv_plan.axes
        return rows.padding, rows.padding, cols.padding, cols.padding

    def _show_operation_fields(self, operation: str) -> None:
        """Only the fields that apply to `operation`."""
        pooling = operation in ("max_pool", "avg_pool")
        shown = {self.transposed_view: operation == "conv_transpose",
                 self.output_padding_row: operation == "conv_transpose",
                 self.ceil_mode: pooling, self.count_include_pad: operation == "avg_pool",
                 self.groups: not pooling, self.mode: operation == "conv",
                 self.preset: not pooling, self.bias: not pooling}
        for widget, visible in shown.items():
            self.form.setRowVisible(widget, visible)
        self.out_channels.setEnabled(not pooling)
        if pooling:
            self.weights.setVisible(False)

    def _show_weights(self) -> None:
        if self.session.spec.is_pooling:
            self.weights.setVisible(False)
            return
        weights = self.session.weights
        rows, cols = weights.shape
        fits = rows <= MAX_WEIGHT_TABLE and cols <= MAX_WEIGHT_TABLE
        self.weights.setVisible(fits)
        if not fits:
            return
        self.weights.blockSignals(True)
        self.weights.setRowCount(rows)
        self.weights.setColumnCount(cols)
        for row in range(rows):
            for col in range(cols):
                item = QtWidgets.QTableWidgetItem(format_value(weights[row, col]).replace("−", "-"))
                item.setTextAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
                item.setToolTip(repr(float(weights[row, col])))
                self.weights.setItem(row, col, item)
        side = 40
        for col in range(cols):
            self.weights.setColumnWidth(col, side)
        for row in range(rows):
            self.weights.setRowHeight(row, 26)
        self.weights.setFixedHeight(min(rows * 26 + 4, 9 * 26 + 4))
        self.weights.setMaximumWidth(cols * side + 4)
        self.weights.blockSignals(False)

    # widgets → session -----------------------------------------------------------------------------
    def spec_values(self) -> dict:
        """The spec fields the widgets show now (valid or not)."""
        choice = self.padding.currentText()
        padding = choice if choice != "custom" else [box.value() for box in self.pad_sides]
        return {
            "input_shape": [self.batch.value(), self.channels.value(), self.input_h.value(), self.input_w.value()],
            "out_channels": self.out_channels.value(),
            "kernel_size": [self.kernel_h.value(), self.kernel_w.value()],
            "stride": [self.stride_h.value(), self.stride_w.value()],
            "dilation": [self.dilation_h.value(), self.dilation_w.value()],
            "padding": padding,
            "padding_mode": self.mode.currentText(),
            **self._operation_values(),
        }

    def _operation_values(self) -> dict:
        """The operation's fields; those that do not apply to it at their defaults (hidden)."""
        operation = self.operation.currentData()
        pooling = operation in ("max_pool", "avg_pool")
        values = {"operation": operation}
        if operation != "conv":
            values["padding_mode"] = "zeros"
        if pooling:
            values["out_channels"] = self.channels.value()
            values["ceil_mode"] = self.ceil_mode.isChecked()
        else:
            values["groups"] = self.groups.value()
        if operation == "conv_transpose":
            values["output_padding"] = [self.output_padding_h.value(), self.output_padding_w.value()]
        if operation == "avg_pool":
            values["count_include_pad"] = self.count_include_pad.isChecked()
        return values

    def _spec_edited(self, *args, **overrides) -> None:
        """The widgets' fields (with `overrides`) to the session."""
        if self._syncing:
            return
        for box in self.pad_sides:
            box.setEnabled(self.padding.currentText() == "custom")
        self._show_operation_fields(self.operation.currentData())
        self.session.set_spec_dict({**self.spec_values(), **overrides})

    def _operation_chosen(self, *args) -> None:
        """A switch to pooling with stride 1 leaves the stride to the spec, which then takes
        PyTorch's default, the kernel size (stride 1 pooling is rarely meant); any other stride
        the user set is kept."""
        if self._syncing:
            return
        pooling = self.operation.currentData() in ("max_pool", "avg_pool")
        default_stride = pooling and not self.session.spec.is_pooling and \
            (self.stride_h.value(), self.stride_w.value()) == (1, 1)
        self._spec_edited(**({"stride": None} if default_stride else {}))

    def _view_chosen(self, index: int) -> None:
        if self._syncing:
            return
        try:
            self.session.set_transposed_view(self.transposed_view.itemData(index))
        except ConvSpecError as error:
            self.show_error(str(error))

    def _preset_chosen(self, name: str) -> None:
        if self._syncing or name == "custom":
            return
        self.session.set_preset(name)

    def _pattern_chosen(self, name: str) -> None:
        if self._syncing:
            return
        if name == "image file" and self.session.source_image is None:
            self.open_image_requested.emit()
            if self.session.source_image is None:
                self.sync()
                return
        self.session.set_pattern(name)

    def _backend_chosen(self, index: int) -> None:
        if self._syncing:
            return
        self.session.set_backend(self.backend.itemData(index))

    def _bias_edited(self) -> None:
        text = self.bias.text().strip().replace("−", "-")
        if not text:
            value = None
        else:
            try:
                value = float(text)
            except ValueError:
                self.show_error(f"bias {text!r} is not a number (leave it empty for none)")
                return
        if value != self.session.bias:
            try:
                self.session.set_bias(value)
            except ConvSpecError as error:
                self.show_error(str(error))
                return
            self.show_error("")

    def _weight_edited(self, item: QtWidgets.QTableWidgetItem) -> None:
        if self._syncing:
            return
        text = item.text().strip().replace("−", "-")
        try:
            value = float(text)
        except ValueError:
            self.show_error(f"kernel value {text!r} is not a number")
            self._show_weights()
            return
        row, col = item.row(), item.column()
        # after this signal returns: the table is rebuilt from the session
        QtCore.QTimer.singleShot(0, lambda: self.session.set_weight(row, col, value))
