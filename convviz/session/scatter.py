"""Transposed convolution drawn as a scatter, as the conv arithmetic guide draws it.

Step t is input cell (a, b), in raster order. It adds x[a, b]·w (the dilated kernel) into the
output window whose top-left tap is (a·sh − ph, b·sw − pw), cropped to the output; output
padding extends the output at the bottom and right. After t steps the output holds exactly the
contributions of the first t input cells; after the last step it is the transposed convolution.

Along one axis the scatter is the adjoint of a convolution: input index a is window a of a
stride-s, dilation-d convolution of kernel k over the uncropped output ("the canvas", of
(n−1)·s + d·(k−1) + 1 cells), shifted left by the padding p. `ScatterAxis.adjoint` is that
`Axis`, so the geometry stays the plan's: how many input cells write each output cell (the
overlap, a checkerboard when k is not a multiple of s) is its linear-time `reads`.

The inverse queries answer in the plan's `Reads`, row for row the multiplications of the direct
view (`plan.reads_of_output`) that read a real input value: the same output, padded and input
cells, with the weight column naming the kernel tap (r, s) that multiplies, not the flipped tap
of the direct view.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np

from ..core.axis import Axis, AxisReads
from ..core.reads import Reads
from .frame import _bracket, _decimals_of_total, _fixed, shown_decimals


def _frozen(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


@dataclass(frozen=True)
class TapRun:
    """The input indices one tap scatters inside the output along an axis: `count` consecutive
    indices from `first`, landing every stride from output index `start`."""

    first: int
    count: int
    start: int
    stride: int

    @property
    def inputs(self) -> slice:
        return slice(self.first, self.first + self.count)

    @property
    def outputs(self) -> slice:
        return slice(self.start, self.start + (self.count - 1) * self.stride + 1, self.stride)


@dataclass(frozen=True)
class ScatterAxis:
    """One axis of a transposed convolution as a scatter; `axis` is the plan's transposed axis
    (the direct view: stride 1 over the zero-inserted input)."""

    axis: Axis

    def __post_init__(self):
        if self.axis.operation != "conv_transpose":
            raise ValueError(f"a scatter is drawn for transposed convolution, not {self.axis.operation}")

    @property
    def size(self) -> int:
        return self.axis.size

    @property
    def kernel(self) -> int:
        return self.axis.kernel

    @property
    def stride(self) -> int:
        return self.axis.user_stride

    @property
    def dilation(self) -> int:
        return self.axis.dilation

    @property
    def crop(self) -> int:
        """Output indices cut from the start of the canvas: the user's padding p."""
        return self.axis.padding

    @property
    def output_size(self) -> int:
        return self.axis.output_size

    @cached_property
    def adjoint(self) -> Axis:
        """The convolution whose windows are the scatter's: window a covers canvas indices
        a·s + r·d, over a canvas of (n−1)·s + d·(k−1) + 1 cells, unpadded."""
        canvas = (self.size - 1) * self.stride + self.axis.reach
        return Axis(canvas, self.kernel, self.stride, self.dilation, name=self.axis.name)

    def origin(self, index: int) -> int:
        """The output index tap 0 of input index `index` lands on (negative: cropped): a·s − p."""
        return self.adjoint.window_start(index) - self.crop

    def landing(self, index: int) -> np.ndarray:
        """The output index each tap of input index `index` lands on, a·s − p + r·d (outside
        0..out−1: cropped): the adjoint window's taps, shifted by the crop."""
        return self.adjoint.taps(index) - self.crop

    @cached_property
    def overlap(self) -> np.ndarray:
        """For each output index, how many input indices write it (each through one tap)."""
        counts = np.zeros(self.output_size, dtype=np.int64)
        reads = self.adjoint.reads[self.crop:self.crop + self.output_size]
        counts[:len(reads)] = reads
        return _frozen(counts)

    def tap_run(self, tap: int) -> TapRun:
        """The input indices whose tap `tap` lands inside the output: a·s − p + tap·d in 0..out−1."""
        shift = tap * self.dilation - self.crop
        first = max(0, -(shift // self.stride))
        last = min(self.size - 1, (self.output_size - 1 - shift) // self.stride)
        count = max(0, last - first + 1)
        return TapRun(first, count, first * self.stride + shift, self.stride)

    def overlap_of(self, first: int, count: int) -> np.ndarray:
        """For each output index, how many of input indices first .. first+count−1 write it."""
        counts = np.zeros(self.output_size, dtype=np.int64)
        for tap in range(self.kernel):
            run = self.tap_run(tap)
            low, high = max(first, run.first), min(first + count, run.first + run.count)
            if high > low:
                start = run.start + (low - run.first) * run.stride
                counts[start:start + (high - low - 1) * run.stride + 1:run.stride] += 1
        return counts

    def targets(self, index: int) -> AxisReads:
        """Input index `index`'s taps that land inside the output, in tap order, as the direct
        view's reads: (output index, tap, padded index, input index)."""
        reads = self.adjoint.reads_of_window(index)
        return self._as_direct(reads.padded - self.crop, reads.tap, reads.window)

    def targets_of_tap(self, tap: int) -> AxisReads:
        """What tap `tap` writes: each input index of its run into one output index."""
        run = self.tap_run(tap)
        inputs = np.arange(run.first, run.first + run.count)
        return self._as_direct(run.start + (inputs - run.first) * run.stride, np.full(run.count, tap), inputs)

    def writers(self, output: int) -> AxisReads:
        """The (input index, tap) pairs that write output index `output`, in tap order."""
        if not 0 <= output < self.output_size:
            raise IndexError(f"{self.axis.name} output index {output} is outside 0..{self.output_size - 1}")
        canvas = output + self.crop
        if canvas >= self.adjoint.padded_size:
            return self._as_direct(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64))
        reads = self.adjoint.reads_of_padded(canvas)
        return self._as_direct(reads.padded - self.crop, reads.tap, reads.window)

    def _as_direct(self, outputs, taps, inputs) -> AxisReads:
        inside = (outputs >= 0) & (outputs < self.output_size)
        inputs = np.asarray(inputs, dtype=np.int64)[inside]
        return AxisReads(np.asarray(outputs, dtype=np.int64)[inside], np.asarray(taps, dtype=np.int64)[inside],
                         self.axis.before + inputs * self.axis.upsample, inputs)


class ScatterPlan:
    """The scatter view of a planned transposed convolution: one step per input cell."""

    def __init__(self, conv_plan):
        if conv_plan.spec.operation != "conv_transpose":
            raise ValueError(f"a scatter is drawn for transposed convolution, not {conv_plan.spec.operation}")
        self.plan = conv_plan
        self.rows, self.cols = (ScatterAxis(axis) for axis in conv_plan.axes)
        self.input_size = tuple(conv_plan.spec.input_size)
        self.output_size = tuple(conv_plan.output_size)
        self.kernel_size = tuple(conv_plan.spec.kernel_size)

    def __repr__(self):
        return f"ScatterPlan({self.plan.spec.describe()})"

    @property
    def steps(self) -> int:
        """Input cells: one step each."""
        return self.input_size[0] * self.input_size[1]

    def step_cell(self, step: int) -> tuple[int, int]:
        """The input cell (a, b) step `step` scatters (row-major)."""
        if not 0 <= step < self.steps:
            raise IndexError(f"step {step} is outside 0..{self.steps - 1}")
        return divmod(int(step), self.input_size[1])

    def step_of(self, a: int, b: int) -> int:
        height, width = self.input_size
        if not (0 <= a < height and 0 <= b < width):
            raise IndexError(f"input cell ({a}, {b}) is outside {height}×{width}")
        return a * width + b

    def window(self, a: int, b: int) -> tuple[int, int, int, int]:
        """(top, left, height, width) of the dilated kernel input cell (a, b) scatters, in output
        coordinates before cropping (top and left may be negative, the window may pass the end)."""
        return self.rows.origin(a), self.cols.origin(b), self.rows.axis.reach, self.cols.axis.reach

    @cached_property
    def overlap(self) -> np.ndarray:
        """(Ho, Wo) how many input cells write each output cell: the checkerboard when the kernel
        is not a multiple of the stride. Separable: the outer product of the per-axis counts."""
        return _frozen(np.outer(self.rows.overlap, self.cols.overlap))

    @property
    def overlap_range(self) -> tuple[int, int]:
        """(fewest, most) input cells writing any output cell, without building the map."""
        rows, cols = self.rows.overlap, self.cols.overlap
        return int(rows.min() * cols.min()), int(rows.max() * cols.max())

    # inverse queries --------------------------------------------------------------------------
    def targets(self, a: int, b: int) -> Reads:
        """What input cell (a, b) writes: one row per tap inside the output, weight row-major."""
        self.step_of(a, b)
        return Reads.across(self.rows.targets(a), self.cols.targets(b))

    def writers_of_output(self, i: int, j: int) -> Reads:
        """The input cells and taps that write output cell (i, j), weight row-major."""
        return Reads.across(self.rows.writers(i), self.cols.writers(j))

    # values -----------------------------------------------------------------------------------
    def contributions(self, inputs: np.ndarray, kernels: np.ndarray) -> np.ndarray:
        """(kh, kw, H, W): what each input cell adds through each tap, Σ_c x[c, a, b]·w[c, r, s]
        over the input channels (C, H, W) that feed the shown output channel, with its kernel
        slices (C, kh, kw)."""
        inputs, kernels = np.asarray(inputs, dtype=np.float64), np.asarray(kernels, dtype=np.float64)
        if inputs.ndim == 2:
            inputs, kernels = inputs[None], kernels[None]
        return np.einsum("chw,crs->rshw", inputs, kernels)

    def partial_output(self, contributions: np.ndarray, done: int) -> np.ndarray:
        """(Ho, Wo) the output after the first `done` steps (0: zeros; `steps`: the whole
        transposed convolution, without bias), in O(kh·kw·H·W) whatever `done` is."""
        done = max(0, min(int(done), self.steps))
        full_rows, rest = divmod(done, self.input_size[1])
        output = np.zeros(self.output_size, dtype=np.float64)
        for r in range(self.kernel_size[0]):
            rows = self.rows.tap_run(r)
            if not rows.count:
                continue
            for s in range(self.kernel_size[1]):
                cols = self.cols.tap_run(s)
                if not cols.count:
                    continue
                finished = max(0, min(rows.count, full_rows - rows.first))
                if finished:
                    block = slice(rows.first, rows.first + finished)
                    output[slice(rows.start, rows.start + (finished - 1) * rows.stride + 1, rows.stride),
                           cols.outputs] += contributions[r, s, block, cols.inputs]
                current = full_rows - rows.first
                if rest and 0 <= current < rows.count:
                    count = max(0, min(cols.count, rest - cols.first))
                    if count:
                        output[rows.start + current * rows.stride,
                               slice(cols.start, cols.start + (count - 1) * cols.stride + 1, cols.stride)] += \
                            contributions[r, s, full_rows, cols.first:cols.first + count]
        return output

    def written(self, done: int) -> np.ndarray:
        """(Ho, Wo) how many of the first `done` input cells write each output cell: the rows
        finished so far with every column, plus the current row's first cells (two outer products)."""
        done = max(0, min(int(done), self.steps))
        full_rows, rest = divmod(done, self.input_size[1])
        counts = np.outer(self.rows.overlap_of(0, full_rows), self.cols.overlap)
        if rest:
            counts += np.outer(self.rows.overlap_of(full_rows, 1), self.cols.overlap_of(0, rest))
        return counts

    def progress(self, contributions: np.ndarray, done: int, cache: dict) -> tuple[np.ndarray, np.ndarray]:
        """(`partial_output`, `written`) after `done` steps, read-only. `cache` keeps the last
        answer: a few steps forward from it (playback) add only those steps' windows; anything
        else is computed afresh (never subtracted, so no rounding accumulates)."""
        done = max(0, min(int(done), self.steps))
        last = cache.get("done")
        if last == done:
            return cache["partial"], cache["written"]
        if last is not None and last < done <= last + MAX_STEPS_ADDED:
            partial, written = cache["partial"].copy(), cache["written"].copy()
            for step in range(last, done):
                self._add_step(partial, written, contributions, step)
        else:
            partial, written = self.partial_output(contributions, done), self.written(done)
        cache.update(done=done, partial=_frozen(partial), written=_frozen(written))
        return partial, written

    def _add_step(self, partial: np.ndarray, written: np.ndarray, contributions: np.ndarray, step: int) -> None:
        """Add step `step`'s window to the output and to the writes so far, in place."""
        a, b = self.step_cell(step)
        rows, cols = self.rows.landing(a), self.cols.landing(b)
        row_in = (rows >= 0) & (rows < self.output_size[0])
        col_in = (cols >= 0) & (cols < self.output_size[1])
        block = np.ix_(rows[row_in], cols[col_in])
        partial[block] += contributions[:, :, a, b][np.ix_(row_in, col_in)]
        written[block] += 1

    def step_terms(self, inputs: np.ndarray, kernels: np.ndarray, step: int,
                   channels: tuple[int, ...] | None = None) -> ScatterTerms:
        """The arithmetic of step `step`: x[c, a, b] × each weight w[c, r, s], and where each
        product lands (None: cropped away). `channels` names the input channels (for the text)."""
        a, b = self.step_cell(step)
        inputs, kernels = np.asarray(inputs, dtype=np.float64), np.asarray(kernels, dtype=np.float64)
        if inputs.ndim == 2:
            inputs, kernels = inputs[None], kernels[None]
        rows, cols = self.rows.landing(a), self.cols.landing(b)
        return ScatterTerms(step=int(step), cell=(a, b), values=inputs[:, a, b].copy(), weights=kernels.copy(),
                            rows=rows, cols=cols, output_size=self.output_size,
                            channels=tuple(range(len(inputs))) if channels is None else tuple(channels))


MAX_STEPS_ADDED = 256
"""Steps `ScatterPlan.progress` adds one by one to its last answer; more are summed afresh."""


@lru_cache(maxsize=8)
def scatter_plan(conv_plan) -> ScatterPlan:
    """The scatter of a planned transposed convolution, kept like the plan (its maps are cached)."""
    return ScatterPlan(conv_plan)


@dataclass(frozen=True)
class ScatterTerms:
    """One scatter step: input cell (a, b) adds Σ_c x[c, a, b]·w[c, r, s] to output
    (rows[r], cols[s]) for every tap whose cell lies inside the output."""

    step: int
    cell: tuple[int, int]
    values: np.ndarray
    """(C,) x[c, a, b] of the input channels feeding the shown output channel."""
    weights: np.ndarray
    """(C, kh, kw) their kernel slices."""
    rows: np.ndarray
    cols: np.ndarray
    """The output row (column) each kernel row (column) lands on; outside 0..Ho−1 is cropped."""
    output_size: tuple[int, int]
    channels: tuple[int, ...] = (0,)

    @cached_property
    def products(self) -> np.ndarray:
        """(kh, kw) what each tap adds: Σ_c x[c, a, b]·w[c, r, s]."""
        return np.einsum("c,crs->rs", self.values, self.weights)

    @property
    def inside(self) -> np.ndarray:
        """(kh, kw) True where the tap's output cell exists (not cropped by padding)."""
        height, width = self.output_size
        return ((self.rows >= 0) & (self.rows < height))[:, None] & ((self.cols >= 0) & (self.cols < width))[None, :]

    def text(self, max_lines: int = 64) -> str:
        """x[a,b] = v scatters: one line per tap, 'w[r,s]: y[i,j] += v·w = product', cropped taps named."""
        a, b = self.cell
        inside = self.inside
        products = self.products
        taps = list(zip(*np.nonzero(inside)))
        factors = np.array([self.weights[:, r, s] for r, s in taps]).reshape(len(taps), -1)
        sums = np.array([products[r, s] for r, s in taps])
        total_decimals = max((_decimals_of_total(value) for value in sums), default=2)
        values = np.broadcast_to(self.values, factors.shape)
        decimals = shown_decimals(values, factors, sums, total_decimals) if taps else 0
        several = len(self.values) > 1
        if several:
            head = (f"x[{a},{b}] of {len(self.values)} input channels scatters Σ_c x[c,{a},{b}]·w[c] "
                    f"into {int(inside.sum())} output cells:")
        else:
            head = (f"x[{a},{b}] = {_fixed(self.values[0], decimals)} scatters x·w into "
                    f"{int(inside.sum())} output cell{'s' if inside.sum() != 1 else ''}:")
        lines = []
        for (r, s), weights, total in zip(taps, factors, sums):
            terms = " + ".join(f"{_bracket(_fixed(x, decimals))}·{_bracket(_fixed(w, decimals))}"
                               for x, w in zip(self.values, weights))
            lines.append(f"  w[{r},{s}]: y[{self.rows[r]},{self.cols[s]}] += {terms} = {_fixed(total, total_decimals)}")
        cropped = [f"w[{r},{s}]" for r, s in zip(*np.nonzero(~inside))]
        if len(lines) > max_lines:
            lines[max_lines:] = [f"  … {len(lines) - max_lines} more"]
        lines.insert(0, head)
        if cropped:
            lines.append(f"  cropped (outside the output): {', '.join(cropped)}")
        return "\n".join(lines)

