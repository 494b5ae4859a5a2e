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

from .cell_axis import CellAxis

pg.setConfigOptions(imageAxisOrder="row-major", antialias=False)

TEXT_PIXELS = 40
"""Font size texts are laid out at, then scaled into their cell."""
MIN_CELL_PIXELS = 15
"""Values are written in the cells only when a cell is at least this many pixels wide on screen."""
MIN_LINE_PIXELS = 4
"""Grid lines are drawn only while cells are at least this many pixels wide (else they are all one sees)."""
TEXT_BLOCK = 16
"""Texts are built in blocks of this many cells a side, as they come into view."""
MAX_TEXT_CELLS = 6000
"""No texts while more cells than this are in view (they would be unreadable anyway)."""


def _pen(color, width=1.0, style=QtCore.Qt.PenStyle.SolidLine) -> QtGui.QPen:
    pen = QtGui.QPen(QtGui.QColor(color))
    pen.setWidthF(width)
    pen.setCosmetic(True)
    pen.setStyle(style)
    return pen


class GridPlot(pg.GraphicsWidget):
    """What a CellGrid needs of a pyqtgraph PlotItem, laid out as PlotItem lays it out: a view box
    with a top and a left axis (`axes`: light ones, `CellAxis`) or none. Without PlotItem's context menus and configuration
    widgets, which were three quarters of a grid's 20 ms construction (compare mode makes nine
    grids at once, on the GUI thread)."""

    def __init__(self, axes: bool = True):
        super().__init__()
        layout = QtWidgets.QGraphicsGridLayout()
        layout.setContentsMargins(1, 1, 1, 1)
        layout.setHorizontalSpacing(0)
        layout.setVerticalSpacing(0)
        self.setLayout(layout)
        self.vb = pg.ViewBox(parent=self, enableMenu=False)
        layout.addItem(self.vb, 2, 1)
        self.axes: dict[str, CellAxis] = {}
        for side, position in ((("top", (1, 1)), ("left", (2, 0))) if axes else ()):
            axis = CellAxis(side, parent=self)
            axis.linkToView(self.vb)
            layout.addItem(axis, *position)
            self.axes[side] = axis
        for row in range(3):
            layout.setRowPreferredHeight(row, 0)
            layout.setRowMinimumHeight(row, 0)
            layout.setRowSpacing(row, 0)
            layout.setRowStretchFactor(row, 1)
        for col in range(2):
            layout.setColumnPreferredWidth(col, 0)
            layout.setColumnMinimumWidth(col, 0)
            layout.setColumnSpacing(col, 0)
            layout.setColumnStretchFactor(col, 1)
        layout.setRowStretchFactor(2, 100)
        layout.setColumnStretchFactor(1, 100)
        layout.setRowFixedHeight(0, 0)  # PlotItem's hidden title
        if not axes:
            layout.setRowFixedHeight(1, 0)
            layout.setColumnFixedWidth(0, 0)
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Expanding, QtWidgets.QSizePolicy.Policy.Expanding)

    def getViewBox(self) -> pg.ViewBox:  # noqa: N802 (PlotItem's name)
        return self.vb

    def getAxis(self, side: str) -> CellAxis | None:  # noqa: N802 (PlotItem's name)
        """The axis on `side` ("top", "left"), None where the grid has none."""
        return self.axes.get(side)

    def addItem(self, item, ignoreBounds: bool = False) -> None:  # noqa: N802, N803 (PlotItem's names)
        self.vb.addItem(item, ignoreBounds=ignoreBounds)


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
        self.plot = GridPlot(axes)
        self.ci.addItem(self.plot)
        self.view = self.plot.getViewBox()
        self.view.setMouseEnabled(True, True)  # wheel zooms, drag pans; fit() shows it all again
        self.view.setAspectLocked(True)
        self.view.invertY(True)
        self.view.disableAutoRange()
        for axis in self.plot.axes.values():
            axis.setPen(pg.mkPen("#666"))
            axis.setTextPen(pg.mkPen("#444"))
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
        self.texts: dict[tuple[int, int], QtWidgets.QGraphicsSimpleTextItem] = {}
        """Text items built so far, by (row, col)."""
        self._built: set[tuple[int, int]] = set()
        self.tick_font: QtGui.QFont | None = None
        """The theme's font for the axes' labels (`apply_theme`); None: Qt's default."""
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
        self.view.sigRangeChangedManually.connect(self._zoomed_by_hand)
        self.user_zoomed = False
        """The user zoomed or panned (or follow zoomed in) since the grid was last fitted."""
        self.view.sigResized.connect(self._resized)
        self.view.sigRangeChanged.connect(self._update_text_visibility)

    # building ---------------------------------------------------------------------------------
    def set_cells(self, rgba: np.ndarray, texts=None) -> None:
        """Colours (H, W, 4) uint8, and `texts`: None or a callable `texts(rows, cols)` taking two
        slices and returning (texts, colours, subtexts) for that block, lists of rows of strings
        (or None; colours and subtexts may be None). It is called only for the cells on screen,
        when they are large enough to read."""
        height, width = rgba.shape[:2]
        # drop the old texts first: setting the view range below can ask for texts at once
        self._pending = None
        self._clear_texts()
        self.image.setImage(rgba, autoLevels=False, levels=None)
        self.image.setRect(QtCore.QRectF(0, 0, width, height))
        if (height, width) != self.shape:
            self.shape = (height, width)
            self.lines.setPath(_cell_lines(height, width))
            # zoom in to about two cells at most; no other limit (an aspect-locked fit in a flat
            # panel needs a wide range)
            self.view.setLimits(minXRange=1.5, minYRange=1.5)
            self.fit()
        self._pending = texts
        self._update_text_visibility()

    def _clear_texts(self) -> None:
        for item in self.texts.values():
            item.setParentItem(None)
            if item.scene() is not None:
                item.scene().removeItem(item)
        self.texts = {}
        self._built = set()
        self.texts_built = False

    def text_item(self, row: int, col: int):
        """The text item of cell (row, col), or None (not built yet, or no text)."""
        return self.texts.get((row, col))

    def visible_cells(self) -> tuple[slice, slice]:
        """The rows and columns (slices, clipped to the grid) the view shows now."""
        (x0, x1), (y0, y1) = self.view.viewRange()
        height, width = self.shape
        rows = slice(max(0, int(np.floor(y0))), min(height, int(np.ceil(y1))))
        cols = slice(max(0, int(np.floor(x0))), min(width, int(np.ceil(x1))))
        return rows, cols

    def _build_texts(self) -> None:
        """Make the text items of the cells on screen that have none yet (in blocks of
        TEXT_BLOCK × TEXT_BLOCK cells, so panning builds only what comes into view)."""
        self.texts_built = True
        if self._pending is None:
            return
        rows, cols = self.visible_cells()
        if (rows.stop - rows.start) * (cols.stop - cols.start) > MAX_TEXT_CELLS:
            return
        if len(self.texts) > 4 * MAX_TEXT_CELLS:
            pending = self._pending
            self._clear_texts()
            self._pending, self.texts_built = pending, True
        height, width = self.shape
        shown = self.text_shown
        for top in range(rows.start // TEXT_BLOCK * TEXT_BLOCK, rows.stop, TEXT_BLOCK):
            for left in range(cols.start // TEXT_BLOCK * TEXT_BLOCK, cols.stop, TEXT_BLOCK):
                if (top, left) in self._built:
                    continue
                self._built.add((top, left))
                block_rows = slice(top, min(top + TEXT_BLOCK, height))
                block_cols = slice(left, min(left + TEXT_BLOCK, width))
                texts, text_colors, subtexts = self._pending(block_rows, block_cols)
                for r, row in enumerate(range(block_rows.start, block_rows.stop)):
                    for c, col in enumerate(range(block_cols.start, block_cols.stop)):
                        text = texts[r][c]
                        if text is None:
                            continue
                        color = "#111" if text_colors is None else text_colors[r][c]
                        sub = None if subtexts is None else subtexts[r][c]
                        item = self._make_text(row, col, text, color, sub)
                        if shown is not None and not shown(row, col):
                            item.setVisible(False)
                        self.texts[(row, col)] = item

    # zoom and pan -----------------------------------------------------------------------------
    def _resized(self, *args) -> None:
        if not self.user_zoomed:
            self.fit()  # a grid the user did not zoom stays whole as its panel changes size
        self._update_text_visibility()

    def _zoomed_by_hand(self, *args) -> None:
        self.user_zoomed = True

    def fit(self) -> None:
        """Show the whole grid."""
        self.user_zoomed = False
        height, width = self.shape
        margin = 0.02 * max(height, width, 1)
        self.view.setRange(xRange=(-margin, width + margin), yRange=(-margin, height + margin), padding=0)

    def zoomed(self) -> bool:
        """Whether part of the grid is out of view."""
        rows, cols = self.visible_cells()
        return (rows.stop - rows.start, cols.stop - cols.start) != tuple(self.shape)

    def keep_in_view(self, top: float, left: float, height: float, width: float, readable: bool = False) -> None:
        """Pan (keeping the zoom) so the rectangle is in view, centred when it has to move; only
        once the user zoomed or panned (a fitted grid stays fitted). `readable`: first zoom in,
        around the rectangle, until values can be written in cells."""
        if not (readable or self.user_zoomed) or self.view.width() < 2:
            return
        (x0, x1), (y0, y1) = self.view.viewRange()
        span_x, span_y = x1 - x0, y1 - y0
        if readable and self.cell_pixels() < MIN_CELL_PIXELS:
            pixels = max(self.view.width(), self.view.height(), 1.0)
            side = max(pixels / (1.6 * MIN_CELL_PIXELS), 2.0 * max(height, width))
            factor = side / max(span_x, span_y)
            span_x, span_y = span_x * factor, span_y * factor
        inside = (x0 <= left and left + width <= x1 and y0 <= top and top + height <= y1
                  and (span_x, span_y) == (x1 - x0, y1 - y0))
        if inside:
            return
        centre_x, centre_y = left + width / 2, top + height / 2
        self.user_zoomed = True
        self.view.setRange(xRange=(centre_x - span_x / 2, centre_x + span_x / 2),
                           yRange=(centre_y - span_y / 2, centre_y + span_y / 2), padding=0)

    def _make_text(self, row, col, text, color, sub=None):
        item = QtWidgets.QGraphicsSimpleTextItem(text, self.texts_layer)
        item.setFont(self._font)
        item.setBrush(QtGui.QBrush(QtGui.QColor(color)))
        bounds = item.boundingRect()
        scale = min(0.42 / max(bounds.height(), 1.0) * (0.8 if sub else 1.0), 0.86 / max(bounds.width(), 1.0))
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
        if event.double():
            self.fit()
            return
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
        if visible:
            self._build_texts()
        self.texts_layer.setVisible(visible)
        self.lines.setVisible(self.cell_pixels() >= MIN_LINE_PIXELS)

    def set_text_shown(self, row: int, col: int, shown: bool) -> None:
        item = self.texts.get((row, col))
        if item is not None:
            item.setVisible(shown)

    # overlays ---------------------------------------------------------------------------------
    def add_rect(self, color, width=3.0, fill=None, style=QtCore.Qt.PenStyle.SolidLine):
        item = QtWidgets.QGraphicsRectItem(0, 0, 1, 1, self.overlay_layer)
        item.setPen(_pen(color, width, style))
        item.setBrush(QtGui.QBrush(QtGui.QColor(fill)) if fill else QtGui.QBrush(QtCore.Qt.BrushStyle.NoBrush))
        return item

    def apply_theme(self, theme) -> None:
        """Grid lines and tick labels as thick and as large as `theme` says."""
        self.lines.setPen(_pen("#b8b8b8", theme.line(1.0)))
        font = self.tick_font = QtGui.QFont()
        font.setPointSizeF(theme.font(9.0))
        for side in ("top", "left"):
            axis = self.plot.getAxis(side)
            if axis is not None and axis.isVisible():
                axis.setStyle(tickFont=font)

    def set_axis_labels(self, rows: list[str], cols: list[str]) -> None:
        """Tick labels at cell centres: rows[r] beside row r, cols[c] above column c ('' for none),
        thinned to what fits at the current zoom (again whenever the view moves or resizes)."""
        kept = getattr(self, "_axis_labels", None)
        self._axis_labels = tuple(old if old is not None and old.labels == tuple(new) else _tick_labels(tuple(new))
                                  for old, new in zip(kept or (None, None), (rows, cols)))
        if not getattr(self, "_ticks_follow_view", False):
            self._ticks_follow_view = True
            self.view.sigRangeChanged.connect(self._place_ticks)
            self.view.sigResized.connect(self._place_ticks)
        self._place_ticks()

    def _place_ticks(self, *_) -> None:
        left, top = self.plot.getAxis("left"), self.plot.getAxis("top")
        labels = getattr(self, "_axis_labels", None)
        if left is None or top is None or labels is None:
            return
        rows, cols = labels
        (x0, x1), (y0, y1) = self.view.viewRange()
        metrics = QtGui.QFontMetricsF(top.style.get("tickFont") or QtGui.QFont())
        widest = metrics.horizontalAdvance(cols.widest)
        column_px = self.view.width() / (x1 - x0) if x1 > x0 else 0.0
        row_px = self.view.height() / (y1 - y0) if y1 > y0 else 0.0
        top.setTicks([cols.thinned(column_px, widest + metrics.horizontalAdvance("0")), []])
        left.setTicks([rows.thinned(row_px, metrics.height()), []])


@lru_cache(maxsize=8)
def _cell_lines(height: int, width: int) -> QtGui.QPainterPath:
    """The lines between the cells of a height × width grid. Cached (Qt shares a path's data
    between copies): a 1024² grid's 2050 lines take some 5 ms, and compare mode's B and the
    comparison panel draw grids of A's shape again."""
    path = QtGui.QPainterPath()
    for row in range(height + 1):
        path.moveTo(0, row)
        path.lineTo(width, row)
    for col in range(width + 1):
        path.moveTo(col, 0)
        path.lineTo(col, height)
    return path


@lru_cache(maxsize=8)
def _tick_labels(labels: tuple[str, ...]) -> TickLabels:
    return TickLabels(labels)


TICK_STEPS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)


class TickLabels:
    """One axis's labels, read once: a view that moves or resizes thins them again and again
    (on a 1024-cell grid, reading every label each time took tens of milliseconds per redraw)."""

    def __init__(self, labels):
        self.labels = tuple(labels)
        self.count = sum(1 for label in self.labels if label)
        self.widest = max(self.labels, key=len, default="")
        longest = len(self.widest) if self.labels else 1
        self.most = 14 if longest <= 2 else 7 if longest == 3 else 5
        """Most labels shown when their sizes on screen are unknown."""
        self._numbers = [int(label) if label.lstrip("-").isdigit() else None for label in self.labels]
        self._thinned: dict[int, list[tuple[float, str]]] = {}

    def thinned(self, cell_px: float = 0.0, label_px: float = 0.0) -> list[tuple[float, str]]:
        """Tick (position, label) pairs at every 1st/2nd/5th/10th… index: the smallest step at which
        labels `label_px` wide on cells `cell_px` apart do not overlap (by count when sizes are unknown)."""
        if cell_px > 0 and label_px > 0:
            every = next((step for step in TICK_STEPS if step * cell_px >= label_px), 10000)
        else:
            every = next((step for step in TICK_STEPS if self.count / step <= self.most), 10000)
        if every not in self._thinned:
            self._thinned[every] = [(index + 0.5, label) for index, (label, number)
                                    in enumerate(zip(self.labels, self._numbers))
                                    if label and (number is None or number % every == 0)]
        return self._thinned[every]


def _thin(labels: list[str], cell_px: float = 0.0, label_px: float = 0.0) -> list[tuple[float, str]]:
    """`TickLabels(labels).thinned(cell_px, label_px)`."""
    return TickLabels(labels).thinned(cell_px, label_px)


def colour_cells(values: np.ndarray, colormap: str = "viridis", low=None, high=None,
                 lightness: float = 0.55) -> tuple[np.ndarray, np.ndarray]:
    """RGBA colours of `values` on a colormap, softened towards white so text stays readable,
    and whether each cell wants dark text. (A 256-entry table, so a million cells take
    milliseconds.) NaN (not computed yet) is light grey."""
    values = np.asarray(values, dtype=np.float64)
    known = ~np.isnan(values)
    everything = bool(known.all())
    finite = values if everything else values[known]
    low = (float(finite.min()) if finite.size else 0.0) if low is None else low
    high = (float(finite.max()) if finite.size else 1.0) if high is None else high
    span = high - low if high > low else 1.0
    fraction = np.nan_to_num(np.clip((values - low) / span, 0.0, 1.0))
    table, dark_table = _colour_table(colormap, lightness)
    index = np.rint(fraction * (COLOUR_LEVELS - 1)).astype(np.intp)
    rgba, dark = table[index], dark_table[index]
    if not everything:
        rgba[~known, :3] = 235
        dark[~known] = True
    return rgba, dark


COLOUR_LEVELS = 256


@lru_cache(maxsize=32)
def _colour_table(colormap: str, lightness: float) -> tuple[np.ndarray, np.ndarray]:
    """The colormap at COLOUR_LEVELS steps, softened; and whether each step wants dark text."""
    cmap = pg.colormap.get(colormap)
    rgba = cmap.map(np.linspace(0.0, 1.0, COLOUR_LEVELS), mode="byte").astype(np.float64)
    rgba[:, :3] = 255 - (255 - rgba[:, :3]) * lightness
    rgba = rgba.astype(np.uint8)
    luminance = rgba[:, 0] * 0.299 + rgba[:, 1] * 0.587 + rgba[:, 2] * 0.114
    rgba.flags.writeable = False
    return rgba, luminance > 140
