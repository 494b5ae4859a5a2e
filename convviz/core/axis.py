"""One axis of windows sliding over a padded grid, in plain integers.

Convolution, pooling, and transposed convolution (as the direct convolution
over its zero-inserted input) are separable: every geometric question about
a 2-D window splits into the same question along the rows and along the
columns. `Axis` answers it for one axis.

Indices along an axis:

- input index 0 .. size−1;
- the input's span on the grid, 0 .. (size−1)·upsample: input index i sits at
  i·upsample, with upsample−1 inserted zeros between neighbours (transposed
  convolution; upsample is 1 otherwise);
- padded index 0 .. before+span+after−1: padded index p is span index
  p − before where that lies inside the span, else padding (zero, or a copy
  of an input index chosen by the padding mode, as PyTorch pads). A negative
  pad crops (transposed convolution with padding over d·(k−1));
- window w (0 .. output_size−1) starts at padded index w·stride, and its tap
  t (0 .. kernel−1) reads padded index w·stride + t·dilation.

Transposed convolution with stride s, padding p and output padding op is, per
axis, the stride-1 convolution with the kernel flipped over the input with
s−1 zeros inserted and padded by d·(k−1)−p before and d·(k−1)−p+op after:
`Axis.transposed` builds that axis. Pooling in ceil mode adds to `after` the
`overhang` only its last window reaches (beyond the padding).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

import numpy as np

SIDE_NAMES = {"height": ("top", "bottom"), "width": ("left", "right")}
OPERATIONS = ("conv", "conv_transpose", "max_pool", "avg_pool")
POOLING = ("max_pool", "avg_pool")


def resolve_pads(padding, size: int, kernel: int, stride: int, dilation: int) -> tuple[int, int]:
    """(before, after) for one axis: "valid", "same" (TensorFlow's rule), "full", a number or a pair."""
    if padding == "valid":
        return 0, 0
    if padding == "full":
        return dilation * (kernel - 1), dilation * (kernel - 1)
    if padding == "same":
        out = -(-size // stride)
        total = max((out - 1) * stride + dilation * (kernel - 1) + 1 - size, 0)
        return total // 2, total - total // 2
    if isinstance(padding, str):
        raise ValueError(f"unknown padding {padding!r}")
    if isinstance(padding, (tuple, list)):
        before, after = padding
        return int(before), int(after)
    return int(padding), int(padding)


def _frozen(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


class AxisReads(NamedTuple):
    """(window, tap) pairs along one axis, with the padded index each reads and its source
    input index (−1: zero padding); four int arrays of one length."""

    window: np.ndarray
    tap: np.ndarray
    padded: np.ndarray
    source: np.ndarray


@dataclass(frozen=True)
class Axis:
    """Windows of `kernel` taps, `dilation` apart, every `stride` along an input of `size`
    padded by `before` and `after` in padding `mode` ("zeros", "reflect", "replicate",
    "circular"). `name` ("height", "width") is for messages. `operation` says which output-size
    rule the user's numbers follow (the formula); `upsample`, `overhang` and `ceil_mode` are
    set by `Axis.transposed` and `Axis.pooling`. Derived arrays are cached and read-only."""

    size: int
    kernel: int
    stride: int = 1
    dilation: int = 1
    before: int = 0
    after: int = 0
    mode: str = "zeros"
    name: str = "axis"
    operation: str = "conv"
    upsample: int = 1
    overhang: int = 0
    ceil_mode: bool = False

    @classmethod
    def transposed(cls, size: int, kernel: int, stride: int = 1, dilation: int = 1, padding: int = 0,
                   output_padding: int = 0, name: str = "axis") -> Axis:
        """The axis of a transposed convolution, as the direct convolution over the zero-inserted
        input (stride 1, kernel flipped; window w is output index w)."""
        edge = dilation * (kernel - 1) - padding
        return cls(size, kernel, 1, dilation, edge, edge + output_padding, "zeros", name,
                   "conv_transpose", stride)

    @classmethod
    def pooling(cls, operation: str, size: int, kernel: int, stride: int, dilation: int = 1,
                padding: int = 0, ceil_mode: bool = False, name: str = "axis") -> Axis:
        """The axis of a pooling window, with PyTorch's ceil-mode rule: rounding up adds a last
        window only where it starts inside the input or the left padding."""
        reach = dilation * (kernel - 1) + 1
        span = size + 2 * padding - reach
        count = (span // stride if not ceil_mode else -(-span // stride)) + 1
        if ceil_mode and (count - 1) * stride >= size + padding:
            count -= 1
        overhang = max(0, (count - 1) * stride + reach - (size + 2 * padding)) if count > 0 else 0
        return cls(size, kernel, stride, dilation, padding, padding + overhang, "zeros", name,
                   operation, 1, overhang, ceil_mode)

    @classmethod
    def padded_by(cls, padding, size: int, kernel: int, stride: int = 1, dilation: int = 1,
                  mode: str = "zeros", name: str = "axis") -> Axis:
        """The axis with `padding` (any form `resolve_pads` takes) resolved."""
        before, after = resolve_pads(padding, size, kernel, stride, dilation)
        return cls(size, kernel, stride, dilation, before, after, mode, name)

    @property
    def input_span(self) -> int:
        """Grid cells from the first input index to the last: (size−1)·upsample + 1."""
        return (self.size - 1) * self.upsample + 1

    @property
    def padded_size(self) -> int:
        return max(self.before + self.input_span + self.after, 0)

    @property
    def padding(self) -> int:
        """The user's padding (one side): the crop d·(k−1) − before of a transposed axis."""
        if self.operation == "conv_transpose":
            return self.dilation * (self.kernel - 1) - self.before
        return self.before

    @property
    def output_padding(self) -> int:
        return self.after - self.before if self.operation == "conv_transpose" else 0

    @property
    def user_stride(self) -> int:
        """The stride the user gave: a transposed axis's upsampling."""
        return self.upsample if self.operation == "conv_transpose" else self.stride

    @property
    def reach(self) -> int:
        """Padded indices one window spans: the dilated kernel, d·(k−1)+1."""
        return self.dilation * (self.kernel - 1) + 1

    @property
    def output_size(self) -> int:
        """Windows that fit: ⌊(n + before + after − reach)/stride⌋ + 1 (0 when none fits)."""
        return max((self.padded_size - self.reach) // self.stride + 1, 0)

    @property
    def window_fits(self) -> bool:
        return self.padded_size >= self.reach

    def formula(self) -> str:
        """The output-size formula with this axis' numbers, e.g. ⌊(7 + 1 + 1 − 3)/2⌋ + 1 = 4;
        (n−1)·s − 2p + d·(k−1) + output_padding + 1 for transposed convolution; ⌈ ⌉ in ceil mode."""
        if self.operation == "conv_transpose":
            return (f"({self.size}−1)·{self.upsample} − 2·{self.padding} + {self.dilation}·({self.kernel}−1) "
                    f"+ {self.output_padding} + 1 = {self.output_size}")
        after = self.after - self.overhang
        inner = f"({self.size} + {self.before} + {after} − {self.reach})/{self.stride}"
        if not self.ceil_mode:
            return f"⌊{inner}⌋ + 1 = {self.output_size}"
        rounded = -(-(self.size + self.before + after - self.reach) // self.stride) + 1
        if rounded != self.output_size:
            return (f"⌈{inner}⌉ + 1 − 1 = {self.output_size} (a last window starting in the right "
                    "padding is dropped)")
        return f"⌈{inner}⌉ + 1 = {self.output_size}"

    def reach_formula(self) -> str:
        """The dilated-kernel formula with this axis' numbers, e.g. 2·(3−1)+1 = 5."""
        return f"{self.dilation}·({self.kernel}−1)+1 = {self.reach}"

    def padding_problem(self) -> str | None:
        """Why this axis' padding cannot be made from its input in its mode, or None."""
        sides = SIDE_NAMES.get(self.name, ("start", "end"))
        if self.operation in POOLING:
            if 2 * self.before > self.kernel:
                return (f"pooling padding must be at most half of the kernel (as PyTorch): {self.before} "
                        f"on the {sides[0]} is more than {self.kernel}/2")
        for side, pad in zip(sides, (self.before, self.after)):
            if self.mode == "reflect" and pad >= self.size:
                return (f"reflect padding must be smaller than the input: {pad} on the {side} "
                        f"is not less than the input {self.name} {self.size}")
            if self.mode == "circular" and pad > self.size:
                return (f"circular padding cannot exceed the input: {pad} on the {side} "
                        f"is more than the input {self.name} {self.size}")
        return None

    # windows and taps -------------------------------------------------------------------------
    def window_start(self, window: int) -> int:
        """The padded index of window `window`'s first tap."""
        self._check(window, self.output_size, "window")
        return window * self.stride

    @cached_property
    def tap_offsets(self) -> np.ndarray:
        """Each tap's distance from its window's start: t·dilation."""
        return _frozen(np.arange(self.kernel) * self.dilation)

    def taps(self, window: int) -> np.ndarray:
        """The padded indices window `window` reads, tap by tap."""
        return self.window_start(window) + self.tap_offsets

    def span(self, count: int) -> int:
        """Padded indices that `count` consecutive windows read, first tap to last: (count−1)·s + reach."""
        return (count - 1) * self.stride + self.reach

    def tap_slice(self, tap: int, first: int = 0, count: int | None = None) -> slice:
        """The padded indices tap `tap` reads in windows first .. first+count−1 (all from `first`
        by default), as one strided slice."""
        count = self.output_size - first if count is None else count
        start = first * self.stride + tap * self.dilation
        return slice(start, start + (count - 1) * self.stride + 1, self.stride)

    # padding --------------------------------------------------------------------------------
    @cached_property
    def source(self) -> np.ndarray:
        """For each padded index, the input index it holds (−1: zero padding).

        As PyTorch pads: reflect mirrors without repeating the edge, replicate
        repeats the edge, circular wraps around.
        """
        logical = np.arange(-self.before, self.input_span + self.after)
        if self.mode == "zeros":
            on_input = (logical >= 0) & (logical < self.input_span) & (logical % self.upsample == 0)
            return _frozen(np.where(on_input, logical // self.upsample, -1))
        if self.mode == "replicate":
            return _frozen(np.clip(logical, 0, self.size - 1))
        if self.mode == "circular":
            return _frozen(np.mod(logical, self.size))
        if self.mode == "reflect":
            if self.size == 1:
                return _frozen(np.zeros_like(logical))
            period = 2 * (self.size - 1)
            folded = np.mod(logical, period)
            return _frozen(np.where(folded < self.size, folded, period - folded))
        raise ValueError(f"unknown padding mode {self.mode!r}")

    @cached_property
    def is_padding(self) -> np.ndarray:
        """For each padded index, True where it lies outside the input (whatever it holds)."""
        logical = np.arange(-self.before, self.input_span + self.after)
        return _frozen((logical < 0) | (logical >= self.input_span))

    @cached_property
    def is_inserted(self) -> np.ndarray:
        """For each padded index, True where it is a zero inserted between input indices
        (transposed convolution with stride over 1)."""
        logical = np.arange(-self.before, self.input_span + self.after)
        return _frozen((logical >= 0) & (logical < self.input_span) & (logical % self.upsample != 0))

    def weight_tap(self, tap: int) -> int:
        """The kernel index tap `tap` multiplies: flipped for a transposed axis."""
        return self.kernel - 1 - tap if self.operation == "conv_transpose" else tap

    @cached_property
    def divisors(self) -> tuple[np.ndarray, np.ndarray]:
        """For each window, the taps average pooling divides by: (counting padding, not counting
        it). As PyTorch: the ceil-mode overhang is never counted."""
        ends = self.before + self.input_span + self.after - self.overhang
        taps = np.arange(self.output_size)[:, None] * self.stride + self.tap_offsets[None, :]
        with_padding = (taps < ends).sum(axis=1)
        inside = (self.source[taps] >= 0).sum(axis=1) if self.output_size else np.zeros(0, int)
        return _frozen(with_padding.astype(np.int64)), _frozen(np.asarray(inside, dtype=np.int64))

    def copies(self, index: int) -> np.ndarray:
        """The padded indices holding input index `index`: itself and its padding copies, ascending."""
        self._check(index, self.size, "input index")
        return np.flatnonzero(self.source == index)

    # reads ----------------------------------------------------------------------------------
    @cached_property
    def reads(self) -> np.ndarray:
        """For each padded index, how many (window, tap) pairs read it, in time linear in the
        padded size: the window starts (every stride) convolved with the tap offsets (every
        dilation), as a difference of window starts summed along each dilation's residue class."""
        length, shift = self.padded_size, self.kernel * self.dilation
        starts = np.zeros(length, dtype=np.int64)
        starts[:self.output_size * self.stride:self.stride] = 1
        # window starts, minus the same shifted past the last tap: a running sum every `dilation`
        # indices then counts the taps of each window that land on each index
        steps = starts.copy()
        if shift < length:
            steps[shift:] -= starts[:length - shift]
        grid = np.zeros(-(-length // self.dilation) * self.dilation, dtype=np.int64)
        grid[:length] = steps
        counts = np.cumsum(grid.reshape(-1, self.dilation), axis=0).reshape(-1)
        return _frozen(counts[:length].copy())

    @cached_property
    def coverage(self) -> np.ndarray:
        """For each input index, how many (window, tap) pairs read it, through its padding copies too."""
        real = self.source >= 0
        counts = np.bincount(self.source[real], weights=self.reads[real], minlength=self.size)
        return _frozen(counts.astype(np.int64))

    @cached_property
    def unread(self) -> tuple[int, ...]:
        """Input indices no window reads along this axis."""
        return tuple(int(index) for index in np.flatnonzero(self.coverage == 0))

    def reads_of_window(self, window: int) -> AxisReads:
        """Window `window`'s taps, in tap order."""
        taps = np.arange(self.kernel)
        return self._pairs(np.full(self.kernel, window), taps, self.taps(window))

    def reads_of_tap(self, tap: int) -> AxisReads:
        """Tap `tap` in every window, in window order."""
        self._check(tap, self.kernel, "tap")
        windows = np.arange(self.output_size)
        return self._pairs(windows, np.full(len(windows), tap), windows * self.stride + tap * self.dilation)

    def reads_of_padded(self, padded: int) -> AxisReads:
        """The (window, tap) pairs that read padded index `padded`, in tap order."""
        self._check(padded, self.padded_size, "padded index")
        return self._readers(np.array([padded]))

    def reads_of_input(self, index: int) -> AxisReads:
        """The (window, tap) pairs that read input index `index`, directly or through a padding copy."""
        return self._readers(self.copies(index))

    def _readers(self, padded: np.ndarray) -> AxisReads:
        taps = np.arange(self.kernel)
        starts = padded[:, None] - taps[None, :] * self.dilation
        hit = (starts >= 0) & (starts % self.stride == 0) & (starts < self.output_size * self.stride)
        rows, columns = np.nonzero(hit)
        return self._pairs(starts[rows, columns] // self.stride, taps[columns], padded[rows])

    def _pairs(self, windows, taps, padded) -> AxisReads:
        padded = np.asarray(padded, dtype=np.int64)
        return AxisReads(np.asarray(windows, dtype=np.int64), np.asarray(taps, dtype=np.int64),
                         padded, self.source[padded].astype(np.int64))

    def _check(self, index: int, count: int, what: str) -> None:
        if not 0 <= index < count:
            raise IndexError(f"{self.name} {what} {index} is outside 0..{count - 1}")
