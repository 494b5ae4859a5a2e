"""Grid tick labels never run together: thinned to the pixels a cell has at the current zoom."""

import numpy as np
import pytest
from PyQt6 import QtGui

from convviz.gui.grid import CellGrid, _thin


@pytest.mark.parametrize("cell_px, label_px, every", [(30, 12, 1), (5, 12, 5), (3, 20, 10), (0.5, 20, 50)])
def test_thin_keeps_the_smallest_step_whose_labels_fit(cell_px, label_px, every):
    labels = [str(i) for i in range(200)]
    kept = [int(label) for _, label in _thin(labels, cell_px, label_px)]
    assert kept == list(range(0, 200, every))


def _gaps_fit(grid, axis_name, count):
    axis = grid.plot.getAxis(axis_name)
    positions = [position for position, _ in axis._tickLevels[0]]
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
