"""A light axis for the grids and their colour bars: labels at given positions and a line.

pyqtgraph's AxisItem chooses its own ticks, lays every label out through QPainter.boundingRect
and records a QPicture, again after every range change: 1–2 ms per axis, and a spec change
relays out some twenty grid axes (30–37 ms of the GUI thread's longest turn at 1024², measured
by benchmarks/gui_bench.py). The grids' ticks are set by hand (cell indices, thinned to fit),
so this axis only places them: a label's position from the linked view's transform, its size
from the font's metrics, one drawText each.
"""

from __future__ import annotations

import pyqtgraph as pg
from PyQt6 import QtCore, QtGui, QtWidgets

TEXT_GAP = 3
"""Pixels between a label and the axis line."""

_ALIGN = QtCore.Qt.AlignmentFlag


class CellAxis(pg.GraphicsWidget):
    """An axis on the `orientation` side ("top", "left" or "right") of a view box it is linked to
    (`linkToView`), or of a fixed value range (`setRange`: low at the bottom, or at the left of
    a top axis; a colour bar's). Labels that would overlap the last one drawn are left out.
    `setTicks([[(position, label), ...], ...])` as pyqtgraph's AxisItem takes them (only the first
    level is drawn); `ticks` holds them."""

    def __init__(self, orientation: str, parent=None):
        super().__init__(parent)
        if orientation not in ("top", "left", "right"):
            raise ValueError(f"no {orientation!r} axis")
        self.orientation = orientation
        self.ticks: list[tuple[float, str]] = []
        self.style = {"tickFont": None}
        self.range: tuple[float, float] | None = None
        self._view: pg.ViewBox | None = None
        self._pen = pg.mkPen("#666")
        self._text_pen = pg.mkPen("#444")
        self._fit_size()

    # what CellGrid and ColourBar set ----------------------------------------------------------
    def linkToView(self, view: pg.ViewBox) -> None:  # noqa: N802 (AxisItem's name)
        self._view = view
        view.sigTransformChanged.connect(self.update)
        view.sigResized.connect(self.update)

    def setRange(self, low: float, high: float) -> None:  # noqa: N802 (AxisItem's name)
        self.range = (float(low), float(high))
        self.update()

    def setTicks(self, levels) -> None:  # noqa: N802 (AxisItem's name)
        ticks = [(float(position), str(label)) for position, label in (levels[0] if levels else [])]
        if ticks != self.ticks:
            self.ticks = ticks
            self._fit_size()
            self.update()

    def setStyle(self, tickFont: QtGui.QFont | None = None, **_) -> None:  # noqa: N802, N803 (AxisItem's names)
        if tickFont is not None:
            self.prepareGeometryChange()  # the labels' overhang (`boundingRect`) follows the font
            self.style["tickFont"] = tickFont
            self._fit_size()
            self.update()

    def setPen(self, pen) -> None:  # noqa: N802 (AxisItem's name)
        self._pen = pg.mkPen(pen)
        self.update()

    def setTextPen(self, pen) -> None:  # noqa: N802 (AxisItem's name)
        self._text_pen = pg.mkPen(pen)
        self.update()

    @property
    def font(self) -> QtGui.QFont:
        return self.style["tickFont"] or QtGui.QFont()

    def _fit_size(self) -> None:
        """Top: one line of text high; left and right: as wide as the widest label."""
        metrics = QtGui.QFontMetricsF(self.font)
        if self.orientation == "top":
            self.setFixedHeight(round(metrics.height() + TEXT_GAP + 2))
            self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Expanding, QtWidgets.QSizePolicy.Policy.Fixed)
        else:
            widest = max((metrics.horizontalAdvance(label) for _, label in self.ticks), default=0.0)
            self.setFixedWidth(round(max(widest, metrics.horizontalAdvance("0")) + TEXT_GAP + 4))
            self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Fixed, QtWidgets.QSizePolicy.Policy.Expanding)

    # drawing ---------------------------------------------------------------------------------
    def _mapping(self, rect: QtCore.QRectF) -> tuple[float, float] | None:
        """(offset, scale): a tick at `position` lies offset + scale·position pixels along the axis."""
        if self.range is not None:
            low, high = self.range
            if high == low:
                return None
            if self.orientation == "top":  # low at the left
                scale = rect.width() / (high - low)
                return rect.left() - scale * low, scale
            scale = -rect.height() / (high - low)  # low at the bottom
            return rect.bottom() - scale * low, scale
        if self._view is None:
            return None
        group = self._view.childGroup
        origin = self.mapFromItem(group, QtCore.QPointF(0, 0))
        unit = self.mapFromItem(group, QtCore.QPointF(1, 1))
        if self.orientation == "top":
            return origin.x(), unit.x() - origin.x()
        return origin.y(), unit.y() - origin.y()

    def _overhang(self) -> tuple[float, float]:
        """How far (across, along) labels may reach past the axis: an end label centred on the
        first or last cell of a grid sticks out by half its size."""
        half_line = QtGui.QFontMetricsF(self.font).height() / 2
        return (2 * half_line, 0.0) if self.orientation == "top" else (0.0, half_line)

    def boundingRect(self) -> QtCore.QRectF:  # noqa: N802 (Qt's name)
        """The axis and what its end labels overhang (Qt repaints only within this)."""
        sideways, lengthways = self._overhang()
        return self.rect().adjusted(-sideways, -lengthways, sideways, lengthways)

    def paint(self, painter, *args) -> None:
        rect = self.rect()
        painter.setPen(self._pen)
        if self.orientation == "top":
            painter.drawLine(rect.bottomLeft(), rect.bottomRight())
        elif self.orientation == "left":
            painter.drawLine(rect.topRight(), rect.bottomRight())
        else:
            painter.drawLine(rect.topLeft(), rect.bottomLeft())
        mapping = self._mapping(rect)
        if not self.ticks or mapping is None:
            return
        offset, scale = mapping
        painter.setFont(self.font)
        painter.setPen(self._text_pen)
        metrics = QtGui.QFontMetricsF(self.font)
        half_line = metrics.height() / 2
        if self._view is not None:  # a panned grid's labels stop at the grid's edge, give or take half a label
            painter.setClipRect(self.boundingRect())
        last_end = -float("inf")  # where the last label drawn ends along the axis
        for position, label in self.ticks:
            at = offset + scale * position
            if self.orientation == "top":
                if not rect.left() - 50 <= at <= rect.right() + 50:
                    continue
                half_width = metrics.horizontalAdvance(label) / 2
                if at - half_width < last_end:  # would overlap the last one (a panel too small)
                    continue
                last_end = at + half_width + metrics.horizontalAdvance(" ")
                box = QtCore.QRectF(at - 50, rect.top(), 100, rect.height() - TEXT_GAP)
                painter.drawText(box, _ALIGN.AlignHCenter | _ALIGN.AlignBottom, label)
            else:
                if not rect.top() - half_line <= at <= rect.bottom() + half_line:
                    continue
                if abs(at - last_end) < 2 * half_line:
                    continue
                last_end = at
                if self.orientation == "left":
                    box = QtCore.QRectF(rect.left(), at - half_line, rect.width() - TEXT_GAP, 2 * half_line)
                    painter.drawText(box, _ALIGN.AlignRight | _ALIGN.AlignVCenter, label)
                else:
                    box = QtCore.QRectF(rect.left() + TEXT_GAP, at - half_line, rect.width() - TEXT_GAP, 2 * half_line)
                    painter.drawText(box, _ALIGN.AlignLeft | _ALIGN.AlignVCenter, label)
