"""What the scatter view of a transposed convolution shows at one step: plain data, no Qt.

The step-independent parts (`ScatterGrids`: the shown input channel, its kernel slice as the
scatter applies it, what every input cell adds through every tap, the overlap counts, titles)
are built once per spec and data; a `ScatterFrame` adds the step's input cell, its window on the
output, the output accumulated so far and the step's arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, lru_cache

import numpy as np

from .frame import Selection, ranges_text
from .patterns import format_value
from .scatter import ScatterPlan, ScatterTerms, scatter_plan


@lru_cache(maxsize=16)
def _labels(count: int) -> tuple[str, ...]:
    return tuple(str(index) for index in range(count))


def _either(values) -> str:
    """'1, 2 or 4'."""
    values = [str(value) for value in values]
    return values[0] if len(values) == 1 else f"{', '.join(values[:-1])} or {values[-1]}"


@dataclass(frozen=True, eq=False)
class ScatterGrids:
    """The parts of the scatter view that do not change with the step."""

    scatter: ScatterPlan
    inputs: np.ndarray
    """(C', H, W) the input channels that feed the shown output channel."""
    kernels: np.ndarray
    """(C', kh, kw) their kernel slices, PyTorch's order (not flipped)."""
    channels: tuple[int, ...]
    """The input channel each of `inputs` is."""
    shown: int
    """Index into `inputs` of the input channel drawn on the input grid."""
    contributions: np.ndarray
    """(kh, kw, H, W) what each input cell adds through each tap, summed over the channels."""
    final: np.ndarray
    """(Ho, Wo) the whole output (bias included)."""
    bias: float | None
    input_title: str
    kernel_title: str
    output_title: str
    formulas: str
    overlap_title: str
    overlap_summary: str
    progress: dict = field(default_factory=dict)
    """The last step's output and writes so far (`ScatterPlan.progress`): playback adds one window a step."""

    @cached_property
    def final_range(self) -> tuple[float, float]:
        """(lowest, highest) value of the whole output: the colour scale every step shares."""
        return (float(self.final.min()), float(self.final.max())) if self.final.size else (0.0, 1.0)

    def shown_output(self, done: int) -> tuple[np.ndarray, np.ndarray]:
        """(output, writes) after `done` steps, read-only, as a frame shows them: the bias is added
        at the last step. Kept in `progress`, so asking again (the frame after a build) is free."""
        partial, written = self.scatter.progress(self.contributions, done, self.progress)
        if done >= self.scatter.steps and self.bias is not None:
            partial = partial + self.bias
        return partial, written

    @property
    def input(self) -> np.ndarray:
        """(H, W) the shown input channel."""
        return self.inputs[self.shown]

    @property
    def kernel(self) -> np.ndarray:
        """(kh, kw) the shown input channel's kernel slice."""
        return self.kernels[self.shown]

    @property
    def overlap(self) -> np.ndarray:
        return self.scatter.overlap

    @property
    def input_labels(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return _labels(self.scatter.input_size[0]), _labels(self.scatter.input_size[1])

    @property
    def output_labels(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return _labels(self.scatter.output_size[0]), _labels(self.scatter.output_size[1])

    @property
    def kernel_labels(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return _labels(self.scatter.kernel_size[0]), _labels(self.scatter.kernel_size[1])


def overlap_summary(scatter: ScatterPlan) -> str:
    """Which overlap counts occur, and why they are uneven where the kernel is not a multiple of
    the stride."""
    counts = np.unique(scatter.overlap).tolist()
    text = f"Each output cell is written by {_either(counts)} input cell{'s' if counts != [1] else ''}"
    uneven = {(axis.kernel, axis.stride) for axis in (scatter.rows, scatter.cols)
              if axis.dilation == 1 and axis.kernel % axis.stride}
    if uneven:
        reasons = " and ".join(f"{kernel} is not a multiple of stride {stride}" for kernel, stride in sorted(uneven))
        text += f": kernel {reasons}, so neighbours overlap unevenly (the checkerboard)"
    return text + "."


def scatter_grids(conv_plan, inputs: np.ndarray, kernels: np.ndarray, channels, in_channel: int,
                  out_channel: int = 0, bias: float | None = None, output: np.ndarray | None = None) -> ScatterGrids:
    """The scatter view's fixed parts for output channel `out_channel`, fed by input channels
    `channels` (values `inputs` (C', H, W), kernel slices `kernels` (C', kh, kw)); `in_channel`
    (one of `channels`) is the one drawn. `output`: that channel's output as the session computed
    it (bias included), so both views show the same numbers; summed here when not given."""
    scatter = scatter_plan(conv_plan)
    spec = conv_plan.spec
    channels = tuple(int(channel) for channel in channels)
    shown = channels.index(in_channel)
    contributions = scatter.contributions(inputs, kernels)
    if output is None:
        output = scatter.partial_output(contributions, scatter.steps) + (0.0 if bias is None else float(bias))
    final = output
    (h, w), (ho, wo), (kh, kw) = scatter.input_size, scatter.output_size, scatter.kernel_size
    rows, cols = scatter.rows, scatter.cols
    if spec.in_channels > 1:
        input_title = f"Input channel c={in_channel} of {spec.in_channels}: {h}×{w}"
    else:
        input_title = f"Input {h}×{w}"
    input_title += "  ·  one step per cell, row by row"
    stride = f"stride {rows.stride}×{cols.stride}"
    dilation = f", dilation {rows.dilation}×{cols.dilation}" if (rows.dilation, cols.dilation) != (1, 1) else ""
    kernel_title = f"Kernel {kh}×{kw}" if spec.in_channels == spec.out_channels == 1 else \
        f"Weights {'×'.join(map(str, spec.weight_shape))}, shown w[c={in_channel}] for k={out_channel}"
    kernel_title += "\nas the scatter applies it (not flipped)"
    if bias is not None:
        kernel_title += f"  ·  bias {format_value(bias)}"
    output_title = f"Output {ho}×{wo}" + (f" (channel k={out_channel})" if spec.out_channels > 1 else "")
    output_title += f"  ·  kernel {kh}×{kw}, {stride}{dilation}"
    if (rows.crop, cols.crop) != (0, 0):
        output_title += f", crop {rows.crop}×{cols.crop}"
    if spec.output_padding != (0, 0):
        output_title += f", output padding {spec.output_padding[0]}×{spec.output_padding[1]}"
    formulas = f"height: {conv_plan.rows.formula()}\nwidth:  {conv_plan.cols.formula()}"
    return ScatterGrids(scatter=scatter, inputs=np.asarray(inputs, dtype=np.float64),
                        kernels=np.asarray(kernels, dtype=np.float64), channels=channels, shown=shown,
                        contributions=contributions, final=final, bias=bias, input_title=input_title,
                        kernel_title=kernel_title, output_title=output_title, formulas=formulas,
                        overlap_title="Overlap: input cells writing each output cell",
                        overlap_summary=overlap_summary(scatter))


def scatter_shape_text(scatter: ScatterPlan) -> str:
    """'output 9×9 (16 steps: the 4×4 input cells scatter)'."""
    (ho, wo), (h, w) = scatter.output_size, scatter.input_size
    return f"output {ho}×{wo} ({scatter.steps} steps: the {h}×{w} input cells scatter)"


@dataclass(frozen=True, eq=False)
class ScatterFrame:
    """The scatter view at one step: input cell `cell` has just added its weighted kernel."""

    grids: ScatterGrids
    step: int
    steps: int
    cell: tuple[int, int]
    window: tuple[int, int, int, int]
    """(top, left, height, width) of the step's dilated kernel on the output, before cropping."""
    partial: np.ndarray
    """(Ho, Wo) the output after this step (bias added at the last step)."""
    written: np.ndarray
    """(Ho, Wo) how many input cells have written each output cell so far."""
    terms: ScatterTerms
    selection: Selection | None = field(default=None)
    selection_text: str = ""
    selected_inputs: tuple[np.ndarray, np.ndarray] | None = None
    selected_weights: tuple[np.ndarray, np.ndarray] | None = None
    selected_outputs: tuple[np.ndarray, np.ndarray] | None = None
    """Per-axis counts (rows, columns) of the input cells, weights and output cells the selection
    involves in the scatter: an output cell's writers, an input cell's targets, a weight's products."""
    in_channel: int = 0
    in_channels: int = 1
    out_channel: int = 0
    out_channels: int = 1

    @property
    def position(self) -> tuple[int, int]:
        """The step's input cell (what the step is 'at')."""
        return self.cell

    @property
    def step_label(self) -> str:
        return f"step {self.step + 1} / {self.steps}"

    @property
    def shape_text(self) -> str:
        return scatter_shape_text(self.grids.scatter)

    @property
    def arithmetic(self) -> str:
        text = f"Step {self.step + 1} of {self.steps}:  {self.terms.text()}"
        if self.step == self.steps - 1 and self.grids.bias is not None:
            text += f"\nlast step: + bias {format_value(self.grids.bias)} on every output cell"
        return text

    def output_texts(self, rows: slice = slice(None), cols: slice = slice(None)) -> list[list[str | None]]:
        """The accumulated values of the block, None where nothing has been written yet."""
        values, written = self.partial[rows, cols], self.written[rows, cols]
        return [[format_value(value) if count else None for value, count in zip(row, counts)]
                for row, counts in zip(values, written)]


def scatter_frame(grids: ScatterGrids, step: int, selection: Selection | None = None,
                  in_channel: int = 0, in_channels: int = 1, out_channel: int = 0,
                  out_channels: int = 1) -> ScatterFrame:
    """Step `step` of the scatter (0 .. H·W−1), with `selection` (the session's, as the direct
    view's plan answers it: an output cell's reads of real input cells are its writers)."""
    scatter = grids.scatter
    step = max(0, min(int(step), scatter.steps - 1))
    partial, written = grids.shown_output(step + 1)
    cell = scatter.step_cell(step)
    terms = scatter.step_terms(grids.inputs, grids.kernels, step, grids.channels)
    text, inputs, weights, outputs = "", None, None, None
    if selection is not None:
        text = selection_text(grids, selection)
        inputs, weights, outputs = selected_cells(scatter, selection)
    return ScatterFrame(grids, step, scatter.steps, cell, scatter.window(*cell), partial, written, terms,
                        selection, text, inputs, weights, outputs, in_channel, in_channels, out_channel,
                        out_channels)


def selected_cells(scatter: ScatterPlan, picked: Selection):
    """Per-axis counts (rows, columns) of the input cells, kernel taps (PyTorch's index) and
    output cells the picked cell involves in the scatter: an output cell's writers, an input
    cell's targets, a weight's products. (The direct view's selection counts reads of inserted
    zeros and padding too; the scatter has only real input cells.)"""
    kind, cell = picked.kind, picked.cell
    inputs, taps, outputs = [], [], []
    for axis, index in zip((scatter.rows, scatter.cols), cell):
        if kind == "weight":
            reads = axis.targets_of_tap(index)
        else:
            reads = axis.writers(index) if kind == "output" else axis.targets(index)
        inputs.append(np.bincount(reads.source, minlength=axis.size))
        taps.append(np.bincount(reads.tap, minlength=axis.kernel))
        outputs.append(np.bincount(reads.window, minlength=axis.output_size))
    return tuple(inputs), tuple(taps), tuple(outputs)


def selection_text(grids: ScatterGrids, picked: Selection) -> str:
    """What the picked cell means in the scatter: an output cell's writers, an input cell's
    targets, a weight's products."""
    scatter = grids.scatter
    kind, (row, col) = picked.kind, picked.cell
    if kind == "output":
        writes = scatter.writers_of_output(row, col)
        if not len(writes):
            stays = "0" if grids.bias is None else f"the bias, {format_value(grids.bias)}"
            beyond = [name for axis, index, name in ((scatter.rows, row, "row"), (scatter.cols, col, "column"))
                      if index + axis.crop >= axis.adjoint.padded_size]
            why = (f"its {' and '.join(beyond)} {'is' if len(beyond) == 1 else 'are'} output padding, past every "
                   "window" if beyond else "the stride and dilation step over it")
            return f"y[{row},{col}]: no input cell writes it ({why}); it stays {stays}"
        pairs = sorted(zip(map(tuple, writes.input.tolist()), map(tuple, writes.weight.tolist())))
        terms = " + ".join(f"x[{a},{b}]·w[{r},{s}]" for (a, b), (r, s) in pairs)
        count = len(writes)
        return (f"y[{row},{col}] is written by {count} input cell{'s' if count != 1 else ''}: {terms} "
                f"= {format_value(grids.final[row, col] - (grids.bias or 0.0))}"
                + ("" if grids.bias is None else f", + bias = {format_value(grids.final[row, col])}"))
    if kind == "input":
        writes = scatter.targets(row, col)
        outputs = writes.cells("output")
        if not len(outputs):
            return f"x[{row},{col}] writes no output cell: every tap is cropped away"
        rows, cols = np.unique(outputs[:, 0]), np.unique(outputs[:, 1])
        return (f"x[{row},{col}] writes {len(outputs)} output cell{'s' if len(outputs) != 1 else ''}: "
                f"rows {ranges_text(rows.tolist())}, columns {ranges_text(cols.tolist())}")
    count = scatter.rows.tap_run(row).count * scatter.cols.tap_run(col).count
    return (f"w[{row},{col}] multiplies {count} input cell{'s' if count != 1 else ''}, each into one output cell "
            "(the rest land outside the output)" if count < scatter.steps else
            f"w[{row},{col}] multiplies every input cell, each into one output cell")
