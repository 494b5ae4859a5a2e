"""A grid's colour bar: the colour map as a vertical gradient, with a value axis beside it.

pyqtgraph's ColorBarItem builds a whole PlotItem (a view box and four axes: 12–20 ms to make,
and four axes to lay out and paint at every resize). A grid's bar only has to show the map
and its levels, so it is a gradient and one light axis (`CellAxis`), made when it first gets levels.
"""

from __future__ import annotations

import pyqtgraph as pg
from PyQt6 import QtCore, QtGui, QtWidgets

from .cell_axis import CellAxis

BAR_WIDTH = 16


class _Gradient(pg.GraphicsWidget):
    """The colour map from the bottom (low) to the top (high) of the widget, outlined."""

    def __init__(self, colour_map: pg.ColorMap):
        super().__init__()
        self.colour_map = colour_map
        self.setFixedWidth(BAR_WIDTH)
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Fixed, QtWidgets.QSizePolicy.Policy.Expanding)

    def set_colour_map(self, colour_map: pg.ColorMap) -> None:
        self.colour_map = colour_map
        self.update()

    def paint(self, painter, *args) -> None:
        rect = self.boundingRect()
        gradient = self.colour_map.getGradient(QtCore.QPointF(0, rect.bottom()), QtCore.QPointF(0, rect.top()))
        painter.fillRect(rect, QtGui.QBrush(gradient))
        painter.setPen(pg.mkPen("#666"))
        painter.drawRect(rect.adjusted(0, 0, -1, -1))


class ColourBar:
    """A grid's colour bar, added beside the grid's plot when it is first given levels (a view
    without counts yet, such as compare mode's B while its grids are built on a worker, makes
    none)."""

    def __init__(self, grid, colour_map: str):
        self.grid, self.colour_map = grid, colour_map
        self.item: pg.GraphicsWidget | None = None
        self.gradient: _Gradient | None = None
        self.axis: CellAxis | None = None
        self.levels: tuple[float, float] | None = None

    def set_colour_map(self, name: str) -> None:
        self.colour_map = name
        if self.gradient is not None:
            self.gradient.set_colour_map(pg.colormap.get(name))

    def apply_theme(self, colour_map: str) -> None:
        """The theme's colour map, and tick labels as large as its grid's (projectors)."""
        self.set_colour_map(colour_map)
        if self.axis is not None:
            self.axis.setStyle(tickFont=self.grid.tick_font)

    def show(self, low: float, high: float, ticks: int) -> None:
        """Levels from `low` to `high`, whole-number ticks about `ticks` apart over 0..high."""
        if self.item is None:
            self._make()
        self.levels = (low, high)
        self.axis.setRange(low, high)
        spacing = max(1, -(-int(high) // ticks))
        first = -(-int(low) // spacing) * spacing
        self.axis.setTicks([[(value, str(value)) for value in range(first, int(high) + 1, spacing)]])

    def _make(self) -> None:
        self.gradient = _Gradient(pg.colormap.get(self.colour_map))
        self.axis = CellAxis("right")
        self.axis.setStyle(tickFont=self.grid.tick_font)
        self.axis.setPen(pg.mkPen("#666"))
        self.axis.setTextPen(pg.mkPen("#444"))
        self.item = pg.GraphicsWidget()
        layout = QtWidgets.QGraphicsLinearLayout(QtCore.Qt.Orientation.Horizontal)
        layout.setContentsMargins(4, 6, 0, 6)
        layout.setSpacing(0)
        layout.addItem(self.gradient)
        layout.addItem(self.axis)
        self.item.setLayout(layout)
        self.grid.addItem(self.item)
