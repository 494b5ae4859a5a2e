"""No exception from a grid rebuild on any shape change: random shapes one after another, with
the values written in the cells (the texts are built while the view range changes)."""

import numpy as np
import pytest
from helpers.strategies import LOAD_TOLERANT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("PyQt6")

from PyQt6 import QtWidgets  # noqa: E402

from convviz.core import ConvSpec  # noqa: E402

SHAPES = st.tuples(st.integers(1, 40), st.integers(1, 40))


def _texts(height, width):
    def make(rows, cols):
        assert rows.stop <= height and cols.stop <= width, "texts asked for cells of another shape"
        texts = [[f"{row},{col}" for col in range(cols.start, cols.stop)] for row in range(rows.start, rows.stop)]
        return texts, None, None
    return make


@settings(max_examples=25, deadline=None, suppress_health_check=[*LOAD_TOLERANT, HealthCheck.function_scoped_fixture])
@given(shapes=st.lists(SHAPES, min_size=2, max_size=6), forced=st.sampled_from([True, None]))
def test_cell_grid_survives_any_sequence_of_shapes(qtbot, shapes, forced):
    from convviz.gui.grid import CellGrid

    grid = CellGrid()
    qtbot.addWidget(grid)
    grid.force_values = forced
    grid.resize(500, 400)
    grid.show()
    for height, width in shapes:
        grid.set_cells(np.full((height, width, 4), 200, dtype=np.uint8), texts=_texts(height, width))
        QtWidgets.QApplication.processEvents()
        assert grid.shape == (height, width)
        assert all(row < height and col < width for row, col in grid.texts)
        if grid.values_visible():
            rows, cols = grid.visible_cells()
            assert grid.texts_built
            assert grid.text_item(rows.stop - 1, cols.stop - 1) is not None
    grid.close()


@settings(max_examples=12, deadline=None, suppress_health_check=[*LOAD_TOLERANT, HealthCheck.function_scoped_fixture])
@given(shapes=st.lists(st.tuples(st.integers(1, 120), st.integers(1, 120), st.integers(1, 5)), min_size=2,
                       max_size=4))
def test_the_window_survives_switching_between_random_shapes(qtbot, window, shapes):
    for height, width, kernel in shapes:
        window.session.set_spec(ConvSpec((1, 1, height, width), 1, kernel, padding="same"))
        QtWidgets.QApplication.processEvents()
        assert window.session.spec.input_size == (height, width)


def test_the_issue_case_100x4_then_5x10(qtbot, window):
    for grid_view in [window.view]:
        grid_view.animation.grid.force_values = True
    window.session.set_spec(ConvSpec((1, 1, 100, 4), 1, 3))
    QtWidgets.QApplication.processEvents()
    window.session.set_spec(ConvSpec((1, 1, 5, 10), 1, 3))
    QtWidgets.QApplication.processEvents()
    assert window.view.animation.grid.shape[1] >= 10
