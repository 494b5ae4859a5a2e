"""The three grids of one session: the padded input with the sliding window, the output map
filling in, and the border-coverage heatmap. Each draws a `Frame` (convviz.session.frame) and
redraws only what changed; clicks are emitted as signals, never acted on here."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtCore, QtGui, QtWidgets

from ..session import DATA, SELECTION, SPEC, STEP
from .grid import CellGrid, colour_cells
from .theme import NORMAL, Theme

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
    label.setProperty("base_points", size or font.pointSizeF())
    return label


def scale_labels(widget: QtWidgets.QWidget, theme: Theme) -> None:
    """Every label made by `_label` under `widget` at its base size times the theme's scale."""
    for label in widget.findChildren(QtWidgets.QLabel):
        base = label.property("base_points")
        if base:
            font = label.font()
            font.setPointSizeF(theme.font(float(base)))
            label.setFont(font)


def _outline(colour: str, width: float) -> QtGui.QPen:
    pen = QtGui.QPen(QtGui.QColor(colour))
    pen.setCosmetic(True)
    pen.setWidthF(width)
    return pen


def _remove(items) -> None:
    for item in items:
        item.setParentItem(None)
        if item.scene() is not None:
            item.scene().removeItem(item)


class Marks:
    """Outlines on some cells of a grid (the picked input cell, or the outputs that read it)."""

    def __init__(self, grid: CellGrid, colour: str = NORMAL.selection_colour, width: float = 3.0):
        self.grid, self.colour, self.width = grid, colour, width
        self.items: list = []
        self.cells: list = []

    def apply_theme(self, theme: Theme) -> None:
        self.colour, self.width = theme.selection_colour, theme.line(3.0)
        self.show(self.cells)

    def show(self, cells) -> None:
        _remove(self.items)
        self.items = []
        self.cells = list(cells)[:MAX_MARKS]
        for row, col in self.cells:
            item = self.grid.add_rect(self.colour, self.width, style=QtCore.Qt.PenStyle.DashLine)
            item.setRect(QtCore.QRectF(col + 0.08, row + 0.08, 0.84, 0.84))
            self.items.append(item)


class AnimationPanel(QtWidgets.QWidget):
    """The padded input grid, the kernel window over its taps, and the step's arithmetic."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.title = _label(size=12, bold=True)
        self.legend = _label()
        self.legend.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.grid = CellGrid()
        self.arithmetic = _label(size=13)
        self.arithmetic.setObjectName("arithmetic")
        self.arithmetic.setMinimumHeight(40)
        self.fit_button = QtWidgets.QToolButton(text="Fit")
        self.fit_button.setObjectName("fit")
        self.fit_button.setToolTip("Show the whole grids again (or double-click a grid). "
                                   "Mouse wheel: zoom; drag: pan")
        self.follow = QtWidgets.QCheckBox("Follow the kernel")
        self.follow.setObjectName("follow")
        self.follow.setToolTip("While zoomed in, keep the kernel's window (and the output cell) in view; "
                               "turning it on zooms in until values can be read")
        self.follow.setChecked(True)
        for widget in (self.fit_button, self.follow):
            widget.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
        tools = QtWidgets.QHBoxLayout()
        tools.addWidget(self.legend, 1)
        tools.addWidget(self.fit_button, 0, QtCore.Qt.AlignmentFlag.AlignTop)
        tools.addWidget(self.follow, 0, QtCore.Qt.AlignmentFlag.AlignTop)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.title)
        layout.addLayout(tools)
        layout.addWidget(self.grid, 1)
        layout.addWidget(self.arithmetic)
        self.theme = NORMAL
        self.input_border = self.grid.add_rect(NORMAL.input_border, 3.0)
        self.window_rect = self.grid.add_rect(NORMAL.window_colour, 3.5)
        self.taps = pg.ItemGroup()
        self.taps.setParentItem(self.grid.overlay_layer)
        self._tap_items: list = []
        self.marks = Marks(self.grid)

    def apply_theme(self, theme: Theme) -> None:
        """Colours, line widths and font sizes of `theme`; the next full draw uses its maps."""
        self.theme = theme
        scale_labels(self, theme)
        font = self.arithmetic.font()
        font.setPointSizeF(theme.arithmetic_points)
        self.arithmetic.setFont(font)
        self.grid.apply_theme(theme)
        self.input_border.setPen(_outline(theme.input_border, theme.line(3.0)))
        self.window_rect.setPen(_outline(theme.window_colour, theme.line(3.5)))
        self.marks.apply_theme(theme)

    def draw(self, frame, changes) -> None:
        if SPEC in changes or DATA in changes:
            self._draw_grid(frame.input)
        if changes & {SPEC, DATA, STEP}:
            self._draw_step(frame)
        if SELECTION in changes:
            self.marks.show(frame.selection.padded_cells if frame.selection else [])

    def _draw_grid(self, picture) -> None:
        padded, mask, mode = picture.values, picture.padding, picture.mode
        theme = self.theme
        if picture.pictorial:
            rgba, dark = colour_cells(padded, theme.picture_map, lightness=0.9)  # a picture looks like one in grey
        else:
            rgba, dark = colour_cells(padded, theme.input_map, lightness=0.6)
        rgba[mask] = (0.55 * rgba[mask] + 0.45 * np.array([190, 170, 250, 255])).astype(np.uint8)
        if mode == "zeros":
            rgba[mask] = ZERO_PAD

        pad_text_colour = "#8a8a8a" if mode == "zeros" else "#4c2a9e"

        def texts(rows, cols):
            colours = np.where(mask[rows, cols], pad_text_colour, np.where(dark[rows, cols], "#111", "#fff"))
            return picture.cell_texts(rows, cols), colours.tolist(), picture.copy_labels(rows, cols)

        self.grid.set_cells(rgba, texts)
        self.grid.set_axis_labels(picture.row_labels, picture.col_labels)
        top, left, height, width = picture.input_rect
        self.input_border.setRect(QtCore.QRectF(left, top, width, height))
        _remove(self._tap_items)
        row_offsets, col_offsets = picture.tap_offsets
        fill_colour = QtGui.QColor(theme.window_colour)
        fill_colour.setAlpha(70)
        fill = QtGui.QBrush(fill_colour)
        pen = _outline(theme.window_colour, theme.line(1.5))
        self._tap_items = []
        for row_offset in row_offsets:
            for col_offset in col_offsets:
                item = QtWidgets.QGraphicsRectItem(float(col_offset) + 0.06, float(row_offset) + 0.06, 0.88, 0.88,
                                                   self.taps)
                item.setBrush(fill)
                item.setPen(pen)
                self._tap_items.append(item)
        self.title.setText(picture.title)
        if mode == "zeros":
            pad_text = "<span style='background:#e2e2e2'>&nbsp;grey&nbsp;</span> zero padding"
        else:
            pad_text = (f"<span style='background:#d5c8f5'>&nbsp;violet&nbsp;</span> {mode} padding "
                        "(↤r,c: the input cell it copies)")
        self.legend.setText(
            f"<span style='color:{theme.input_border}'><b>▭ {theme.border_name}</b></span>: the input &nbsp; "
            f"{pad_text} &nbsp; <span style='color:{theme.window_colour}'><b>■ {theme.window_name}</b></span>: "
            f"the kernel's taps, {picture.kernel_text}"
        )

    def _draw_step(self, frame) -> None:
        top, left, height, width = frame.window
        self.window_rect.setRect(QtCore.QRectF(left, top, width, height))
        self.taps.setPos(left, top)
        self.arithmetic.setText(frame.arithmetic)


class OutputPanel(QtWidgets.QWidget):
    """The output map, filled up to the current step, with its shape and size formulas."""

    cell_clicked = QtCore.pyqtSignal(int, int)
    """(i, j) of an output cell the user clicked."""

    def __init__(self, parent=None):
        super().__init__(parent)
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
        self.theme = NORMAL
        self.current = self.grid.add_rect(NORMAL.window_colour, 3.5)
        self.grid.cell_clicked.connect(self.cell_clicked)
        self.grid.setToolTip("Click an output cell to jump to the step that computes it")
        self.marks = Marks(self.grid)
        self._rgba = np.zeros((1, 1, 4), np.uint8)
        self._display = self._rgba
        self._picture = None
        self._shown = -1

    def draw(self, frame, changes) -> None:
        if SPEC in changes or DATA in changes:
            self._draw_grid(frame)
        if changes & {SPEC, DATA, STEP}:
            self._draw_step(frame)
        if SELECTION in changes:
            self.marks.show(frame.selection.readers if frame.selection else [])

    def _draw_grid(self, frame) -> None:
        picture = self._picture = frame.output
        self._rgba, dark = colour_cells(picture.values, self.theme.output_map, lightness=0.6)

        def texts(rows, cols):
            return picture.cell_texts(rows, cols), np.where(dark[rows, cols], "#111", "#fff").tolist(), None

        step = frame.step
        self.grid.text_shown = lambda row, col: picture.cell_steps[row, col] <= step
        self._display = self._rgba.copy()
        self._display[picture.cell_steps > step] = EMPTY
        self.grid.set_cells(self._display, texts)
        self.grid.set_axis_labels(picture.row_labels, picture.col_labels)
        self._shown = step  # cells and texts are shown up to this step
        self.shape_label.setText(picture.title)
        self.formula_label.setText(picture.formulas)

    def apply_theme(self, theme: Theme) -> None:
        self.theme = theme
        scale_labels(self, theme)
        self.grid.apply_theme(theme)
        self.current.setPen(_outline(theme.window_colour, theme.line(3.5)))
        self.marks.apply_theme(theme)

    def _draw_step(self, frame) -> None:
        picture, step = self._picture, frame.step
        low, high = sorted((self._shown, step))
        if high > low:
            # only the cells between the last shown step and this one change
            rows, cols = picture.step_cells[low + 1:high + 1].T
            self._display[rows, cols] = self._rgba[rows, cols] if step > self._shown else EMPTY
            self.grid.image.setImage(self._display, autoLevels=False, levels=None)
            if high - low <= len(self.grid.texts):
                for index in range(low + 1, high + 1):
                    self.grid.set_text_shown(*picture.step_cells[index], index <= step)
            else:
                for (row, col), item in self.grid.texts.items():
                    item.setVisible(bool(picture.cell_steps[row, col] <= step))
        self._shown = step
        self.grid.text_shown = lambda row, col: picture.cell_steps[row, col] <= step
        i, j = frame.position
        self.current.setRect(QtCore.QRectF(j, i, 1, 1))


class CoveragePanel(QtWidgets.QWidget):
    """How many multiplications read each input cell; cells no window reads in red."""

    cell_clicked = QtCore.pyqtSignal(int, int)
    """(row, col) of an input cell the user clicked."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.title = _label("Coverage: reads per input cell (click one)", size=12, bold=True)
        self.summary = _label(size=11)
        self.summary.setObjectName("coverage_summary")
        self.grid = CellGrid()
        self.colour_bar = pg.ColorBarItem(values=(0, 1), colorMap="viridis", interactive=False, width=16)
        self.grid.addItem(self.colour_bar)
        self.grid.setToolTip("Click an input cell to outline it and every output that reads it (blue)")
        self.grid.cell_clicked.connect(self.cell_clicked)
        self.marks = Marks(self.grid)
        self.theme = NORMAL
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.title)
        layout.addWidget(self.summary)
        layout.addWidget(self.grid, 1)

    def apply_theme(self, theme: Theme) -> None:
        self.theme = theme
        scale_labels(self, theme)
        self.grid.apply_theme(theme)
        self.colour_bar.setColorMap(pg.colormap.get(theme.coverage_map))
        self.marks.apply_theme(theme)

    def draw(self, frame, changes) -> None:
        if SPEC in changes:
            self._draw_grid(frame.coverage)
        if SELECTION in changes:
            self.marks.show([frame.selection.cell] if frame.selection else [])
        if SPEC in changes or SELECTION in changes:
            text = frame.coverage.summary
            if frame.selection:
                text += f"<br><b style='color:{self.theme.selection_colour}'>{frame.selection.text}</b>"
            self.summary.setText(text)

    def _draw_grid(self, picture) -> None:
        most = max(picture.most, 1)
        rgba, dark = colour_cells(picture.counts, self.theme.coverage_map, low=0, high=most, lightness=1.0)
        unread = picture.unread
        rgba[unread] = self.theme.unread_colour

        def texts(rows, cols):
            colours = np.where(unread[rows, cols] | ~dark[rows, cols], "#fff", "#111").tolist()
            return picture.cell_texts(rows, cols), colours, None

        self.grid.set_cells(rgba, texts)
        self.grid.set_axis_labels(picture.row_labels, picture.col_labels)
        self.colour_bar.setLevels((0, most))
        spacing = max(1, -(-most // 5))
        self.colour_bar.axis.setTickSpacing(spacing, spacing)
