"""What the panels of one session show at one step and selection: plain data, no Qt.

A view draws a `Frame` and computes nothing itself: no geometry, no text. The parts that do not
depend on the step (`InputGrid`, `OutputGrid`, `CoverageGrid`) are built once per spec and data
and shared by every frame of them, so moving the step costs only the step's own parts. Any step
can be framed without changing the session, which is how an export renders frames offscreen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from .framework_code import torch_explicit_padding
from .patterns import format_value
from .selection import SelectionTarget

MAX_LISTED_TERMS = 4096
"""The arithmetic lists every product up to this many (a 63×63 kernel on one channel); past it,
one sum per input channel."""
MAX_DECIMALS = 12
MAX_LISTED_GROUPS = 8
"""Groups listed one by one in the groups line; past it, only the shown output channel's."""


def _decimals_of_total(total: float) -> int:
    """Decimals the total is shown with: as `format_value` would (2 below 10, 1 below 100, else 0)."""
    size = abs(total)
    return 2 if size < 10 else 1 if size < 100 else 0


def _fixed(value: float, decimals: int) -> str:
    """`value` with at most `decimals` decimals, trailing zeros dropped, a real minus sign."""
    if not np.isfinite(value):
        return str(value)
    text = f"{value:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    return text.replace("-", "−")


def shown_decimals(inputs: np.ndarray, weights: np.ndarray, partials: np.ndarray, total_decimals: int) -> int:
    """The fewest decimals for the factors such that, channel by channel, the products of the
    factors as shown add up to the channel's sum as shown (within a tenth of its last digit)."""
    tolerance = 0.1 * 10.0 ** -total_decimals
    for decimals in range(total_decimals, MAX_DECIMALS + 1):
        scale = 10.0 ** decimals
        shown_x, shown_w = np.round(inputs * scale) / scale, np.round(weights * scale) / scale
        sums = (shown_x * shown_w).reshape(len(partials), -1).sum(axis=1)
        if np.all(np.abs(sums - partials) < tolerance):
            return decimals
    return MAX_DECIMALS


def _sum_decimals(parts: list[str], total: float, fewest: int) -> int:
    """Decimals to show a sum of the shown `parts` with: as many as the parts use, when the parts
    as shown add up to the total at that many; else fewer (`fewest` at least)."""
    used = max((len(part.split(".")[1]) for part in parts if "." in part), default=0)
    shown = sum(float(part.replace("−", "-")) for part in parts)
    for decimals in range(max(used, fewest), fewest, -1):
        if abs(shown - total) <= 0.5 * 10.0 ** -decimals * (1 - 1e-9):
            return decimals
    return fewest


@dataclass(frozen=True)
class StepTerms:
    """The arithmetic of one animation step: output (k; i, j) = Σ_c Σ x·w (+ bias) over its taps."""

    step: int
    position: tuple[int, int]
    rows: np.ndarray
    cols: np.ndarray
    inputs: np.ndarray
    """(C, kh, kw) the padded input values under the taps, per input channel."""
    weights: np.ndarray
    """(C, kh, kw) the weights w[k, c] of the shown output channel k."""
    total: float
    bias: float | None = None
    out_channel: int = 0
    out_channels: int = 1
    channels: tuple[int, ...] | None = None
    """The input channel each slice of `inputs` is (None: 0, 1, 2, ...): a group's channels."""
    real: np.ndarray | None = None
    """(kh, kw) True where a tap reads an input value, False where it reads a zero inserted by the
    stride or padding (transposed convolution); None: every product is listed."""

    @property
    def channel_numbers(self) -> tuple[int, ...]:
        return tuple(range(len(self.inputs))) if self.channels is None else tuple(self.channels)

    @property
    def partials(self) -> np.ndarray:
        """(C,) each input channel's Σ x·w."""
        return (self.inputs * self.weights).reshape(len(self.inputs), -1).sum(axis=1)

    def text(self, max_terms: int = MAX_LISTED_TERMS) -> str:
        """Every product, with enough decimals that the products as shown add up to the sums as shown.

        One line for one input channel; with several, a line per channel (c=0: …) and a last line
        adding the channel sums and the bias."""
        i, j = self.position
        name = f"y[{i},{j}]" if self.out_channels == 1 else f"y[k={self.out_channel}][{i},{j}]"
        channels = len(self.inputs)
        partials = self.partials
        total_decimals = _decimals_of_total(self.total)
        partial_decimals = total_decimals + (len(str(channels)) if channels > 1 or self.bias is not None else 0)
        listed = self.inputs.size <= max_terms
        decimals = shown_decimals(self.inputs, self.weights, partials, partial_decimals) if listed else 0

        real = np.ones(self.inputs.shape[1:], bool) if self.real is None else self.real

        def products(channel: int) -> str:
            pairs = [f"{_bracket(_fixed(x, decimals))}·{_bracket(_fixed(w, decimals))}"
                     for x, w in zip(self.inputs[channel][real], self.weights[channel][real])]
            return " + ".join(pairs) if pairs else "0"

        zeros = int(real.size - real.sum())
        note = "" if not zeros else f"\n({zeros} of {real.size} taps read inserted zeros or padding: 0·w, left out)"

        total = _fixed(self.total, total_decimals)
        bias = "" if self.bias is None else f" + {_bracket(_fixed(self.bias, partial_decimals))}"
        if channels == 1:
            if not listed:
                return f"{name} = Σ x·w over {self.inputs.size:,} taps{bias} = {total}"
            if self.bias is None:
                return f"{name} = {products(0)} = {total}{note}"
            return f"{name} = {products(0)}{bias} = {total}{note}"
        sums = [_fixed(value, partial_decimals) for value in partials]
        numbers = self.channel_numbers
        which = "" if numbers == tuple(range(channels)) else f" (c={ranges_text(list(numbers))}, its group's)"
        lines = [f"{name} = Σ over {channels} input channels{which} of Σ x·w"
                 + (" + bias" if self.bias is not None else "")]
        for channel in range(channels):
            body = products(channel) if listed else f"Σ x·w over {self.inputs[channel].size:,} taps"
            lines.append(f"  c={numbers[channel]}: {body} = {sums[channel]}")
        if not listed:
            lines.append(f"  (every product of {self.inputs.size:,} is too many to list; one sum per channel)")
        parts = [*sums, *([] if self.bias is None else [_fixed(self.bias, partial_decimals)])]
        total = _fixed(self.total, _sum_decimals(parts, self.total, total_decimals))
        lines.append(f"  {name} = {' + '.join(_bracket(text) for text in sums)}{bias} = {total}")
        return "\n".join(lines) + (note if listed else "")


@dataclass(frozen=True)
class PoolTerms:
    """The arithmetic of one pooling step: the max of the window's taps (padding is −∞), or their
    sum over the divisor PyTorch uses."""

    step: int
    position: tuple[int, int]
    rows: np.ndarray
    cols: np.ndarray
    inputs: np.ndarray
    """(kh, kw) the padded values under the taps: −∞ (max) or 0 (average) on padding."""
    inside: np.ndarray
    """(kh, kw) True where a tap is on the input, not on padding."""
    operation: str
    total: float
    divisor: int = 1
    divisor_text: str = ""
    """Why the divisor is what it is (average pooling)."""
    winner: tuple[int, int] | None = None
    """The tap (r, s) whose value max pooling passes on: the first largest, row-major, as PyTorch."""
    channel: int = 0
    channels: int = 1

    @property
    def winner_cell(self) -> tuple[int, int] | None:
        """The padded (row, col) of the winning tap (max pooling), or None."""
        if self.winner is None:
            return None
        return int(self.rows[self.winner[0]]), int(self.cols[self.winner[1]])

    def text(self, max_terms: int = MAX_LISTED_TERMS) -> str:
        i, j = self.position
        name = f"y[{i},{j}]" if self.channels == 1 else f"y[k={self.channel}][{i},{j}]"
        decimals = _decimals_of_total(self.total)
        listed = self.inputs.size <= max_terms
        if self.operation == "max_pool":
            shown = [("−∞" if not inside else _fixed(value, decimals))
                     for value, inside in zip(self.inputs.ravel(), self.inside.ravel())]
            body = f"max({', '.join(shown)})" if listed else f"max over {self.inputs.size:,} taps"
            text = f"{name} = {body} = {_fixed(self.total, decimals)}"
            if self.winner is not None:
                text += f"   (the first largest: tap {self.winner[0]},{self.winner[1]})"
            if not self.inside.all():
                text += "\npadding is −∞: it never wins"
            return text
        values = self.inputs[self.inside]
        total_sum = float(values.sum())
        sum_decimals = shown_decimals(values, np.ones_like(values), np.array([total_sum]), decimals) if listed else 0
        parts = [_bracket(_fixed(value, sum_decimals)) for value in values]
        padded = int((~self.inside).sum())
        if listed:
            body = " + ".join(parts) if parts else "0"
            body = f"({body})" if len(parts) > 1 else body
        else:
            body = f"(Σ over {values.size:,} taps)"
        sum_text = _fixed(total_sum, sum_decimals)
        pads = f"; its {_plural(padded, 'padding tap')} add 0" if padded else ""
        return (f"{name} = {body} / {self.divisor} = {sum_text} / {self.divisor} = {_fixed(self.total, decimals)}"
                f"\n{self.divisor_text}{pads}")


def _bracket(text: str) -> str:
    return f"({text})" if text.startswith("−") else text


def ranges_text(indices, most: int | None = None) -> str:
    """(0, 1, 2, 5) -> '0–2, 5'. With `most`, at most that many ranges: the first ones, '…', the
    last, and how many indices in all (a stride-2 dilation-2 input leaves every other row unread:
    150 ranges would squeeze the grids flat)."""
    indices = sorted(indices)
    parts, start = [], indices[0]
    for previous, current in zip(indices, indices[1:] + [None]):
        if current is None or current != previous + 1:
            parts.append(str(start) if start == previous else f"{start}–{previous}")
            start = current
    if most is not None and len(parts) > max(most, 3):
        return ", ".join(parts[:max(most, 3) - 2] + ["…", parts[-1]]) + f" ({len(indices)} in all)"
    return ", ".join(parts)


UNREAD_RANGES = 6
"""Most ranges of unread rows (or columns) named in a legend or summary."""


def _labels(count: int) -> list[str]:
    return [str(index) for index in range(count)]


def _value_texts(values: np.ndarray) -> list[list[str]]:
    return [[format_value(value) for value in row] for row in values]


@dataclass(frozen=True)
class InputGrid:
    """The padded input of one channel: values, which cells are padding and what they copy."""

    values: np.ndarray
    """(Hp, Wp) values on the padded grid, padding filled as the mode says."""
    padding: np.ndarray
    """(Hp, Wp) True where a cell is padding."""
    source_rows: np.ndarray
    source_cols: np.ndarray
    """Input row (column) each padded row (column) holds; -1 for zero padding."""
    mode: str
    input_rect: tuple[int, int, int, int]
    """(top, left, height, width) of the input inside the padded grid."""
    tap_offsets: tuple[np.ndarray, np.ndarray]
    """Row and column offsets of the kernel's taps from a window's top-left tap."""
    unread_rows: tuple[int, ...]
    unread_cols: tuple[int, ...]
    """Input rows (columns) no window reads."""
    pictorial: bool
    """The input is a picture (grey levels), not a grid of small numbers."""
    title: str
    kernel_text: str
    row_labels: list[str]
    col_labels: list[str]
    upsample: tuple[int, int] = (1, 1)
    """Grid cells from one input row (column) to the next: a transposed convolution's stride."""
    operation: str = "conv"
    inserted: np.ndarray | None = None
    """(Hp, Wp) True on the zeros a transposed convolution's stride inserts between input cells."""
    inserted_lines: tuple[np.ndarray, np.ndarray] = (np.empty(0, np.int64), np.empty(0, np.int64))
    """The padded rows and columns made of inserted zeros (where they cross the input)."""
    notes: str = ""
    """How this grid was made from the input, in words (transposed convolution, pooling)."""

    @property
    def has_padding(self) -> bool:
        return bool(self.padding.any())

    @property
    def shown_input_rect(self) -> tuple[int, int, int, int]:
        """`input_rect` cut to the grid: all of it, except for a transposed convolution padded
        by more than d·(k−1), which crops the zero-inserted input."""
        top, left, height, width = self.input_rect
        grid_rows, grid_cols = self.padding.shape
        bottom, right = min(top + height, grid_rows), min(left + width, grid_cols)
        top, left = max(top, 0), max(left, 0)
        return top, left, max(bottom - top, 0), max(right - left, 0)

    @property
    def unread_grid_lines(self) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """The grid rows and columns of the unread input rows and columns that are on the grid."""
        top, left = self.input_rect[:2]
        (down, across), (grid_rows, grid_cols) = self.upsample, self.padding.shape
        rows = tuple(top + row * down for row in self.unread_rows if 0 <= top + row * down < grid_rows)
        cols = tuple(left + col * across for col in self.unread_cols if 0 <= left + col * across < grid_cols)
        return rows, cols

    @property
    def unread_cropped(self) -> bool:
        """Some unread input rows or columns are cropped off the grid."""
        rows, cols = self.unread_grid_lines
        return len(rows) + len(cols) < len(self.unread_rows) + len(self.unread_cols)

    @property
    def unread_text(self) -> str:
        """'never read: rows 3–4, columns 6' ('' when every row and column is read)."""
        parts = ([f"rows {ranges_text(self.unread_rows, UNREAD_RANGES)}"] if self.unread_rows else []) + \
                ([f"columns {ranges_text(self.unread_cols, UNREAD_RANGES)}"] if self.unread_cols else [])
        return "never read: " + ", ".join(parts) if parts else ""


    def cell_texts(self, rows: slice = slice(None), cols: slice = slice(None)) -> list[list[str]]:
        """The values as text, of the block `rows` × `cols` (all cells by default)."""
        return _value_texts(self.values[rows, cols])

    def copy_labels(self, rows: slice = slice(None), cols: slice = slice(None)) -> list[list[str | None]] | None:
        """'↤r,c' on each padding cell that copies input cell (r, c); None for zero padding.
        Of the block `rows` × `cols` (all cells by default)."""
        if self.mode == "zeros":
            return None
        height, width = self.values.shape
        return [[f"↤{self.source_rows[row]},{self.source_cols[col]}" if self.padding[row, col] else None
                 for col in range(width)[cols]] for row in range(height)[rows]]


@dataclass(frozen=True)
class OutputGrid:
    """The output map of one channel, the order its cells are computed in, and its size formulas."""

    values: np.ndarray
    cell_steps: np.ndarray
    """(Ho, Wo) the animation step that computes each output cell."""
    step_cells: np.ndarray
    """(steps, 2) the output cell each animation step computes."""
    title: str
    shape_text: str
    formulas: str
    row_labels: list[str]
    col_labels: list[str]

    def cell_texts(self, rows: slice = slice(None), cols: slice = slice(None)) -> list[list[str]]:
        return _value_texts(self.values[rows, cols])


@dataclass(frozen=True)
class KernelGrid:
    """The kernel weights the animation multiplies by."""

    values: np.ndarray
    """(kh, kw) the weights in the order the taps apply them: flipped for a transposed convolution;
    ones for pooling (a window without weights)."""
    title: str
    row_labels: list[str]
    col_labels: list[str]
    flipped: bool = False
    """Cell (r, s) shows weight (kh−1−r, kw−1−s): a transposed convolution's kernel as applied."""
    weighted: bool = True
    """False for pooling: the cells are the window's taps and show no numbers."""

    def cell_texts(self, rows: slice = slice(None), cols: slice = slice(None)) -> list[list[str]]:
        if not self.weighted:
            return [["" for _ in row] for row in self.values[rows, cols]]
        return _value_texts(self.values[rows, cols])

    def weight_of(self, row: int, col: int) -> tuple[int, int]:
        """The weight index (PyTorch's) cell (row, col) shows."""
        if not self.flipped:
            return row, col
        height, width = self.values.shape
        return height - 1 - row, width - 1 - col


@dataclass(frozen=True)
class CoverageGrid:
    """How many multiplications read each input cell; cells no window reads are `unread`."""

    counts: np.ndarray
    unread: np.ndarray
    most: int
    summary: str
    row_labels: list[str]
    col_labels: list[str]
    title: str = "Coverage: reads per input cell (click one)"
    kind: str = "reads"
    """"reads" (the geometry's counts) or "wins" (max pooling's winners on the current input)."""
    wins_available: bool = False
    """Max pooling: the panel offers the wins on the current input."""

    def cell_texts(self, rows: slice = slice(None), cols: slice = slice(None)) -> list[list[str]]:
        return [[str(int(value)) for value in row] for row in self.counts[rows, cols]]


class AxisCounts(NamedTuple):
    """Along one axis, how many of a selection's (window, tap) pairs name each output index,
    tap, padded index and input index."""

    output: np.ndarray
    weight: np.ndarray
    padded: np.ndarray
    input: np.ndarray


def _axis_counts(axis, reads) -> AxisCounts:
    real = reads.source >= 0
    return AxisCounts(np.bincount(reads.window, minlength=axis.output_size),
                      np.bincount(reads.tap, minlength=axis.kernel),
                      np.bincount(reads.padded, minlength=axis.padded_size),
                      np.bincount(reads.source[real], minlength=axis.size))


@dataclass(frozen=True)
class Selection:
    """A picked (or hovered) cell and every multiplication it takes part in.

    The multiplications are the plan's inverse query for the target (`reads_of_output`,
    `reads_of_input`, `reads_of_weight`); since they pair every row-axis read with every
    column-axis read, each map of counts is the outer product of two per-axis counts, so a
    selection costs O(rows + columns) to make however large the grid, and a map is only
    built when drawn.
    """

    target: SelectionTarget
    rows: AxisCounts
    cols: AxisCounts
    copies: tuple[np.ndarray, np.ndarray]
    """Padded rows and columns holding the picked input cell (itself and its padding copies);
    empty unless an input cell is picked."""
    text: str
    pinned: bool = True
    """Clicked (kept until cleared) rather than hovered."""

    @property
    def kind(self) -> str:
        return self.target.kind

    @property
    def cell(self) -> tuple[int, int]:
        return self.target.cell

    @property
    def multiplications(self) -> int:
        return int(self.rows.output.sum() * self.cols.output.sum())

    def counts(self, column: str) -> np.ndarray:
        """How many of the multiplications name each cell of `column` ("output", "weight",
        "padded", "input"): a 2-D map; zero padding names no input cell."""
        return np.outer(getattr(self.rows, column), getattr(self.cols, column))

    def axes_of(self, column: str) -> tuple[np.ndarray, np.ndarray]:
        """The row and column indices along which `column`'s cells lie (the cells are every pair)."""
        return np.flatnonzero(getattr(self.rows, column)), np.flatnonzero(getattr(self.cols, column))

    def cells(self, column: str) -> np.ndarray:
        """(n, 2) the cells of `column` that take part, row-major."""
        rows, cols = self.axes_of(column)
        return np.column_stack((np.repeat(rows, len(cols)), np.tile(cols, len(rows))))

    def cell_count(self, column: str) -> int:
        rows, cols = self.axes_of(column)
        return len(rows) * len(cols)

    @property
    def copy_cells(self) -> np.ndarray:
        """(n, 2) padded cells holding the picked input cell, read or not."""
        rows, cols = self.copies
        return np.column_stack((np.repeat(rows, len(cols)), np.tile(cols, len(rows))))

    @property
    def padded_cells(self) -> list[tuple[int, int]]:
        """The padded cells to outline: the picked input cell's copies, or the cells read."""
        cells = self.copy_cells if self.kind == "input" else self.cells("padded")
        return [(int(r), int(c)) for r, c in cells]

    @property
    def readers(self) -> list[tuple[int, int]]:
        """Every output cell that takes part."""
        return [(int(i), int(j)) for i, j in self.cells("output")]


@dataclass(frozen=True)
class Frame:
    """Every panel of one session at one step and selection."""

    input: InputGrid
    output: OutputGrid
    coverage: CoverageGrid
    step: int
    steps: int
    position: tuple[int, int]
    window: tuple[int, int, int, int]
    """(top, left, height, width) of the step's window on the padded grid."""
    terms: StepTerms
    selection: Selection | None = field(default=None)
    selection_terms: StepTerms | None = field(default=None)
    """The arithmetic of a picked output cell (None unless an output cell is picked)."""
    kernel: KernelGrid | None = field(default=None)
    in_channel: int = 0
    in_channels: int = 1
    out_channel: int = 0
    out_channels: int = 1
    group_ranges: tuple[tuple[range, range], ...] = ()
    """(input channels, output channels) of each group when there are several (groups > 1)."""

    @property
    def in_groups(self) -> list[int]:
        """The group of each input channel (empty without groups)."""
        return [group for group, (inputs, _) in enumerate(self.group_ranges) for _ in inputs]

    @property
    def out_groups(self) -> list[int]:
        """The group of each output channel (empty without groups)."""
        return [group for group, (_, outputs) in enumerate(self.group_ranges) for _ in outputs]

    @property
    def groups_text(self) -> str:
        """Which input channels feed which output channels, in words ('' without groups)."""
        count = len(self.group_ranges)
        if not count:
            return ""
        depthwise = all(len(inputs) == 1 for inputs, _ in self.group_ranges)
        head = f"{count} groups" + (", depthwise" if depthwise else "")
        shown = [(group, inputs, outputs) for group, (inputs, outputs) in enumerate(self.group_ranges)]
        if count > MAX_LISTED_GROUPS:
            shown = [entry for entry in shown if self.out_channel in entry[2]]
        parts = [f"c={ranges_text(list(inputs))} → k={ranges_text(list(outputs))}"
                 for group, inputs, outputs in shown]
        return f"{head}: " + "; ".join(parts) + ("" if count <= MAX_LISTED_GROUPS else f" (of {count})")

    @property
    def arithmetic(self) -> str:
        return self.arithmetic_listing()

    def arithmetic_listing(self, max_terms: int = MAX_LISTED_TERMS) -> str:
        """The step's arithmetic, every product listed up to `max_terms` (past it, one sum per channel)."""
        return f"Step {self.step + 1} of {self.steps}:  {self.terms.text(max_terms)}"

    @property
    def step_label(self) -> str:
        return f"step {self.step + 1} / {self.steps}"

    @property
    def shape_text(self) -> str:
        return self.output.shape_text


def input_grid(conv_plan, padded: np.ndarray, pictorial: bool, channel: int = 0) -> InputGrid:
    """The padded grid of input channel `channel` (its values `padded`)."""
    spec = conv_plan.spec
    height, width = spec.input_size
    top, bottom, left, right = conv_plan.pads
    ph, pw = conv_plan.padded_shape
    if spec.operation == "conv_transpose":
        cropped, grown = min(conv_plan.pads) < 0, max(conv_plan.pads) > 0
        how = "padded and cropped" if cropped and grown else "cropped" if cropped else "padded"
        title = f"Input {height}×{width}, zeros inserted and {how} to {ph}×{pw}  ·  direct view"
    elif spec.is_pooling and any(conv_plan.pads):
        rows_axis, cols_axis = conv_plan.axes
        parts = [f"padding {rows_axis.padding}×{cols_axis.padding}"] if rows_axis.padding or cols_axis.padding else []
        if rows_axis.overhang or cols_axis.overhang:
            parts.append(f"ceil-mode overhang {rows_axis.overhang}×{cols_axis.overhang}")
        title = f"Input {height}×{width}, padded to {ph}×{pw}  ·  " + " + ".join(parts)
    elif any(conv_plan.pads):
        title = (f"Input {height}×{width}, padded to {ph}×{pw}  ·  "
                 f"padding top {top}, bottom {bottom}, left {left}, right {right}")
    else:
        title = f"Input {height}×{width}  ·  no padding"
    if spec.in_channels > 1:
        title = f"Input channel c={channel} of {spec.in_channels}: " + title[len("Input "):]
    (kh, kw), (sh, sw), (dh, dw) = spec.kernel_size, spec.stride, spec.dilation
    kernel_text = f"{kh}×{kw} kernel, stride {sh}×{sw}" + (f", dilation {dh}×{dw}" if (dh, dw) != (1, 1) else "")
    mask = conv_plan.padding_mask
    rows, cols = conv_plan.row_source, conv_plan.col_source
    span = (conv_plan.rows.input_span, conv_plan.cols.input_span)  # with the inserted zeros
    inserted, lines = None, InputGrid.inserted_lines
    if spec.operation == "conv_transpose":
        inserted = ~mask & (conv_plan.rows.is_inserted[:, None] | conv_plan.cols.is_inserted[None, :])
        lines = (np.flatnonzero(conv_plan.rows.is_inserted), np.flatnonzero(conv_plan.cols.is_inserted))
        kernel_text = f"{kh}×{kw} kernel flipped, stride 1" + (f", dilation {dh}×{dw}" if (dh, dw) != (1, 1) else "")
    return InputGrid(
        values=padded, padding=mask, source_rows=rows, source_cols=cols, mode=spec.padding_mode,
        input_rect=(top, left, *span), tap_offsets=conv_plan.tap_offsets,
        upsample=(conv_plan.rows.upsample, conv_plan.cols.upsample),
        operation=spec.operation, inserted=inserted, inserted_lines=lines, notes=_grid_notes(conv_plan),
        unread_rows=conv_plan.unread_rows, unread_cols=conv_plan.unread_cols, pictorial=pictorial,
        title=title, kernel_text=kernel_text,
        row_labels=["" if pad or index < 0 else str(int(index)) for index, pad in zip(rows, mask.all(axis=1))],
        col_labels=["" if pad or index < 0 else str(int(index)) for index, pad in zip(cols, mask.all(axis=0))],
    )


def _axis_notes(axis, side: str) -> str:
    """How one axis of a transposed convolution's or a pooling's grid is made, with its numbers;
    `side` names the axis' far end ("the bottom"). '' for a pooling axis without overhang."""
    if axis.operation == "conv_transpose":
        d, k, p = axis.dilation, axis.kernel, axis.padding
        text = (f"{_plural(axis.upsample - 1, 'zero')} between input cells (stride {axis.upsample}), "
                f"border d(k−1)−p = {d}·({k}−1)−{p} = {axis.before}")
        if axis.before < 0:
            text += " (negative: a crop)"
        if axis.output_padding:
            text += f", output padding {axis.output_padding} at {side}"
        return text
    if not axis.overhang:
        return ""
    return f"{axis.overhang} past the padding at {side} for the ceil-mode window"


def _grid_notes(conv_plan) -> str:
    """Transposed convolution: how the direct view's grid comes from the input; pooling: the
    ceil-mode overhang, in words with the numbers ('' when there is nothing to say)."""
    spec = conv_plan.spec
    if spec.operation == "conv":
        return ""
    rows, cols = conv_plan.axes
    if _axis_notes(rows, "the end") == _axis_notes(cols, "the end"):
        both = _axis_notes(rows, "the bottom and right")
        body = f"rows and columns: {both}" if both else ""
    else:
        parts = [(name, _axis_notes(axis, side)) for name, axis, side in
                 (("rows", rows, "the bottom"), ("columns", cols, "the right"))]
        body = "; ".join(f"{name}: {text}" for name, text in parts if text)
    if not body:
        return ""
    if spec.operation == "avg_pool":
        body += " (never counted in the divisor)"
    return body[0].upper() + body[1:] + "."


def framework_refusal(conv_plan) -> str:
    """What PyTorch says of this spec when it refuses it, and the explicit padding that gives the
    same output ('' when it takes the spec as it is)."""
    spec = conv_plan.spec
    if spec.padding != "same" or spec.stride == (1, 1):
        return ""
    return (f"⚠ PyTorch refuses padding='same' at stride {spec.stride[0]}×{spec.stride[1]} (it takes 'same' "
            f"only at stride 1). These pads (TensorFlow's rule) in PyTorch: {torch_explicit_padding(spec)}")


def output_grid(conv_plan, output: np.ndarray, channel: int = 0) -> OutputGrid:
    """The map of output channel `channel` (its values `output`)."""
    spec = conv_plan.spec
    ho, wo = conv_plan.output_size
    rows, cols = conv_plan.axes
    formulas = f"height: {rows.formula()}\nwidth:  {cols.formula()}"
    if spec.dilation != (1, 1):
        formulas += f"\n(dilated kernel: {rows.reach_formula()}, {cols.reach_formula()})"
    refusal = framework_refusal(conv_plan)
    if refusal:
        formulas += "\n" + refusal
    step_cells = conv_plan.step_cells
    cell_steps = np.empty((ho, wo), dtype=np.int64)
    cell_steps[step_cells[:, 0], step_cells[:, 1]] = np.arange(conv_plan.steps)
    title = f"Output {ho}×{wo}  ·  {conv_plan.steps} steps"
    if spec.out_channels > 1:
        title = f"Output channel k={channel} of {spec.out_channels}: {ho}×{wo}  ·  {conv_plan.steps} steps"
    taps = spec.kernel_size[0] * spec.kernel_size[1]
    if spec.is_pooling:
        title += f"  ·  each cell is {'the max' if spec.operation == 'max_pool' else 'the average'} of {taps} taps"
    elif spec.in_channels // spec.groups > 1:
        title += f"  ·  each cell sums {spec.in_channels // spec.groups} channels × {taps} taps"
    return OutputGrid(
        values=output, cell_steps=cell_steps, step_cells=step_cells,
        title=title, shape_text=output_shape_text(conv_plan),
        formulas=formulas,
        row_labels=_labels(ho), col_labels=_labels(wo),
    )


def output_shape_text(conv_plan) -> str:
    """'output 5×5 (25 steps)'."""
    ho, wo = conv_plan.output_size
    return f"output {ho}×{wo} ({conv_plan.steps} steps)"


def kernel_grid(conv_plan, weights: np.ndarray, out_channel: int = 0, in_channel: int = 0,
                bias: float | None = None) -> KernelGrid:
    """The kernel slice that multiplies input channel `in_channel` for output channel `out_channel`
    (its values `weights`, PyTorch's order), as the taps apply it; for pooling, the window."""
    spec = conv_plan.spec
    kh, kw = spec.kernel_size
    k, c, groups = spec.out_channels, spec.in_channels, spec.groups
    if spec.is_pooling:
        kind = "Max" if spec.operation == "max_pool" else "Average"
        return KernelGrid(values=np.ones((kh, kw)), title=f"{kind}-pooling window {kh}×{kw}: no weights",
                          row_labels=_labels(kh), col_labels=_labels(kw), weighted=False)
    transposed = spec.operation == "conv_transpose"
    shape = "×".join(map(str, spec.weight_shape))
    if transposed:
        local = out_channel % (k // groups)
        names = "C×K/g×kh×kw" if groups > 1 else "C×K×kh×kw"
        index = f"w[c={in_channel}, {local}]" if groups > 1 else f"w[c={in_channel}, k={out_channel}]"
    else:
        local = in_channel % (c // groups)
        names = "K×C/g×kh×kw" if groups > 1 else "K×C×kh×kw"
        index = f"w[k={out_channel}, {local}] (c={in_channel})" if groups > 1 else \
            f"w[k={out_channel}, c={in_channel}]"
    if k == c == 1 and groups == 1:
        title = f"Kernel {kh}×{kw}"
    else:
        title = f"Weights {shape} ({names})\n"
        if groups > 1:
            title += ("depthwise" if groups == c else f"{groups} groups") + " · "
        title += f"shown: {index}"
    if transposed:
        title += ", flipped as applied" if "\n" in title else " flipped, as applied"
    if bias is not None:
        title += f"  ·  bias {format_value(bias)}"
    values = np.asarray(weights)
    row_labels, col_labels = _labels(kh), _labels(kw)
    if transposed:
        values, row_labels, col_labels = values[::-1, ::-1], row_labels[::-1], col_labels[::-1]
    return KernelGrid(values=values, title=title, row_labels=row_labels, col_labels=col_labels, flipped=transposed)


def coverage_grid(conv_plan, image: np.ndarray | None = None, channel: int = 0) -> CoverageGrid:
    """How many multiplications read each input cell (convolution, transposed convolution: the
    gradient of the sum of the outputs with every weight 1), or how many windows include it
    (pooling); with `image` (max pooling), how many windows each of its cells wins."""
    spec = conv_plan.spec
    height, width = spec.input_size
    labels = dict(row_labels=_labels(height), col_labels=_labels(width))
    max_pool = spec.operation == "max_pool"
    if image is not None and max_pool:
        from ..core.wins import win_counts

        counts = win_counts(conv_plan, image)
        most = int(counts.max())
        never = int((counts == 0).sum())
        summary = (f"windows each cell wins (the first largest of its window) on input channel c={channel}: "
                   f"max {most}; {_plural(never, 'cell')} of {height * width:,} never {'wins' if never == 1 else 'win'}")
        return CoverageGrid(counts=counts, unread=conv_plan.coverage == 0, most=most, summary=summary,
                            title="Coverage: wins per input cell on this input (click one)", kind="wins",
                            wins_available=True, **labels)
    counts = conv_plan.coverage
    low, high = conv_plan.coverage_range
    rows, cols = conv_plan.unread_rows, conv_plan.unread_cols
    if spec.is_pooling:
        summary, title = f"windows per input cell: min {low}, max {high}", "Coverage: windows per input cell (click one)"
    elif spec.operation == "conv_transpose":
        summary = f"products per input cell: min {low}, max {high} (= ∂Σy/∂x with every weight 1)"
        title = "Coverage: products per input cell (click one)"
    else:
        summary, title = f"reads per input cell: min {low}, max {high}", CoverageGrid.title
    if rows or cols:
        parts = ([f"rows {ranges_text(rows, UNREAD_RANGES)}"] if rows else []) + \
                ([f"columns {ranges_text(cols, UNREAD_RANGES)}"] if cols else [])
        summary += " · never read: " + ", ".join(parts)
    else:
        summary += " · every input cell is read"
    fed = 1 if spec.is_pooling else spec.out_channels // spec.groups
    if fed > 1:
        which = f"all {fed} output channels" if spec.groups == 1 else f"the {fed} output channels of its group"
        summary += f"<br>per input channel, for one output channel; over {which} each cell is read {fed}× as often"
    return CoverageGrid(counts=counts, unread=counts == 0, most=high, summary=summary, title=title,
                        wins_available=max_pool, **labels)


def _times(count: int) -> str:
    return "once" if count == 1 else "twice" if count == 2 else f"{count:,} times"


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def selection(conv_plan, target, pinned: bool = True) -> Selection:
    """The multiplications `target` (a SelectionTarget, or an input cell (row, col)) takes part in."""
    if not isinstance(target, SelectionTarget):
        target = SelectionTarget("input", int(target[0]), int(target[1]))
    target.check(conv_plan)
    rows, cols = conv_plan.axes
    row, col = target.cell
    no_copies = (np.empty(0, np.int64), np.empty(0, np.int64))
    if target.kind == "output":
        reads = rows.reads_of_window(row), cols.reads_of_window(col)
    elif target.kind == "weight":
        reads = rows.reads_of_tap(rows.weight_tap(row)), cols.reads_of_tap(cols.weight_tap(col))
    else:
        reads = rows.reads_of_input(row), cols.reads_of_input(col)
    counts = _axis_counts(rows, reads[0]), _axis_counts(cols, reads[1])
    copies = (rows.copies(row), cols.copies(col)) if target.kind == "input" else no_copies
    picked = Selection(target, *counts, copies, "", pinned)
    return Selection(target, *counts, copies, _selection_text(picked, conv_plan), pinned)


def _selection_text(picked: Selection, conv_plan) -> str:
    row, col = picked.cell
    total = picked.multiplications
    spec = conv_plan.spec
    channels = spec.in_channels // spec.groups if not spec.is_pooling else 1
    outputs = spec.out_channels // spec.groups if not spec.is_pooling else 1
    pooling = spec.is_pooling
    zero_words = "inserted zeros or padding" if spec.operation == "conv_transpose" else "zero padding"
    if pooling:
        zero_words = "padding"
    if picked.kind == "output":
        zeros = total - int(picked.counts("input").sum())
        rows, cols = (ranges_text(axis.tolist()) for axis in picked.axes_of("padded"))
        if pooling:
            kind = "largest" if spec.operation == "max_pool" else "average"
            text = f"output ({row}, {col}) is the {kind} of {_plural(total, 'tap')}: padded rows {rows}, columns {cols}"
            return text + (f"; {zeros} of them on padding" if zeros else "")
        text = f"output ({row}, {col}) sums {_plural(total, 'product')}: its window reads padded rows {rows}, columns {cols}"
        text += f"; {zeros} of them read {zero_words}" if zeros else ""
        if channels > 1:
            text += f" — in each of {channels} input channels: {_plural(channels * total, 'product')} in all"
        return text
    if picked.kind == "weight":
        cells = picked.cell_count("input")
        zeros = total - int(picked.counts("input").sum())
        if pooling:
            text = (f"window tap ({row}, {col}) reads {_plural(total, 'cell')}, one per output cell: "
                    f"{_plural(cells, 'distinct input cell')}")
            return text + (f", and padding {_times(zeros)}" if zeros else "")
        text = (f"weight ({row}, {col}) multiplies {_plural(total, 'input value')}, one per output "
                f"cell: {_plural(cells, 'distinct input cell')}")
        text += f", and {zero_words} {_times(zeros)}" if zeros else ""
        if channels > 1 or outputs > 1:
            text += " — the same cells for every slice of the weights, each in its own input channel"
        return text
    readers = picked.cell_count("output")
    if not total:
        return f"input ({row}, {col}) is read by no window"
    copies = len(picked.copy_cells) - 1
    if pooling:
        return f"input ({row}, {col}) is in {_plural(readers, 'window')}"
    text = f"input ({row}, {col}) is read {_times(total)} by {_plural(readers, 'output')}"
    if copies:
        text += f" (itself and {copies} padding {'copy' if copies == 1 else 'copies'})"
    if outputs > 1:
        text += f" of each output channel it feeds: {_times(total * outputs)} over all {outputs}"
    return text


def step_terms(conv_plan, padded: np.ndarray, weights: np.ndarray, step: int, bias: float | None = None,
               out_channel: int = 0, channels=None):
    """The arithmetic of `step` from the padded grids (C, Hp, Wp) of the input channels that feed the
    shown output channel and their kernel slices (C, kh, kw) (2-D arrays: one channel); `channels`
    names those input channels. Convolution: Σ_c Σ x·w (+ bias); transposed convolution: the same
    over the zero-inserted input with the kernel flipped, as it is applied; pooling: `PoolTerms`."""
    padded, weights = np.asarray(padded), np.asarray(weights)
    if padded.ndim == 2:
        padded, weights = padded[None], weights[None]
    i, j = conv_plan.step_position(step)
    rows, cols = conv_plan.taps(i, j)
    inputs = padded[:, rows[:, None], cols[None, :]]
    spec = conv_plan.spec
    if spec.is_pooling:
        return pool_terms(conv_plan, inputs[0], step, out_channel)
    real = None
    if spec.operation == "conv_transpose":
        weights = weights[:, ::-1, ::-1]
        real = (conv_plan.rows.source[rows] >= 0)[:, None] & (conv_plan.cols.source[cols] >= 0)[None, :]
    total = float((inputs * weights).sum()) + (0.0 if bias is None else float(bias))
    return StepTerms(step, (i, j), rows, cols, inputs, weights, total, bias, out_channel,
                     conv_plan.spec.out_channels, None if channels is None else tuple(channels), real)


def pool_terms(conv_plan, inputs: np.ndarray, step: int, channel: int = 0) -> PoolTerms:
    """Max or average pooling of `step`'s window, whose tap values are `inputs` (kh, kw)."""
    spec = conv_plan.spec
    i, j = conv_plan.step_position(step)
    rows, cols = conv_plan.taps(i, j)
    row_axis, col_axis = conv_plan.axes
    inside = (row_axis.source[rows] >= 0)[:, None] & (col_axis.source[cols] >= 0)[None, :]
    common = dict(step=step, position=(i, j), rows=rows, cols=cols, inputs=inputs, inside=inside,
                  operation=spec.operation, channel=channel, channels=spec.out_channels)
    if spec.operation == "max_pool":
        values = np.where(inside, inputs, -np.inf)
        best = int(np.argmax(values))
        winner = divmod(best, values.shape[1]) if inside.any() else None
        return PoolTerms(total=float(values.max()), winner=winner, **common)
    rows_pad, rows_in = row_axis.divisors[0][i], row_axis.divisors[1][i]
    cols_pad, cols_in = col_axis.divisors[0][j], col_axis.divisors[1][j]
    if spec.count_include_pad:
        down, across = int(rows_pad), int(cols_pad)
        why = "the window's taps on the input and its padding (count_include_pad)"
    else:
        down, across = int(rows_in), int(cols_in)
        why = "the window's taps on the input only (count_include_pad off)"
    divisor = down * across
    overhang = spec.kernel_size[0] * spec.kernel_size[1] - int(rows_pad) * int(cols_pad)
    text = f"divisor {divisor} = {down}×{across}: {why}"
    if overhang:
        text += f"; its {_plural(overhang, 'tap')} past the padding (ceil mode) never count"
    total = float(inputs[inside].sum()) / divisor if divisor else 0.0
    return PoolTerms(total=total, divisor=divisor, divisor_text=text, **common)
