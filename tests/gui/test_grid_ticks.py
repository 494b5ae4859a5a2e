"""Grid tick labels never run together: thinned to the pixels a cell has at the current zoom."""

import numpy as np
import pytest
from PyQt6 import QtCore, QtGui, QtWidgets

from convviz.gui.grid import CellGrid, _thin


@pytest.mark.parametrize("cell_px, label_px, every", [(30, 12, 1), (5, 12, 5), (3, 20, 10), (0.5, 20, 50)])
def test_thin_keeps_the_smallest_step_whose_labels_fit(cell_px, label_px, every):
    labels = [str(i) for i in range(200)]
    kept = [int(label) for _, label in _thin(labels, cell_px, label_px)]
    assert kept == list(range(0, 200, every))


def _gaps_fit(grid, axis_name, count):
    axis = grid.plot.getAxis(axis_name)
    positions = [position for position, _ in axis.ticks]
    (x0, x1), _ = grid.view.viewRange()
    cell_px = grid.view.width() / (x1 - x0)
    widest = QtGui.QFontMetricsF(axis.style.get("tickFont") or QtGui.QFont()).horizontalAdvance(str(count - 1))
    return len(positions), min(np.diff(positions)) * cell_px >= widest


def test_labels_thin_out_on_a_small_grid_and_come_back_when_zoomed_in(qtbot):
    grid = CellGrid()
    qtbot.addWidget(grid)
    grid.resize(260, 260)
    grid.show()
    count = 64
    grid.set_cells(np.zeros((count, count, 4), np.uint8))
    grid.set_axis_labels([str(i) for i in range(count)], [str(i) for i in range(count)])
    grid.fit()
    qtbot.waitUntil(lambda: grid.view.width() > 100)
    grid.set_axis_labels([str(i) for i in range(count)], [str(i) for i in range(count)])
    shown_fitted, fits = _gaps_fit(grid, "top", count)
    assert fits and shown_fitted < count
    grid.view.setXRange(0, 8, padding=0)
    qtbot.waitUntil(lambda: _gaps_fit(grid, "top", count)[0] > shown_fitted)
    assert _gaps_fit(grid, "top", count)[1]


def _ink_columns(axis) -> np.ndarray:
    """Columns of the axis where its labels put dark pixels (the axis line, at the bottom, left out)."""
    size = axis.size()
    picture = QtGui.QImage(int(size.width()), int(size.height()), QtGui.QImage.Format.Format_RGB32)
    picture.fill(QtGui.QColor("white"))
    painter = QtGui.QPainter(picture)
    axis.paint(painter)
    painter.end()
    bits = picture.constBits()
    bits.setsize(picture.sizeInBytes())
    pixels = np.frombuffer(bits, np.uint8).reshape(picture.height(), picture.bytesPerLine() // 4, 4)[:, :picture.width()]
    dark = pixels[:-2, :, :3].min(axis=2) < 160
    return np.flatnonzero(dark.any(axis=0))


def test_column_labels_are_drawn_over_their_cells_centres(qtbot):
    rng = np.random.default_rng(4)
    grid = CellGrid()
    qtbot.addWidget(grid)
    grid.resize(int(rng.integers(380, 520)), 300)
    grid.show()
    height, width = int(rng.integers(3, 8)), int(rng.integers(4, 9))
    grid.set_cells(np.zeros((height, width, 4), np.uint8))
    labels = [str(int(value)) for value in rng.integers(0, 10, size=width)]  # one digit each: all fit
    grid.set_axis_labels([str(i) for i in range(height)], labels)
    grid.fit()
    qtbot.waitUntil(lambda: grid.view.width() > 100)
    QtWidgets.QApplication.processEvents()
    axis = grid.plot.getAxis("top")
    assert [label for _, label in axis.ticks] == labels
    centres = [axis.mapFromScene(grid.view.mapViewToScene(QtCore.QPointF(col + 0.5, 0))).x() for col in range(width)]
    ink = _ink_columns(axis)
    cell_px = centres[1] - centres[0]
    assert cell_px > 20
    for centre in centres:  # ink around every centre...
        assert np.any(np.abs(ink - centre) <= 4), (centre, ink)
    nearest = np.min(np.abs(ink[:, None] - np.array(centres)[None, :]), axis=1)
    assert nearest.max() <= cell_px / 3  # ...and none between the cells


class _RecordingPainter(QtGui.QPainter):
    def __init__(self, device):
        super().__init__(device)
        self.boxes = []

    def drawText(self, box, flags, text):  # noqa: N802 (Qt's name)
        self.boxes.append((box, text))
        super().drawText(box, flags, text)


@pytest.mark.parametrize("orientation", ["right", "top"])
def test_labels_of_a_squeezed_axis_never_overlap(qtbot, orientation):
    from convviz.gui.cell_axis import CellAxis

    rng = np.random.default_rng(9)
    for _ in range(5):
        high = int(rng.integers(5, 400))
        axis = CellAxis(orientation)
        axis.setTicks([[(value, str(value)) for value in range(0, high + 1, max(1, high // 8))]])
        length = int(rng.integers(20, 120))
        axis.resize(60, length) if orientation == "right" else axis.resize(length, 30)
        axis.setRange(0, high)
        picture = QtGui.QImage(int(axis.size().width()), int(axis.size().height()), QtGui.QImage.Format.Format_RGB32)
        painter = _RecordingPainter(picture)
        axis.paint(painter)
        painter.end()
        metrics = QtGui.QFontMetricsF(axis.font)
        if orientation == "right":
            centres = sorted(box.center().y() for box, _ in painter.boxes)
            assert all(b - a >= metrics.height() - 1e-6 for a, b in zip(centres, centres[1:]))
        else:
            spans = sorted((box.center().x() - metrics.horizontalAdvance(text) / 2,
                            box.center().x() + metrics.horizontalAdvance(text) / 2) for box, text in painter.boxes)
            assert all(right <= left for (_, right), (left, _) in zip(spans, spans[1:]))
        assert painter.boxes  # the first label always fits
        if orientation == "top":  # 0 at the left edge, the rest to its right, inside the axis
            assert min(box.center().x() for box, _ in painter.boxes) == pytest.approx(0, abs=1)
            assert max(box.center().x() for box, _ in painter.boxes) <= length + 1


def test_end_labels_lie_inside_what_the_axis_repaints(qtbot):
    """The first and last rows' labels stick out of the axis by half a line: its boundingRect
    (and its clip) cover them, so they are drawn whole and erased whole."""
    rng = np.random.default_rng(6)
    grid = CellGrid()
    qtbot.addWidget(grid)
    grid.resize(300, int(rng.integers(160, 260)))
    grid.show()
    height = int(rng.integers(20, 40))  # cells lower than a line: the first label sticks out
    grid.set_cells(np.zeros((height, 4, 4), np.uint8))
    grid.set_axis_labels([str(i) for i in range(height)], [str(i) for i in range(4)])
    grid.fit()
    qtbot.waitUntil(lambda: grid.view.height() > 100)
    QtWidgets.QApplication.processEvents()
    axis = grid.plot.getAxis("left")
    bounds = axis.boundingRect()
    picture = QtGui.QImage(int(bounds.width()) + 1, int(bounds.height()) + 1, QtGui.QImage.Format.Format_RGB32)
    painter = _RecordingPainter(picture)
    painter.translate(-bounds.left(), -bounds.top())
    axis.paint(painter)
    painter.end()
    line = QtGui.QFontMetricsF(axis.font).height()
    drawn = {text: box.center().y() for box, text in painter.boxes}
    assert "0" in drawn and drawn["0"] - line / 2 < axis.rect().top()
    for centre in drawn.values():
        assert bounds.top() <= centre - line / 2 and centre + line / 2 <= bounds.bottom() + 1e-6
