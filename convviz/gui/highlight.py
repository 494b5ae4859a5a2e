"""Highlight: the cells of one grid that take part in a selection, drawn over a CellGrid.

A selection's cells are always every pairing of some rows with some columns (the plan's reads
are separable), so a highlight is given as two per-axis count vectors. It draws a translucent
fill over the block of rows × columns as one small image, an outline around each cell as one
path and, where few enough cells are highlighted to read, '×n' in each: the work per hover is
bounded by the grid's size in numpy and by MAX_OUTLINED cells in Qt items, however large the grid.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtCore, QtGui, QtWidgets

from .grid import CellGrid

MAX_OUTLINED = 2048
"""Outline cells (and write counts) only while at most this many are highlighted; past it, the fill says it."""
MAX_COUNTS = 400
"""Write '×n' in at most this many cells."""
COUNT_MIN_PIXELS = 22
"""Counts are written only while a cell is at least this many pixels wide."""


def _colour(colour, alpha: int | None = None) -> QtGui.QColor:
    colour = QtGui.QColor(colour)
    if alpha is not None:
        colour.setAlpha(alpha)
    return colour


class Highlight:
    """Fill, outlines and counts on the cells rows × cols of `grid`."""

    def __init__(self, grid: CellGrid, colour: str, fill_alpha: int = 90, width: float = 2.5,
                 dashed: bool = False, z: float = 0.0):
        self.grid, self.colour = grid, colour
        self.fill = pg.ImageItem(axisOrder="row-major")
        self.fill.setParentItem(grid.overlay_layer)
        self.fill.setZValue(z)
        self._lut = np.array([(0, 0, 0, 0), _colour(colour, fill_alpha).getRgb()], dtype=np.uint8)
        self.outline = QtWidgets.QGraphicsPathItem(grid.overlay_layer)
        pen = QtGui.QPen(_colour(colour))
        pen.setCosmetic(True)
        pen.setWidthF(width)
        if dashed:
            pen.setStyle(QtCore.Qt.PenStyle.DashLine)
        self.outline.setPen(pen)
        self.outline.setZValue(z + 0.1)
        self.labels = pg.ItemGroup()
        self.labels.setParentItem(grid.overlay_layer)
        self.labels.setZValue(z + 0.2)
        self._font = QtGui.QFont()
        self._font.setPixelSize(40)
        self._font.setBold(True)
        self._rows = self._cols = np.empty(0, dtype=np.int64)
        self.counts: dict[tuple[int, int], int] = {}
        """The count written in each cell that has one."""
        grid.view.sigRangeChanged.connect(self._update_label_visibility)
        grid.view.sigResized.connect(self._update_label_visibility)
        self.clear()

    def clear(self) -> None:
        self.show(np.zeros(0, np.int64), np.zeros(0, np.int64))

    def show(self, row_counts, col_counts, offset: tuple[int, int] = (0, 0), fill: bool = True,
             outline: bool = True, counts: bool = True) -> None:
        """Highlight every (row, col) with row_counts[row] > 0 and col_counts[col] > 0, each
        counted row_counts[row]·col_counts[col] times, moved by `offset` (rows, cols) on the grid."""
        row_counts, col_counts = np.asarray(row_counts), np.asarray(col_counts)
        rows, cols = np.flatnonzero(row_counts), np.flatnonzero(col_counts)
        top, left = offset
        self._rows, self._cols = rows + top, cols + left
        self._show_fill(rows, cols, top, left, fill)
        few = len(rows) * len(cols) <= MAX_OUTLINED
        path = QtGui.QPainterPath()
        if outline and few:
            for row, col in self.cells.tolist():
                path.addRect(QtCore.QRectF(col + 0.06, row + 0.06, 0.88, 0.88))
        self.outline.setPath(path)
        for item in self.labels.childItems():
            item.setParentItem(None)
            if item.scene() is not None:
                item.scene().removeItem(item)
        self.counts = {}
        if counts and few and len(rows) * len(cols) <= MAX_COUNTS:
            for (row, col), count in zip(self.cells.tolist(),
                                         np.outer(row_counts[rows], col_counts[cols]).ravel().tolist()):
                self.counts[(row, col)] = count
                self._label(row, col, f"×{count}")
        self._update_label_visibility()

    @property
    def cells(self) -> np.ndarray:
        """(n, 2) the highlighted cells, row-major (built when asked: a highlight may cover a million)."""
        rows, cols = self._rows, self._cols
        return np.column_stack((np.repeat(rows, len(cols)), np.tile(cols, len(rows))))

    @property
    def cell_count(self) -> int:
        return len(self._rows) * len(self._cols)

    def _show_fill(self, rows, cols, top, left, fill) -> None:
        """One image over the block from the first highlighted cell to the last, an 8-bit mask
        drawn through a two-colour table (transparent, the fill)."""
        if not fill or not len(rows) or not len(cols):
            self.fill.setVisible(False)
            return
        first_row, first_col = rows[0], cols[0]
        row_mask = np.zeros(rows[-1] - first_row + 1, dtype=np.uint8)
        row_mask[rows - first_row] = 1
        col_mask = np.zeros(cols[-1] - first_col + 1, dtype=np.uint8)
        col_mask[cols - first_col] = 1
        self.fill.setImage(np.outer(row_mask, col_mask), lut=self._lut, levels=(0, 1), autoLevels=False)
        self.fill.setRect(QtCore.QRectF(first_col + left, first_row + top, len(col_mask), len(row_mask)))
        self.fill.setVisible(True)

    def _label(self, row: int, col: int, text: str) -> None:
        item = QtWidgets.QGraphicsSimpleTextItem(text, self.labels)
        item.setFont(self._font)
        item.setBrush(QtGui.QBrush(_colour(self.colour)))
        bounds = item.boundingRect()
        backing = QtWidgets.QGraphicsRectItem(bounds.adjusted(-4, 0, 4, 0), item)
        backing.setBrush(QtGui.QBrush(QtGui.QColor(255, 255, 255, 215)))
        backing.setPen(QtGui.QPen(QtCore.Qt.PenStyle.NoPen))
        backing.setFlag(QtWidgets.QGraphicsItem.GraphicsItemFlag.ItemStacksBehindParent)
        scale = min(0.3 / bounds.height(), 0.5 / max(bounds.width(), 1.0))
        item.setScale(scale)
        item.setPos(col + 0.97 - bounds.width() * scale, row + 0.02)

    def _update_label_visibility(self, *args) -> None:
        self.labels.setVisible(self.grid.cell_pixels() >= COUNT_MIN_PIXELS)

    def set_visible(self, visible: bool) -> None:
        for item in (self.fill, self.outline, self.labels):
            item.setVisible(visible and (item is not self.fill or bool(self.cell_count)))
        if visible:
            self._update_label_visibility()
