"""The three views of one Session: the padded input with the sliding window, the output
map filling in, and the border-coverage heatmap. Each observes the session and redraws
only what changed; all geometry comes from the session's plan."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtCore, QtGui, QtWidgets

from ..session import DATA, SELECTION, SPEC, STEP
from ..session.patterns import format_value
from .grid import CellGrid, colour_cells

INPUT_BORDER = "#1f3b73"
WINDOW_COLOUR = "#e8590c"
CURRENT_COLOUR = WINDOW_COLOUR
UNREAD_COLOUR = (231, 76, 60, 255)
SELECTION_COLOUR = "#1c7ed6"
MAX_MARKS = 4096
ZERO_PAD = (226, 226, 226, 255)
EMPTY = (255, 255, 255, 255)


def _label(text="", size=None, bold=False, wrap=True) -> QtWidgets.QLabel:
    label = QtWidgets.QLabel(text)
    label.setWordWrap(wrap)
    label.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
    font = label.font()
    if size:
        font.setPointSizeF(size)
    font.setBold(bold)
    label.setFont(font)
    return label


def _index_labels(source: np.ndarray, padding: np.ndarray) -> list[str]:
    """Input index of each padded row/column ('' for padding)."""
    return ["" if pad else str(int(index)) for index, pad in zip(source, padding)]


class Marks:
    """Outlines on some cells of a grid (the picked input cell, or the outputs that read it)."""

    def __init__(self, grid: CellGrid, colour: str = SELECTION_COLOUR, width: float = 3.0):
        self.grid, self.colour, self.width = grid, colour, width
        self.items: list = []

    def show(self, cells) -> None:
        for item in self.items:
            item.setParentItem(None)
            if item.scene() is not None:
                item.scene().removeItem(item)
        self.items = []
        for row, col in list(cells)[:MAX_MARKS]:
            item = self.grid.add_rect(self.colour, self.width, style=QtCore.Qt.PenStyle.DashLine)
            item.setRect(QtCore.QRectF(col + 0.08, row + 0.08, 0.84, 0.84))
            self.items.append(item)


class SteppedGridPanel(QtWidgets.QWidget):
    """A grid that follows the animation step: rebuilt when the spec or data change, redrawn on a
    step, and marking the cells that `cells_marked_for(selected input cell)` names."""

    def on_change(self, changes) -> None:
        if SPEC in changes or DATA in changes:
            self.rebuild()
        elif STEP in changes:
            self.show_step()
        if SELECTION in changes:
            cell = self.session.selected_input
            self.marks.show([] if cell is None else self.cells_marked_for(cell))


class AnimationPanel(SteppedGridPanel):
    """The padded input grid, the kernel window over its taps, and the step's arithmetic."""

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.title = _label(size=12, bold=True)
        self.legend = _label()
        self.legend.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.grid = CellGrid()
        self.arithmetic = _label(size=13)
        self.arithmetic.setObjectName("arithmetic")
        self.arithmetic.setMinimumHeight(40)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.title)
        layout.addWidget(self.legend)
        layout.addWidget(self.grid, 1)
        layout.addWidget(self.arithmetic)
        self.input_border = self.grid.add_rect(INPUT_BORDER, 3.0)
        self.window_rect = self.grid.add_rect(WINDOW_COLOUR, 3.5)
        self.taps = pg.ItemGroup()
        self.taps.setParentItem(self.grid.overlay_layer)
        self._tap_items: list = []
        self.marks = Marks(self.grid)
        session.subscribe(self.on_change)
        self.rebuild()

    def cells_marked_for(self, cell):
        """The padded cells that hold the selected input cell (itself and its padding copies)."""
        return self.session.animation_plan.padded_cells_of(*cell)

    def rebuild(self) -> None:
        session = self.session
        anim = session.animation_plan
        spec = session.spec
        padded, mask = session.padded, anim.padding_mask
        mode = spec.padding_mode
        if session.pattern in ("sample image", "image file"):
            rgba, dark = colour_cells(padded, "CET-L1", lightness=0.9)  # a picture looks like one in grey
        else:
            rgba, dark = colour_cells(padded, "CET-L12", lightness=0.6)
        rgba[mask] = (0.55 * rgba[mask] + 0.45 * np.array([190, 170, 250, 255])).astype(np.uint8)
        if mode == "zeros":
            rgba[mask] = ZERO_PAD
        rows_source, cols_source = anim.row_source, anim.col_source

        def texts():
            values, colours, subtexts = [], [], []
            for row in range(padded.shape[0]):
                text_row, colour_row, sub_row = [], [], []
                for col in range(padded.shape[1]):
                    text_row.append(format_value(padded[row, col]))
                    if mask[row, col]:
                        if mode == "zeros":
                            colour_row.append("#8a8a8a")
                            sub_row.append(None)
                        else:
                            colour_row.append("#4c2a9e")
                            sub_row.append(f"↤{rows_source[row]},{cols_source[col]}")
                    else:
                        colour_row.append("#111" if dark[row, col] else "#fff")
                        sub_row.append(None)
                values.append(text_row)
                colours.append(colour_row)
                subtexts.append(sub_row)
            return values, colours, (subtexts if mode != "zeros" else None)

        self.grid.set_cells(rgba, texts)
        self.grid.set_axis_labels(_index_labels(rows_source, mask.all(axis=1)),
                                  _index_labels(cols_source, mask.all(axis=0)))
        top, bottom, left, right = anim.pads
        height, width = spec.input_size
        self.input_border.setRect(QtCore.QRectF(left, top, width, height))
        for item in self._tap_items:
            item.setParentItem(None)
            if item.scene() is not None:
                item.scene().removeItem(item)
        row_offsets, col_offsets = anim.tap_offsets
        fill = QtGui.QBrush(QtGui.QColor(232, 89, 12, 70))
        pen = QtGui.QPen(QtGui.QColor(WINDOW_COLOUR))
        pen.setCosmetic(True)
        pen.setWidthF(1.5)
        self._tap_items = []
        for row_offset in row_offsets:
            for col_offset in col_offsets:
                item = QtWidgets.QGraphicsRectItem(float(col_offset) + 0.06, float(row_offset) + 0.06, 0.88, 0.88,
                                                   self.taps)
                item.setBrush(fill)
                item.setPen(pen)
                self._tap_items.append(item)
        ph, pw = anim.padded_shape
        pads = f"padding top {top}, bottom {bottom}, left {left}, right {right}"
        if any(anim.pads):
            self.title.setText(f"Input {height}×{width}, padded to {ph}×{pw}  ·  {pads}")
        else:
            self.title.setText(f"Input {height}×{width}  ·  no padding")
        if mode == "zeros":
            pad_text = "<span style='background:#e2e2e2'>&nbsp;grey&nbsp;</span> zero padding"
        else:
            pad_text = (f"<span style='background:#d5c8f5'>&nbsp;violet&nbsp;</span> {mode} padding "
                        "(↤r,c: the input cell it copies)")
        self.legend.setText(
            f"<span style='color:{INPUT_BORDER}'><b>▭ blue frame</b></span>: the input &nbsp; {pad_text} &nbsp; "
            f"<span style='color:{WINDOW_COLOUR}'><b>■ orange</b></span>: the kernel's taps, "
            f"{spec.kernel_size[0]}×{spec.kernel_size[1]} kernel, stride {spec.stride[0]}×{spec.stride[1]}"
            + (f", dilation {spec.dilation[0]}×{spec.dilation[1]}" if spec.dilation != (1, 1) else "")
        )
        self.show_step()

    def show_step(self) -> None:
        session = self.session
        i, j = session.position()
        top, left, height, width = session.plan.window_extent(i, j)
        self.window_rect.setRect(QtCore.QRectF(left, top, width, height))
        self.taps.setPos(left, top)
        self.arithmetic.setText(f"Step {session.step + 1} of {session.steps}:  {session.terms().text()}")


class OutputPanel(SteppedGridPanel):
    """The output map, filled up to the current step, with its shape and size formulas."""

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.shape_label = _label(size=12, bold=True)
        self.shape_label.setObjectName("output_shape")
        self.formula_label = _label(size=11)
        self.formula_label.setObjectName("output_formula")
        self.grid = CellGrid()
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.shape_label)
        layout.addWidget(self.formula_label)
        layout.addWidget(self.grid, 1)
        self.current = self.grid.add_rect(CURRENT_COLOUR, 3.5)
        self.grid.text_shown = lambda row, col: session.plan.step_of(row, col) <= session.step
        self.grid.cell_clicked.connect(lambda row, col: session.set_step(session.plan.step_of(row, col)))
        self.grid.setToolTip("Click an output cell to jump to the step that computes it")
        self.marks = Marks(self.grid)
        self._rgba = np.zeros((1, 1, 4), np.uint8)
        self._shown = -1
        session.subscribe(self.on_change)
        self.rebuild()

    def cells_marked_for(self, cell):
        """The outputs that read the selected input cell."""
        return self.session.plan.outputs_reading(*cell)

    def rebuild(self) -> None:
        session = self.session
        output = session.output
        self._rgba, dark = colour_cells(output, "viridis", lightness=0.6)
        def texts():
            return ([[format_value(value) for value in row] for row in output],
                    [["#111" if d else "#fff" for d in row] for row in dark], None)

        self.grid.set_cells(self._rgba, texts)
        ho, wo = session.plan.output_size
        self.grid.set_axis_labels([str(i) for i in range(ho)], [str(j) for j in range(wo)])
        self._shown = session.step  # texts are built (if ever) visible up to the current step
        self.shape_label.setText(f"Output {ho}×{wo}  ·  {session.plan.steps} steps")
        height, width = session.formulas()
        text = f"height: {height}\nwidth:  {width}"
        spec = session.spec
        if spec.dilation != (1, 1):
            reach = session.plan.dilated_kernel_size
            text += "\n(dilated kernel: " + ", ".join(
                f"{d}·({k}−1)+1 = {r}" for d, k, r in zip(spec.dilation, spec.kernel_size, reach)) + ")"
        self.formula_label.setText(text)
        self.show_step()

    def show_step(self) -> None:
        session = self.session
        step = session.step
        display = self._rgba.copy()
        flat = display.reshape(-1, 4)
        flat[step + 1:] = EMPTY
        self.grid.image.setImage(display, autoLevels=False, levels=None)
        low, high = sorted((self._shown, step))
        if self.grid.texts_built:
            for index in range(low + 1, high + 1):
                self.grid.set_text_shown(*session.plan.step_position(index), index <= step)
        self._shown = step
        i, j = session.position()
        self.current.setRect(QtCore.QRectF(j, i, 1, 1))


class CoveragePanel(QtWidgets.QWidget):
    """How many multiplications read each input cell; cells no window reads in red."""

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.title = _label("Coverage: reads per input cell (click one)", size=12, bold=True)
        self.summary = _label(size=11)
        self.summary.setObjectName("coverage_summary")
        self.grid = CellGrid()
        self.colour_bar = pg.ColorBarItem(values=(0, 1), colorMap="viridis", interactive=False, width=16)
        self.grid.addItem(self.colour_bar)
        self.grid.setToolTip("Click an input cell to outline it and every output that reads it (blue)")
        self.grid.cell_clicked.connect(lambda row, col: session.select_input((row, col)))
        self.marks = Marks(self.grid)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.title)
        layout.addWidget(self.summary)
        layout.addWidget(self.grid, 1)
        session.subscribe(self.on_change)
        self.rebuild()

    def on_change(self, changes) -> None:
        if SPEC in changes:
            self.rebuild()
        if SELECTION in changes:
            cell = self.session.selected_input
            self.marks.show([] if cell is None else [cell])
            self._show_summary()

    def rebuild(self) -> None:
        session = self.session
        coverage = session.plan.coverage
        low, high = session.plan.coverage_range
        rgba, dark = colour_cells(coverage, "viridis", low=0, high=max(high, 1), lightness=1.0)
        unread = coverage == 0
        rgba[unread] = UNREAD_COLOUR
        def texts():
            return ([[str(int(value)) for value in row] for row in coverage],
                    [["#fff" if unread[r, c] or not dark[r, c] else "#111" for c in range(coverage.shape[1])]
                     for r in range(coverage.shape[0])], None)

        self.grid.set_cells(rgba, texts)
        height, width = session.spec.input_size
        self.grid.set_axis_labels([str(i) for i in range(height)], [str(j) for j in range(width)])
        self.colour_bar.setLevels((0, max(high, 1)))
        spacing = max(1, -(-max(high, 1) // 5))
        self.colour_bar.axis.setTickSpacing(spacing, spacing)
        self._show_summary()

    def _show_summary(self) -> None:
        text = self.session.coverage_summary()
        picked = self.session.selection_text()
        if picked:
            text += f"\n<b style='color:{SELECTION_COLOUR}'>{picked}</b>"
        self.summary.setText(text.replace("\n", "<br>"))
