"""Reads: the answer to every "which multiplications involve this cell?" question."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .axis import AxisReads

COLUMNS = ("output", "weight", "padded", "input")


@dataclass(frozen=True, eq=False)
class Reads:
    """Multiplications of one channel's convolution, one per row: output cell (i, j) times
    weight tap (r, s) reads padded cell (pr, pc), which holds input cell (ir, ic).

    Each column is an (n, 2) int array of (row, column) pairs:

    - ``output``: (i, j), (0, 0) the top-left output cell;
    - ``weight``: (r, s), (0, 0) the kernel's top-left tap;
    - ``padded``: (pr, pc) = (i·sh + r·dh, j·sw + s·dw), (0, 0) the top-left corner of the
      padding (the input's top-left cell is (top, left));
    - ``input``: (ir, ic), (0, 0) the input's top-left cell; the cell the padded cell holds
      (a reflected, replicated or wrapped copy counts for the cell it copies), or (−1, −1)
      where it is zero padding.
    """

    output: np.ndarray
    weight: np.ndarray
    padded: np.ndarray
    input: np.ndarray

    def __post_init__(self):
        for name in COLUMNS:
            getattr(self, name).flags.writeable = False

    @classmethod
    def across(cls, rows: AxisReads, cols: AxisReads) -> Reads:
        """Every pairing of a row-axis read with a column-axis read, row-axis pairs outermost."""
        count_rows, count_cols = len(rows.window), len(cols.window)

        def pair(row_values, col_values):
            grid = np.empty((count_rows, count_cols, 2), dtype=np.int64)
            grid[:, :, 0] = row_values[:, None]
            grid[:, :, 1] = col_values[None, :]
            return grid.reshape(-1, 2)

        source = pair(rows.source, cols.source)
        source[(source < 0).any(axis=1)] = -1
        return cls(pair(rows.window, cols.window), pair(rows.tap, cols.tap), pair(rows.padded, cols.padded), source)

    def __len__(self) -> int:
        return len(self.output)

    def __repr__(self) -> str:
        return f"Reads({len(self)} multiplications)"

    @property
    def zero_padding(self) -> np.ndarray:
        """Per row, True where the padded cell is zero padding (no input cell)."""
        return self.input[:, 0] < 0

    def cells(self, column: str) -> np.ndarray:
        """The distinct cells of `column`, as an (m, 2) array sorted row-major (zero padding is
        no input cell)."""
        return self._distinct(column)[0]

    def counts(self, column: str) -> dict[tuple[int, int], int]:
        """How many rows name each cell of `column` (zero padding is no input cell)."""
        cells, counts = self._distinct(column)
        return dict(zip(zip(*cells.T.tolist()), counts.tolist()))

    def _distinct(self, column: str) -> tuple[np.ndarray, np.ndarray]:
        if column not in COLUMNS:
            raise ValueError(f"Reads has no column {column!r}; it has {', '.join(COLUMNS)}")
        values = getattr(self, column)
        if column == "input":
            values = values[values[:, 0] >= 0]
        if not len(values):
            return np.empty((0, 2), dtype=np.int64), np.empty(0, dtype=np.int64)
        low = values.min(axis=0)
        width = int(values[:, 1].max() - low[1]) + 1
        keys, counts = np.unique((values[:, 0] - low[0]) * width + (values[:, 1] - low[1]), return_counts=True)
        rows, cols = divmod(keys, width)
        return np.column_stack((rows + low[0], cols + low[1])), counts
