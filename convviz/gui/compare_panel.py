"""The third column of compare mode: both output sizes with their formulas, and the map of how
many more (or fewer) multiplications read each input cell under B than under A."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtWidgets

from ..session import SPEC
from ..session.compare import Comparison
from .grid import CellGrid, colour_cells
from .panels import _label, scale_labels
from .theme import NORMAL, Theme

ONLY_ONE = (200, 200, 200, 255)
"""Cells only one of the two inputs has."""


class ComparePanel(QtWidgets.QWidget):
    """A's and B's output sizes and formulas; the coverage difference B − A."""

    def __init__(self, comparison: Comparison, parent=None):
        super().__init__(parent)
        self.comparison = comparison
        self.theme = NORMAL
        self.title = _label("A vs B", size=12, bold=True)
        self.outputs = _label(size=11)
        self.outputs.setObjectName("compare_outputs")
        self.difference_title = _label("Coverage difference: B − A reads per input cell", size=12, bold=True)
        self.summary = _label(size=11)
        self.summary.setObjectName("difference_summary")
        self.grid = CellGrid()
        self.grid.setMinimumSize(190, 160)
        self.colour_bar = pg.ColorBarItem(values=(-1, 1), colorMap=NORMAL.difference_map, interactive=False, width=16)
        self.grid.addItem(self.colour_bar)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.title)
        layout.addWidget(self.outputs)
        layout.addWidget(self.difference_title)
        layout.addWidget(self.summary)
        layout.addWidget(self.grid, 1)
        self.setMinimumWidth(200)
        for session in comparison.sessions:
            session.subscribe(self.on_change)
        self.on_change({SPEC})

    def detach(self) -> None:
        for session in self.comparison.sessions:
            session.unsubscribe(self.on_change)

    def apply_theme(self, theme: Theme) -> None:
        self.theme = theme
        scale_labels(self, theme)
        self.grid.apply_theme(theme)
        self.colour_bar.setColorMap(pg.colormap.get(theme.difference_map))
        self.on_change({SPEC})

    def on_change(self, changes) -> None:
        if SPEC not in changes:
            return
        first, second = self.comparison.sessions
        lines = []
        for name, session in (("A", first), ("B", second)):
            rows, cols = session.plan.axes
            ho, wo = session.plan.output_size
            lines.append(f"<b>{name}</b>: {session.spec.describe()} → <b>output {ho}×{wo}</b>"
                         f"<br>&nbsp;&nbsp;height {rows.formula()}<br>&nbsp;&nbsp;width&nbsp; {cols.formula()}")
        self.outputs.setText("<br>".join(lines))
        difference = self.comparison.difference()
        self.summary.setText(difference.summary)
        values = difference.values
        reach = max(abs(difference.low), abs(difference.high), 1)
        shared = ~np.isnan(values)
        rgba, dark = colour_cells(np.where(shared, values, 0.0), self.theme.difference_map, low=-reach, high=reach,
                                  lightness=0.8)
        rgba[~shared] = ONLY_ONE

        def texts(rows, cols):
            block, known = values[rows, cols], shared[rows, cols]
            cell_texts = [[(f"{int(value):+d}" if value else "0") if seen else None for value, seen in zip(*pair)]
                          for pair in zip(block, known)]
            return cell_texts, np.where(dark[rows, cols], "#111", "#fff").tolist(), None

        self.grid.set_cells(rgba, texts)
        self.grid.set_axis_labels([str(r) for r in range(values.shape[0])], [str(c) for c in range(values.shape[1])])
        self.colour_bar.setLevels((-reach, reach))
        spacing = max(1, -(-reach // 3))
        self.colour_bar.axis.setTickSpacing(spacing, spacing)
