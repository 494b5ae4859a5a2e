"""CellGrid: a pyqtgraph view of a grid of coloured cells with values written in them.

Built once per spec (colours, texts, grid lines); per animation frame only the
overlays move and single texts are shown or hidden, so a frame repaints just
the cells that changed. Cell (row, col) covers [col, col+1] × [row, row+1] in
data coordinates, Y pointing down. Geometry (which cells, where the window
is) comes from the caller, who asks the plan; this widget only draws.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtCore, QtGui, QtWidgets

pg.setConfigOptions(imageAxisOrder="row-major", antialias=False)

TEXT_PIXELS = 40
"""Font size texts are laid out at, then scaled into their cell."""
MIN_CELL_PIXELS = 15
MIN_LINE_PIXELS = 4
"""Grid lines are drawn only while cells are at least this many pixels wide (else they are all one sees)."""
"""Values are written in the cells only when a cell is at least this many pixels wide on screen."""


def _pen(color, width=1.0, style=QtCore.Qt.PenStyle.SolidLine) -> QtGui.QPen:
    pen = QtGui.QPen(QtGui.QColor(color))
    pen.setWidthF(width)
    pen.setCosmetic(True)
    pen.setStyle(style)
    return pen


class CellGrid(pg.GraphicsLayoutWidget):
    """A locked-aspect grid of cells: RGBA colours, optional text in each, overlays on top."""

    cell_clicked = QtCore.pyqtSignal(int, int)
    """(row, col) of a cell the user clicked."""
    cell_hovered = QtCore.pyqtSignal(int, int)
    """(row, col) of the cell the pointer moved onto; (-1, -1) when it leaves the cells."""

    def __init__(self, parent=None, axes: bool = True):
        super().__init__(parent)
        self.setBackground("w")
        self.setFocusPolicy(QtCore.Qt.FocusPolicy.StrongFocus)  # click the grid, then Space / arrows
        self.plot = self.addPlot()
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(False, False)
        self.plot.hideButtons()
        self.view = self.plot.getViewBox()
        self.view.setAspectLocked(True)
        self.view.invertY(True)
        self.view.disableAutoRange()
        self.plot.hideAxis("bottom")
        self.plot.hideAxis("left")
        if axes:
            for side in ("top", "left"):
                self.plot.showAxis(side)
                axis = self.plot.getAxis(side)
                axis.setPen(pg.mkPen("#666"))
                axis.setTextPen(pg.mkPen("#444"))
                axis.setStyle(tickLength=0)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        self.lines = QtWidgets.QGraphicsPathItem()
        self.lines.setPen(_pen("#b8b8b8", 1.0))
        self.plot.addItem(self.lines, ignoreBounds=True)
        self.texts_layer = pg.ItemGroup()
        self.plot.addItem(self.texts_layer, ignoreBounds=True)
        self.overlay_layer = pg.ItemGroup()
        self.plot.addItem(self.overlay_layer, ignoreBounds=True)
        self.shape = (0, 0)
        self.texts: list[list[QtWidgets.QGraphicsSimpleTextItem | None]] = []
        self.force_values: bool | None = None
        """True/False: always/never write values; None: when cells are big enough on screen."""
        self.text_shown = None
        """Optional (row, col) -> bool: whether a cell's text starts visible when the texts are built."""
        self.texts_built = False
        self._pending = None
        self._font = QtGui.QFont()
        self._font.setPixelSize(TEXT_PIXELS)
        self._small_font = QtGui.QFont()
        self._small_font.setPixelSize(int(TEXT_PIXELS * 0.7))
        self.scene().sigMouseClicked.connect(self._clicked)
        self.scene().sigMouseMoved.connect(self._moved)
        self._hovered = (-1, -1)
        self.view.sigResized.connect(self._update_text_visibility)
        self.view.sigRangeChanged.connect(self._update_text_visibility)

    # building ---------------------------------------------------------------------------------
    def set_cells(self, rgba: np.ndarray, texts=None) -> None:
        """Colours (H, W, 4) uint8, and `texts`: None or a callable returning (texts, colours, subtexts),
        lists of rows of strings (or None) — called only when the values are first to be seen."""
        height, width = rgba.shape[:2]
        # drop the old texts first: setting the view range below can ask for texts at once
        self._pending = None
        self._clear_texts()
        self.image.setImage(rgba, autoLevels=False, levels=None)
        self.image.setRect(QtCore.QRectF(0, 0, width, height))
        if (height, width) != self.shape:
            self.shape = (height, width)
            path = QtGui.QPainterPath()
            for row in range(height + 1):
                path.moveTo(0, row)
                path.lineTo(width, row)
            for col in range(width + 1):
                path.moveTo(col, 0)
                path.lineTo(col, height)
            self.lines.setPath(path)
            margin = 0.02 * max(height, width)
            self.view.setRange(xRange=(-margin, width + margin), yRange=(-margin, height + margin), padding=0)
        self._clear_texts()
        self._pending = texts
        self._update_text_visibility()

    def _clear_texts(self) -> None:
        for item in self.texts_layer.childItems():
            item.setParentItem(None)
            if item.scene() is not None:
                item.scene().removeItem(item)
        height, width = self.shape
        self.texts = [[None] * width for _ in range(height)]
        self.texts_built = False

    def _build_texts(self) -> None:
        """Make the text items, the first time they are to be seen (cells too small: never)."""
        self.texts_built = True
        if self._pending is None:
            return
        texts, text_colors, subtexts = self._pending()
        height, width = self.shape
        if len(texts) != height or any(len(row) != width for row in texts) or len(self.texts) != height:
            return  # texts of another shape (a caller's bug): draw none rather than raise
        shown = self.text_shown
        for row in range(height):
            for col in range(width):
                text = texts[row][col]
                if text is None:
                    continue
                color = "#111" if text_colors is None else text_colors[row][col]
                sub = None if subtexts is None else subtexts[row][col]
                item = self._make_text(row, col, text, color, sub)
                if shown is not None and not shown(row, col):
                    item.setVisible(False)
                self.texts[row][col] = item

    def _make_text(self, row, col, text, color, sub=None):
        item = QtWidgets.QGraphicsSimpleTextItem(text, self.texts_layer)
        item.setFont(self._font)
        item.setBrush(QtGui.QBrush(QtGui.QColor(color)))
        bounds = item.boundingRect()
        scale = min(0.42 / bounds.height() * (0.8 if sub else 1.0), 0.86 / max(bounds.width(), 1.0))
        item.setScale(scale)
        centre_y = row + (0.36 if sub else 0.5)
        item.setPos(col + 0.5 - bounds.width() * scale / 2, centre_y - bounds.height() * scale / 2)
        if sub:
            small = QtWidgets.QGraphicsSimpleTextItem(sub, item)
            small.setFont(self._small_font)
            small.setBrush(QtGui.QBrush(QtGui.QColor(color)))
            small_bounds = small.boundingRect()
            inner = min(0.26 / (small_bounds.height() * scale), 0.9 / (small_bounds.width() * scale))
            small.setScale(inner)
            small.setPos((bounds.width() - small_bounds.width() * inner) / 2, bounds.height() * 0.95)
        return item

    def _clicked(self, event) -> None:
        point = self.view.mapSceneToView(event.scenePos())
        row, col = int(np.floor(point.y())), int(np.floor(point.x()))
        height, width = self.shape
        if 0 <= row < height and 0 <= col < width:
            self.cell_clicked.emit(row, col)

    def _moved(self, scene_pos) -> None:
        point = self.view.mapSceneToView(scene_pos)
        self._hover_at(int(np.floor(point.y())), int(np.floor(point.x())))

    def _hover_at(self, row: int, col: int) -> None:
        height, width = self.shape
        cell = (row, col) if 0 <= row < height and 0 <= col < width else (-1, -1)
        if cell != self._hovered:
            self._hovered = cell
            self.cell_hovered.emit(*cell)

    def leaveEvent(self, event) -> None:
        self._hover_at(-1, -1)
        super().leaveEvent(event)

    # visibility -------------------------------------------------------------------------------
    def cell_pixels(self) -> float:
        size = self.view.viewPixelSize()
        if not size or size[0] <= 0:
            return 0.0
        return 1.0 / size[0]

    def values_visible(self) -> bool:
        if self.force_values is not None:
            return self.force_values
        return self.cell_pixels() >= MIN_CELL_PIXELS

    def _update_text_visibility(self, *args) -> None:
        visible = self.values_visible()
        if visible and not self.texts_built:
            self._build_texts()
        self.texts_layer.setVisible(visible)
        self.lines.setVisible(self.cell_pixels() >= MIN_LINE_PIXELS)

    def set_text_shown(self, row: int, col: int, shown: bool) -> None:
        item = self.texts[row][col]
        if item is not None:
            item.setVisible(shown)

    # overlays ---------------------------------------------------------------------------------
    def add_rect(self, color, width=3.0, fill=None, style=QtCore.Qt.PenStyle.SolidLine):
        item = QtWidgets.QGraphicsRectItem(0, 0, 1, 1, self.overlay_layer)
        item.setPen(_pen(color, width, style))
        item.setBrush(QtGui.QBrush(QtGui.QColor(fill)) if fill else QtGui.QBrush(QtCore.Qt.BrushStyle.NoBrush))
        return item

    def set_axis_labels(self, rows: list[str], cols: list[str]) -> None:
        """Tick labels at cell centres: rows[r] beside row r, cols[c] above column c ('' for none)."""
        left, top = self.plot.getAxis("left"), self.plot.getAxis("top")
        if left is None or top is None:
            return
        left.setTicks([_thin(rows), []])
        top.setTicks([_thin(cols), []])


def _thin(labels: list[str]) -> list[tuple[float, str]]:
    """Tick (position, label) pairs, every label for short axes, every 2nd/5th/10th… index for long ones."""
    count = sum(1 for label in labels if label)
    longest = max((len(label) for label in labels), default=1)
    most = 14 if longest <= 2 else 7 if longest == 3 else 5
    every = next((step for step in (1, 2, 5, 10, 20, 50, 100, 200, 500) if count / step <= most), 1000)
    return [(index + 0.5, label) for index, label in enumerate(labels)
            if label and (not label.lstrip("-").isdigit() or int(label) % every == 0)]


LUT_SIZE = 4096
"""Entries of a colormap's lookup table: colours one 4096th of the range apart (finer than a byte per channel)."""


@lru_cache(maxsize=16)
def _softened_table(colormap: str, lightness: float) -> tuple[np.ndarray, np.ndarray]:
    """(LUT_SIZE, 4) uint8 colours of `colormap` softened towards white, and which want dark text."""
    table = pg.colormap.get(colormap).map(np.linspace(0.0, 1.0, LUT_SIZE), mode="byte").astype(np.float64)
    table[:, :3] = 255 - (255 - table[:, :3]) * lightness
    table = table.astype(np.uint8)
    luminance = table[:, 0] * 0.299 + table[:, 1] * 0.587 + table[:, 2] * 0.114
    return table, luminance > 140


def colour_cells(values: np.ndarray, colormap: str = "viridis", low=None, high=None,
                 lightness: float = 0.55) -> tuple[np.ndarray, np.ndarray]:
    """RGBA colours of `values` on a colormap, softened towards white so text stays readable,
    and whether each cell wants dark text. One table lookup per cell (a million cells in
    milliseconds); NaN (not computed yet) is light grey."""
    values = np.asarray(values, dtype=np.float64)
    known = ~np.isnan(values)
    everything = bool(known.all())
    finite = values if everything else values[known]
    low = (float(finite.min()) if finite.size else 0.0) if low is None else low
    high = (float(finite.max()) if finite.size else 1.0) if high is None else high
    span = high - low if high > low else 1.0
    scaled = (values - low) * ((LUT_SIZE - 1) / span)
    if not everything:
        scaled[~known] = 0.0
    index = np.clip(scaled, 0, LUT_SIZE - 1, out=scaled).astype(np.intp)
    table, dark = _softened_table(colormap, float(lightness))
    rgba, wants_dark = table[index], dark[index]
    if not everything:
        rgba[~known, :3] = 235
        wants_dark[~known] = True
    return rgba, wants_dark
