"""The third column of compare mode: both output sizes with their formulas, and the map of how
many more (or fewer) multiplications read each input cell under B than under A."""

from __future__ import annotations

from functools import lru_cache, partial

import numpy as np
from PyQt6 import QtWidgets

from ..session import SPEC
from ..session.compare import Comparison
from .colour_bar import ColourBar
from .grid import CellGrid, colour_cells
from .panels import _label, scale_labels
from .session_view import BACKGROUND_CELLS
from .textures import fill
from .theme import NORMAL, Theme
from .worker import LatestJobs

ONLY_ONE = (200, 200, 200, 255)
"""Cells only one of the two inputs has."""


def difference_colours(difference, colormap: str) -> tuple[np.ndarray, np.ndarray]:
    """(rgba, dark) of a coverage difference: symmetric about 0 on `colormap`, grey where only one
    input has the cell."""
    values = difference.values
    reach = max(abs(difference.low), abs(difference.high), 1)
    shared = ~np.isnan(values)
    rgba, dark = colour_cells(np.where(shared, values, 0.0), colormap, low=-reach, high=reach, lightness=0.8)
    fill(rgba, ~shared, ONLY_ONE)
    return rgba, dark


def _difference_build(job, colormap: str):
    """A worker's part: the difference and its colours."""
    difference = job()
    return difference, *difference_colours(difference, colormap)


class ComparePanel(QtWidgets.QWidget):
    """A's and B's output sizes and formulas; the coverage difference B − A (of large inputs
    computed and coloured on a worker thread, the last one shown meanwhile under a note)."""

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
        self.colour_bar = ColourBar(self.grid, NORMAL.difference_map)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.title)
        layout.addWidget(self.outputs)
        layout.addWidget(self.difference_title)
        layout.addWidget(self.summary)
        layout.addWidget(self.grid, 1)
        self.setMinimumWidth(200)
        self.computing = False
        """The difference of the latest specs is being computed on a worker thread."""
        self._jobs = LatestJobs(self)
        self._coloured_with = self.theme.difference_map
        for session in comparison.sessions:
            session.subscribe(self.on_change)
        self.on_change({SPEC})

    def detach(self) -> None:
        """Stop following the sessions (the panel is going): a computation under way is waited
        for, or left to finish."""
        for session in self.comparison.sessions:
            session.unsubscribe(self.on_change)
        self._jobs.close(3000)
        self.computing = False

    def apply_theme(self, theme: Theme) -> None:
        self.theme = theme
        scale_labels(self, theme)
        self.grid.apply_theme(theme)
        self.colour_bar.apply_theme(theme.difference_map)
        if theme.difference_map != self._coloured_with:
            self._coloured_with = theme.difference_map
            self._difference()

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
        self._difference()

    def _difference(self) -> None:
        """Compute and draw the difference: at once for small inputs, else on a worker."""
        token, job = self.comparison.difference_job()
        colormap = self.theme.difference_map
        cells = max(session.plan.padded_shape[0] * session.plan.padded_shape[1] for session in self.comparison.sessions)
        if cells < BACKGROUND_CELLS:
            self.computing = False
            self.comparison.adopt_difference(token, (result := _difference_build(job, colormap))[0])
            self._draw(*result)
            return
        self.computing = True
        self.summary.setText("computing the coverage difference…")
        self._jobs.run(partial(_difference_build, job, colormap), partial(self._arrived, token), self._failed)

    def _arrived(self, token, result) -> None:
        if not self.computing:
            return  # drawn at once meanwhile
        if not self.comparison.adopt_difference(token, result[0]):
            if not self._jobs.waiting:  # stale, and nothing newer asked for: ask again
                self._difference()
            return
        if not self._jobs.waiting:
            self.computing = False
        self._draw(*result)

    def _failed(self, error) -> None:
        if not self._jobs.waiting:
            self.computing = False
            self.summary.setText(f"could not compute the coverage difference: {error}")

    def _draw(self, difference, rgba, dark) -> None:
        self.summary.setText(difference.summary)
        values = difference.values
        shared = ~np.isnan(values)
        reach = max(abs(difference.low), abs(difference.high), 1)

        def texts(rows, cols):
            block, known = values[rows, cols], shared[rows, cols]
            cell_texts = [[(f"{int(value):+d}" if value else "0") if seen else None for value, seen in zip(*pair)]
                          for pair in zip(block, known)]
            return cell_texts, np.where(dark[rows, cols], "#111", "#fff").tolist(), None

        self.grid.set_cells(rgba, texts)
        self.grid.set_axis_labels(_labels(values.shape[0]), _labels(values.shape[1]))
        self.colour_bar.show(-reach, reach, 3)


@lru_cache(maxsize=8)
def _labels(count: int) -> tuple[str, ...]:
    return tuple(str(index) for index in range(count))
