"""ConvPlan: everything that follows from a ConvSpec, computed once.

Every layer (backends, animation, coverage panel, CLI) asks the plan for
geometry; nobody recomputes pads, output sizes or window positions on its own.
Derived arrays are computed on first use, so `plan()` stays cheap.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np

from .errors import ConvSpecError
from .padding import source_index
from .spec import AXIS_NAMES, ConvSpec

SIDE_NAMES = ("top", "bottom", "left", "right")


def _same_pads(size: int, kernel: int, stride: int, dilation: int) -> tuple[int, int]:
    """TensorFlow's SAME rule: out = ceil(n/s), the odd pixel goes after."""
    out = -(-size // stride)
    total = max((out - 1) * stride + dilation * (kernel - 1) + 1 - size, 0)
    return total // 2, total - total // 2


def resolve_pads(spec: ConvSpec) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) for any padding form the spec allows."""
    padding = spec.padding
    if padding == "valid":
        return (0, 0, 0, 0)
    if padding == "full":
        (kh, kw), (dh, dw) = spec.kernel_size, spec.dilation
        return (dh * (kh - 1),) * 2 + (dw * (kw - 1),) * 2
    if padding == "same":
        axes = [
            _same_pads(size, kernel, stride, dilation)
            for size, kernel, stride, dilation in zip(
                spec.input_size, spec.kernel_size, spec.stride, spec.dilation
            )
        ]
        return (*axes[0], *axes[1])
    if len(padding) == 2:
        return (padding[0], padding[0], padding[1], padding[1])
    return tuple(padding)


def check_geometry(spec: ConvSpec, pads: tuple[int, int, int, int]) -> None:
    """Refuse, in the user's terms, a spec whose padding or kernel cannot fit."""
    height, width = spec.input_size
    sizes = (height, height, width, width)
    mode = spec.padding_mode
    axes = (AXIS_NAMES[0], AXIS_NAMES[0], AXIS_NAMES[1], AXIS_NAMES[1])
    for side, pad, size, axis in zip(SIDE_NAMES, pads, sizes, axes):
        if mode == "reflect" and pad >= size:
            raise ConvSpecError(
                f"reflect padding must be smaller than the input: {pad} on the {side} "
                f"is not less than the input {axis} {size}"
            )
        if mode == "circular" and pad > size:
            raise ConvSpecError(
                f"circular padding cannot exceed the input: {pad} on the {side} "
                f"is more than the input {axis} {size}"
            )
    padded = (height + pads[0] + pads[1], width + pads[2] + pads[3])
    kernel, dilation = spec.kernel_size, spec.dilation
    reach = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    if padded[0] < reach[0] or padded[1] < reach[1]:
        kernel_text = f"{kernel[0]}×{kernel[1]}"
        if dilation != (1, 1):
            dilation_text = (
                f"dilation {dilation[0]}" if dilation[0] == dilation[1]
                else f"dilation {dilation[0]}×{dilation[1]}"
            )
            kernel_text = f"{reach[0]}×{reach[1]} ({kernel_text}, {dilation_text})"
        raise ConvSpecError(
            f"padded input {padded[0]}×{padded[1]} is smaller than the "
            f"{'dilated ' if dilation != (1, 1) else ''}kernel {kernel_text}"
        )


def _axis_reads(out: int, kernel: int, stride: int, dilation: int, padded: int) -> np.ndarray:
    """How many (window, tap) pairs read each padded index along one axis.

    Loops over whichever of windows and taps is fewer, one strided slice each.
    """
    reads = np.zeros(padded, dtype=np.int64)
    if out <= kernel:
        for window in range(out):
            start = window * stride
            reads[start:start + dilation * (kernel - 1) + 1:dilation] += 1
    else:
        for tap in range(kernel):
            start = tap * dilation
            reads[start:start + stride * (out - 1) + 1:stride] += 1
    return reads


class ConvPlan:
    """The geometry of one ConvSpec. Build it with `plan(spec)`."""

    def __init__(self, spec: ConvSpec):
        self.spec = spec
        self.pads = resolve_pads(spec)
        check_geometry(spec, self.pads)
        height, width = spec.input_size
        top, bottom, left, right = self.pads
        self.padded_shape = (height + top + bottom, width + left + right)
        self.dilated_kernel_size = tuple(
            d * (k - 1) + 1 for k, d in zip(spec.kernel_size, spec.dilation)
        )
        self.output_size = tuple(
            (padded - reach) // stride + 1
            for padded, reach, stride in zip(self.padded_shape, self.dilated_kernel_size, spec.stride)
        )
        self.output_shape = (spec.batch, spec.out_channels, *self.output_size)

    def __repr__(self):
        return f"ConvPlan({self.spec.describe()}, pads={self.pads}, output={self.output_shape})"

    @property
    def steps(self) -> int:
        """Window positions in one channel: one animation step each."""
        return self.output_size[0] * self.output_size[1]

    @property
    def flops(self) -> int:
        """Multiply-adds counted as two operations, over the whole batch."""
        n, k, ho, wo = self.output_shape
        kh, kw = self.spec.kernel_size
        return 2 * n * k * ho * wo * self.spec.in_channels * kh * kw

    def step_position(self, step: int) -> tuple[int, int]:
        """Output (i, j) of animation step `step` (row-major order)."""
        if not 0 <= step < self.steps:
            raise IndexError(f"step {step} is outside 0..{self.steps - 1}")
        return divmod(step, self.output_size[1])

    def step_of(self, i: int, j: int) -> int:
        """The animation step that computes output (i, j): the inverse of `step_position`."""
        self._check_output(i, j)
        return i * self.output_size[1] + j

    def window_origin(self, i: int, j: int) -> tuple[int, int]:
        """Top-left tap of output (i, j)'s window, in padded coordinates."""
        self._check_output(i, j)
        return i * self.spec.stride[0], j * self.spec.stride[1]

    def taps(self, i: int, j: int) -> tuple[np.ndarray, np.ndarray]:
        """Padded rows and columns that output (i, j) reads; every (row, col) pair is a tap."""
        row, col = self.window_origin(i, j)
        (kh, kw), (dh, dw) = self.spec.kernel_size, self.spec.dilation
        return row + np.arange(kh) * dh, col + np.arange(kw) * dw

    @cached_property
    def tap_offsets(self) -> tuple[np.ndarray, np.ndarray]:
        """Row and column offsets of the taps from a window's origin (dilation makes the gaps)."""
        (kh, kw), (dh, dw) = self.spec.kernel_size, self.spec.dilation
        return np.arange(kh) * dh, np.arange(kw) * dw

    def window_extent(self, i: int, j: int) -> tuple[int, int, int, int]:
        """(top row, left column, height, width) of output (i, j)'s window, padded coordinates."""
        row, col = self.window_origin(i, j)
        return row, col, self.dilated_kernel_size[0], self.dilated_kernel_size[1]

    def padded_values(self, image) -> np.ndarray:
        """A 2-D input (H, W) laid out on the padded grid (Hp, Wp), padding filled per the mode."""
        image = np.asarray(image)
        if image.shape != tuple(self.spec.input_size):
            raise ValueError(f"image is {image.shape}, the spec's input is {self.spec.input_size}")
        rows, cols = self.row_source, self.col_source
        values = image[np.ix_(np.maximum(rows, 0), np.maximum(cols, 0))]
        zero = (rows < 0)[:, None] | (cols < 0)[None, :]
        return np.where(zero, 0, values).astype(image.dtype, copy=False)

    @cached_property
    def padding_mask(self) -> np.ndarray:
        """(Hp, Wp) booleans: True where the padded cell is padding, not input."""
        top, _, left, _ = self.pads
        height, width = self.spec.input_size
        mask = np.ones(self.padded_shape, dtype=bool)
        mask[top:top + height, left:left + width] = False
        return mask

    @cached_property
    def row_source(self) -> np.ndarray:
        """For each padded row, the input row it copies, or -1 for a zero row."""
        top, bottom = self.pads[:2]
        return source_index(self.spec.input_size[0], top, bottom, self.spec.padding_mode)

    @cached_property
    def col_source(self) -> np.ndarray:
        """For each padded column, the input column it copies, or -1 for a zero column."""
        left, right = self.pads[2:]
        return source_index(self.spec.input_size[1], left, right, self.spec.padding_mode)

    def source_of(self, padded_row: int, padded_col: int) -> tuple[int, int] | None:
        """The input cell a padded cell holds (copies), or None for a zero cell."""
        row, col = int(self.row_source[padded_row]), int(self.col_source[padded_col])
        if row < 0 or col < 0:
            return None
        return row, col

    def _axis_reads(self, axis: int) -> np.ndarray:
        return _axis_reads(
            self.output_size[axis], self.spec.kernel_size[axis], self.spec.stride[axis],
            self.spec.dilation[axis], self.padded_shape[axis],
        )

    def _axis_coverage(self, axis: int) -> np.ndarray:
        return self._axis_coverages[axis]

    @cached_property
    def _axis_coverages(self) -> tuple[np.ndarray, np.ndarray]:
        return self._count_axis_coverage(0), self._count_axis_coverage(1)

    def _count_axis_coverage(self, axis: int) -> np.ndarray:
        source = self.row_source if axis == 0 else self.col_source
        reads = self._axis_reads(axis)
        real = source >= 0
        return np.bincount(source[real], weights=reads[real], minlength=self.spec.input_size[axis]).astype(np.int64)

    @cached_property
    def coverage(self) -> np.ndarray:
        """(H, W) count of multiplications each input value takes part in.

        Reads through reflected, replicated or circular padding count for the
        input cell they copy; zero padding belongs to no cell. Separable, so
        it is the outer product of the per-axis counts.
        """
        return np.outer(self._axis_coverage(0), self._axis_coverage(1))

    @property
    def coverage_range(self) -> tuple[int, int]:
        """(fewest, most) reads of any input cell, without building the whole map."""
        rows, cols = self._axis_coverage(0), self._axis_coverage(1)
        return int(rows.min() * cols.min()), int(rows.max() * cols.max())

    @cached_property
    def unread_rows(self) -> tuple[int, ...]:
        """Input rows none of whose cells any window reads."""
        return self._unread(0)

    @cached_property
    def unread_cols(self) -> tuple[int, ...]:
        """Input columns none of whose cells any window reads."""
        return self._unread(1)

    def _unread(self, axis: int) -> tuple[int, ...]:
        if not self._axis_coverage(1 - axis).any():
            return tuple(range(self.spec.input_size[axis]))
        return tuple(int(index) for index in np.flatnonzero(self._axis_coverage(axis) == 0))

    def padded_cells_of(self, row: int, col: int) -> list[tuple[int, int]]:
        """Every padded cell that holds input cell (row, col): the cell itself and its padding copies."""
        height, width = self.spec.input_size
        if not (0 <= row < height and 0 <= col < width):
            raise IndexError(f"input cell ({row}, {col}) is outside {height}×{width}")
        rows = np.flatnonzero(self.row_source == row)
        cols = np.flatnonzero(self.col_source == col)
        return [(int(r), int(c)) for r in rows for c in cols]

    def outputs_reading(self, row: int, col: int) -> list[tuple[int, int]]:
        """Every output (i, j) whose window reads input cell (row, col), directly or via padding."""
        height, width = self.spec.input_size
        if not (0 <= row < height and 0 <= col < width):
            raise IndexError(f"input cell ({row}, {col}) is outside {height}×{width}")
        rows = self._outputs_along(0, row)
        cols = self._outputs_along(1, col)
        return [(i, j) for i in rows for j in cols]

    def _outputs_along(self, axis: int, index: int) -> list[int]:
        source = self.row_source if axis == 0 else self.col_source
        kernel, stride = self.spec.kernel_size[axis], self.spec.stride[axis]
        dilation, out = self.spec.dilation[axis], self.output_size[axis]
        found = set()
        for padded in np.flatnonzero(source == index):
            for tap in range(kernel):
                start = int(padded) - tap * dilation
                if start >= 0 and start % stride == 0 and start // stride < out:
                    found.add(start // stride)
        return sorted(found)

    def output_formula(self, axis: int) -> str:
        """The output-size formula with this plan's numbers, e.g. ⌊(7 + 1 + 1 − 3)/2⌋ + 1 = 4."""
        size = self.spec.input_size[axis]
        before, after = self.pads[2 * axis: 2 * axis + 2]
        reach = self.dilated_kernel_size[axis]
        stride = self.spec.stride[axis]
        return f"⌊({size} + {before} + {after} − {reach})/{stride}⌋ + 1 = {self.output_size[axis]}"

    def _check_output(self, i: int, j: int) -> None:
        ho, wo = self.output_size
        if not (0 <= i < ho and 0 <= j < wo):
            raise IndexError(f"output cell ({i}, {j}) is outside {ho}×{wo}")


def plan(spec: ConvSpec | ConvPlan) -> ConvPlan:
    """The plan of a spec (a plan is returned as it is)."""
    if isinstance(spec, ConvPlan):
        return spec
    if not isinstance(spec, ConvSpec):
        raise ConvSpecError(f"expected a ConvSpec or ConvPlan (got {type(spec).__name__})")
    return ConvPlan(spec)
