"""The CPU backend: NumPy, several strategies, one chosen per shape.

- ``gemm``: the fast default for multi-channel work. The padded input is
  split into stride phases (one phase at stride 1), laid out channel-major
  with the batch folded into one flat axis, so every kernel tap becomes a
  *contiguous* shifted slice. Those slices are stacked into a
  (C·kh·kw, positions) matrix, about 8 MiB at a time, and multiplied by
  the weights in one BLAS call per chunk; positions that fall in the
  padding or between images are computed and dropped (a few per cent).
- ``taps``: one multiply-add (or, with channels, one matmul) per kernel tap
  over the same flat, contiguous phase slices, accumulating in place; no
  im2col copy. Best for a single channel in and out.
- ``im2col``: the textbook method: gather every window into a
  (C·kh·kw, Ho·Wo) matrix with strided copies, one matmul.
- ``im2col-chunked``: the same, a block of output positions at a time (whole
  rows, or part of one row), so the scratch matrix stays under the memory budget.

Each strategy declares, beside its code (`declares_scratch`), the bytes it
allocates beyond its input, weights and output; `memory_estimate` adds them up.
"""

from __future__ import annotations

import threading

import numpy as np

from ..core import check_arrays
from ..core.memory import MemoryEstimate, array_estimate
from .base import CONVVIZ, Availability, Backend

NUMPY_PAD_MODES = {"zeros": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}
"""The padding modes by the names `np.pad` gives them (what each pads with is `Axis.source`)."""
DEFAULT_SCRATCH_BUDGET = 256 * 2**20
GEMM_CHUNK_BYTES = 8 * 2**20
"""Target size of one stacked-slices chunk of the ``gemm`` strategy: the best of
1–64 MiB measured on the standard suite (smaller chunks make less efficient BLAS
calls; larger ones gained nothing and hold more memory)."""


SCRATCH_KEEP_BYTES = 32 * 2**20
"""Scratch buffers up to this size are kept between calls (per thread): a fresh
multi-megabyte buffer can cost a page fault per 4 KiB on first touch (measured:
8×64×56×56 took 21 ms with fresh work arrays, 16 ms with reused ones)."""


class ScratchBuffers(threading.local):
    """Reusable work arrays, one set per thread, so a shared backend stays thread-safe."""

    def __init__(self):
        self.buffers = {}

    def get(self, name: str, shape, dtype) -> np.ndarray:
        dtype = np.dtype(dtype)
        count = int(np.prod(shape, dtype=np.int64))
        held = self.buffers.get((name, dtype))
        if held is not None and held.size >= count:
            return held[:count].reshape(shape)
        array = np.empty(count, dtype=dtype)
        if count * dtype.itemsize <= SCRATCH_KEEP_BYTES:
            self.buffers[(name, dtype)] = array
        return array.reshape(shape)


def pad_input(x: np.ndarray, conv_plan) -> np.ndarray:
    top, bottom, left, right = conv_plan.pads
    if not any(conv_plan.pads):
        return x
    mode = NUMPY_PAD_MODES[conv_plan.spec.padding_mode]
    return np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)), mode=mode)


def _im2col_block(xp: np.ndarray, w2d: np.ndarray, conv_plan, rows: range, cols: range) -> np.ndarray:
    """Output rows `rows` × columns `cols` for every batch item and channel: (N, K, len(rows), len(cols)).

    Reads only the band of padded rows and columns those windows span."""
    row_axis, col_axis = conv_plan.axes
    top, left = row_axis.window_start(rows.start), col_axis.window_start(cols.start)
    band = xp[:, :, top:top + row_axis.span(len(rows)), left:left + col_axis.span(len(cols))]
    n, c = xp.shape[:2]
    kh, kw = row_axis.kernel, col_axis.kernel
    cells = np.empty((n, c, kh, kw, len(rows), len(cols)), dtype=xp.dtype)
    for r in range(kh):
        for s in range(kw):
            cells[:, :, r, s] = band[:, :, row_axis.tap_slice(r, 0, len(rows)), col_axis.tap_slice(s, 0, len(cols))]
    product = np.matmul(w2d, cells.reshape(n, c * kh * kw, len(rows) * len(cols)))
    return product.reshape(n, w2d.shape[0], len(rows), len(cols))


def _phase_range(axis, phase: int, length: int) -> tuple[int, int, int]:
    """Phase indices [first, last) that hold input (not padding) along `axis`, and the input
    index at `first`: phase index u is padded index phase + stride·u, input index that − before."""
    stride, before = axis.stride, axis.before
    first = max(0, -(-(before - phase) // stride))
    last = min(length, -(-(before + axis.size - phase) // stride))
    return first, max(first, last), phase + stride * first - before


class PhaseLayout:
    """The padded input as stride phases, channel-major, batch folded into one flat axis.

    Phase (a, b) holds padded rows a, a+sh, ... and columns b, b+sw, ...;
    each is Hq×Wq per image (Hq = ⌈Hp/sh⌉). Output (n, i, j) sits at flat
    position n·Hq·Wq + i·Wq + j, and tap (r, s) reads phase
    ((r·dh) mod sh, (s·dw) mod sw) at that position plus a fixed offset, so
    every tap is one contiguous slice of length `positions`.
    """

    def __init__(self, conv_plan):
        spec = conv_plan.spec
        self.rows, self.cols = conv_plan.axes
        self.sh, self.sw = self.rows.stride, self.cols.stride
        self.hq, self.wq = -(-self.rows.padded_size // self.sh), -(-self.cols.padded_size // self.sw)
        row_offsets, col_offsets = self.rows.tap_offsets.tolist(), self.cols.tap_offsets.tolist()
        # only the phases some tap reads: at most kh × kw of them, however large the stride
        self.row_list = sorted({offset % self.sh for offset in row_offsets})
        self.col_list = sorted({offset % self.sw for offset in col_offsets})
        self.row_phases, self.col_phases = len(self.row_list), len(self.col_list)
        self.batch, self.channels = spec.batch, spec.in_channels
        ho, wo = conv_plan.output_size
        self.output_size = (ho, wo)
        image = self.hq * self.wq
        self.positions = (self.batch - 1) * image + (ho - 1) * self.wq + wo
        self.taps = []
        for r, row_offset in enumerate(row_offsets):
            row_shift, a = divmod(row_offset, self.sh)
            for s, col_offset in enumerate(col_offsets):
                col_shift, b = divmod(col_offset, self.sw)
                phase = self.row_list.index(a) * self.col_phases + self.col_list.index(b)
                self.taps.append((r, s, phase, row_shift * self.wq + col_shift))

    def scratch_bytes(self, itemsize: int) -> int:
        return self.row_phases * self.col_phases * self.channels * self.batch * self.hq * self.wq * itemsize

    def build(self, x: np.ndarray, conv_plan, scratch: ScratchBuffers) -> np.ndarray:
        """(phases, C, N·Hq·Wq), filled from the input and its padding."""
        sh, sw, n, c = self.sh, self.sw, self.batch, self.channels
        rp, cp = self.row_phases, self.col_phases
        if sh * sw == 1 and not any(conv_plan.pads) and (n == 1 or c == 1):
            # (N, C) → (C, N) moves nothing when either is 1: the input itself is the layout
            return np.ascontiguousarray(x).reshape(1, c, n * self.hq * self.wq)
        phases = scratch.get("phases", (rp * cp, c, n, self.hq, self.wq), x.dtype)
        if conv_plan.spec.padding_mode == "zeros":
            # copy the input straight into each phase; only the padding is zeroed
            for row_index, a in enumerate(self.row_list):
                first_u, last_u, first_row = _phase_range(self.rows, a, self.hq)
                for col_index, b in enumerate(self.col_list):
                    first_v, last_v, first_col = _phase_range(self.cols, b, self.wq)
                    target = phases[row_index * cp + col_index]
                    target[:, :, :first_u] = 0
                    target[:, :, last_u:] = 0
                    target[:, :, first_u:last_u, :first_v] = 0
                    target[:, :, first_u:last_u, last_v:] = 0
                    if last_u > first_u and last_v > first_v:
                        part = x[:, :, first_row::sh, first_col::sw][:, :, :last_u - first_u, :last_v - first_v]
                        target[:, :, first_u:last_u, first_v:last_v] = part.transpose(1, 0, 2, 3)
        else:
            xp = pad_input(x, conv_plan)
            for row_index, a in enumerate(self.row_list):
                for col_index, b in enumerate(self.col_list):
                    part = xp[:, :, a::sh, b::sw]
                    rows, cols = part.shape[2:]
                    target = phases[row_index * cp + col_index]
                    target[:, :, :rows, :cols] = part.transpose(1, 0, 2, 3)
                    target[:, :, rows:] = 0
                    target[:, :, :, cols:] = 0
        return phases.reshape(rp * cp, c, n * self.hq * self.wq)

    def unflatten(self, flat: np.ndarray) -> np.ndarray:
        """Contiguous (K, positions) flat results → a new (N, K, Ho, Wo), dropping unused positions."""
        k = flat.shape[0]
        if flat.shape[1] != self.positions or not flat.flags.c_contiguous:
            raise ValueError("unflatten needs the contiguous (K, positions) result")
        ho, wo = self.output_size
        size = flat.itemsize
        grid = np.lib.stride_tricks.as_strided(
            flat, shape=(self.batch, k, ho, wo),
            strides=(self.hq * self.wq * size, self.positions * size, self.wq * size, size),
            writeable=False,
        )
        return grid.copy()


def declares_scratch(scratch):
    """Mark a strategy with what it allocates beyond the input, weights and output it is given
    and returns: scratch(backend, conv_plan, itemsize) -> {part name: bytes}. The memory
    guard adds these parts, so they must bound the strategy's real allocations (held to it by
    tests/backends/test_memory_truth.py, which measures peak RSS)."""

    def mark(method):
        method.scratch = scratch
        return method

    return mark


def _padded_copy_bytes(conv_plan, itemsize: int) -> int:
    """`pad_input`'s copy of the input (nothing when there is no padding)."""
    if not any(conv_plan.pads):
        return 0
    spec = conv_plan.spec
    return spec.batch * spec.in_channels * conv_plan.padded_shape[0] * conv_plan.padded_shape[1] * itemsize


def _phase_bytes(conv_plan, itemsize: int) -> dict[str, int]:
    """`PhaseLayout.build`: the phase array (none when the input itself is the layout), and the
    padded copy it is filled from in the modes other than zeros."""
    layout = PhaseLayout(conv_plan)
    sh, sw = layout.sh, layout.sw
    own_layout = sh * sw == 1 and not any(conv_plan.pads) and (layout.batch == 1 or layout.channels == 1)
    zeros = conv_plan.spec.padding_mode == "zeros"
    return {"phases": 0 if own_layout else layout.scratch_bytes(itemsize),
            "padded input": 0 if zeros or own_layout else _padded_copy_bytes(conv_plan, itemsize)}


def _gemm_scratch(backend, conv_plan, itemsize: int) -> dict[str, int]:
    layout = PhaseLayout(conv_plan)
    k, c, taps = conv_plan.spec.out_channels, layout.channels, len(layout.taps)
    per_position = taps * c * itemsize
    chunk = max(1, min(layout.positions, backend.gemm_chunk_bytes // per_position))
    return {**_phase_bytes(conv_plan, itemsize),
            "weights as a matrix": k * taps * c * itemsize,
            "flat output": k * layout.positions * itemsize,
            "stacked slices": chunk * per_position}


def _taps_scratch(backend, conv_plan, itemsize: int) -> dict[str, int]:
    layout = PhaseLayout(conv_plan)
    k = conv_plan.spec.out_channels
    return {**_phase_bytes(conv_plan, itemsize), "flat output and one tap": 2 * k * layout.positions * itemsize}


def _window_cell_bytes(conv_plan, itemsize: int) -> int:
    """One output position's column of the im2col matrix, over the batch: N·C·kh·kw values."""
    spec = conv_plan.spec
    return spec.batch * spec.in_channels * spec.kernel_size[0] * spec.kernel_size[1] * itemsize


def _im2col_scratch(backend, conv_plan, itemsize: int) -> dict[str, int]:
    return {"padded input": _padded_copy_bytes(conv_plan, itemsize),
            "im2col matrix": _window_cell_bytes(conv_plan, itemsize) * conv_plan.steps}


def _im2col_chunked_scratch(backend, conv_plan, itemsize: int) -> dict[str, int]:
    rows, cols = backend.chunk_shape(conv_plan, itemsize)
    ho, wo = conv_plan.output_size
    whole = rows >= ho and cols >= wo
    spec = conv_plan.spec
    return {"padded input": _padded_copy_bytes(conv_plan, itemsize),
            "im2col matrix": _window_cell_bytes(conv_plan, itemsize) * rows * cols,
            # one block's product, copied into the output (a single block is the output itself)
            "block product": 0 if whole else spec.batch * spec.out_channels * rows * cols * itemsize}


class NumpyBackend(Backend):
    name = "numpy"
    device = "CPU (NumPy)"
    host = True
    family = CONVVIZ
    strategies = {"gemm": "_gemm", "taps": "_taps", "im2col": "_im2col", "im2col-chunked": "_im2col_chunked"}
    """Algorithm name → the method that runs it; each method declares its scratch (`declares_scratch`)."""
    algorithms = tuple(strategies)

    def __init__(self, scratch_budget: int = DEFAULT_SCRATCH_BUDGET, gemm_chunk_bytes: int = GEMM_CHUNK_BYTES):
        self.scratch_budget = scratch_budget
        self.gemm_chunk_bytes = gemm_chunk_bytes
        self.scratch = ScratchBuffers()

    def available(self) -> Availability:
        return Availability(True)

    def choose_algorithm(self, conv_plan, dtype) -> str:
        """``taps`` for one channel in and out (a few vector multiply-adds beat any matmul),
        ``gemm`` for everything else (measured on the standard suite; see BENCHMARKS.md)."""
        spec = conv_plan.spec
        if spec.in_channels * spec.out_channels == 1:
            return "taps"
        return "gemm"

    def strategy(self, algorithm: str):
        """The bound method that runs `algorithm`."""
        return getattr(self, self.strategies[self.check_algorithm(algorithm)])

    def scratch_parts(self, conv_plan, dtype, algorithm: str) -> dict[str, int]:
        """What `algorithm` allocates besides the input, weights and output, by part."""
        return self.strategy(algorithm).scratch(self, conv_plan, np.dtype(dtype).itemsize)

    def memory_estimate(self, conv_plan, dtype, algorithm: str) -> MemoryEstimate:
        """Input, weights and output, and the scratch `algorithm` declares beside its code."""
        given = array_estimate(conv_plan, dtype).parts
        parts = {name: given[name] for name in ("input", "weights", "output")}
        parts.update(self.scratch_parts(conv_plan, dtype, algorithm))
        return MemoryEstimate(parts)

    def convolve(self, x, w, conv_plan, bias=None, algorithm=None):
        dtype = check_arrays(x, w, conv_plan, bias)
        x = np.asarray(x, dtype=dtype)
        w = np.asarray(w, dtype=dtype)
        if algorithm is None:
            algorithm = self.choose_algorithm(conv_plan, dtype)
        y = self.strategy(algorithm)(x, w, conv_plan)
        if bias is not None:
            y += np.asarray(bias, dtype=dtype)[None, :, None, None]
        return y

    def chunk_shape(self, conv_plan, itemsize: int) -> tuple[int, int]:
        """(rows, columns) of output per block of ``im2col-chunked``: whole rows while a row's
        im2col matrix fits the scratch budget, else part of one row (at least one position)."""
        ho, wo = conv_plan.output_size
        positions = max(1, self.scratch_budget // max(_window_cell_bytes(conv_plan, itemsize), 1))
        if positions >= wo:
            return max(1, min(ho, positions // max(wo, 1))), wo
        return 1, positions

    @declares_scratch(_im2col_scratch)
    def _im2col(self, x, w, conv_plan) -> np.ndarray:
        ho, wo = conv_plan.output_size
        w2d = w.reshape(w.shape[0], -1)
        return _im2col_block(pad_input(x, conv_plan), w2d, conv_plan, range(0, ho), range(0, wo))

    @declares_scratch(_im2col_chunked_scratch)
    def _im2col_chunked(self, x, w, conv_plan) -> np.ndarray:
        n, k, ho, wo = conv_plan.output_shape
        rows, cols = self.chunk_shape(conv_plan, x.dtype.itemsize)
        xp = pad_input(x, conv_plan)
        w2d = w.reshape(k, -1)
        if rows >= ho and cols >= wo:
            return _im2col_block(xp, w2d, conv_plan, range(0, ho), range(0, wo))
        y = np.empty((n, k, ho, wo), dtype=xp.dtype)
        for top in range(0, ho, rows):
            for left in range(0, wo, cols):
                band, span = range(top, min(top + rows, ho)), range(left, min(left + cols, wo))
                y[:, :, band.start:band.stop, span.start:span.stop] = _im2col_block(xp, w2d, conv_plan, band, span)
        return y

    @declares_scratch(_gemm_scratch)
    def _gemm(self, x, w, conv_plan) -> np.ndarray:
        layout = PhaseLayout(conv_plan)
        phases = layout.build(x, conv_plan, self.scratch)
        k, c = conv_plan.spec.out_channels, layout.channels
        taps = layout.taps
        # weights as (K, taps·C), tap-major, matching the stacked slices below
        w2d = np.ascontiguousarray(w.transpose(0, 2, 3, 1)).reshape(k, len(taps) * c)
        per_position = len(taps) * c * x.dtype.itemsize
        chunk = max(1, min(layout.positions, self.gemm_chunk_bytes // per_position))
        flat = self.scratch.get("flat", (k, layout.positions), x.dtype)
        stacked = self.scratch.get("stacked", (len(taps), c, chunk), x.dtype)
        for first in range(0, layout.positions, chunk):
            length = min(chunk, layout.positions - first)
            block = stacked[:, :, :length]
            for index, (_, _, phase, offset) in enumerate(taps):
                start = first + offset
                block[index] = phases[phase, :, start:start + length]
            np.matmul(w2d, block.reshape(len(taps) * c, length), out=flat[:, first:first + length])
        return layout.unflatten(flat)

    @declares_scratch(_taps_scratch)
    def _taps(self, x, w, conv_plan) -> np.ndarray:
        layout = PhaseLayout(conv_plan)
        phases = layout.build(x, conv_plan, self.scratch)
        k, c = conv_plan.spec.out_channels, layout.channels
        length = layout.positions
        acc = self.scratch.get("flat", (k, length), x.dtype)
        single = c == 1 and k == 1
        scratch = self.scratch.get("tap", (k, length), x.dtype)
        for index, (r, s, phase, offset) in enumerate(layout.taps):
            window = phases[phase, :, offset:offset + length]
            target = acc if index == 0 else scratch  # the first tap initialises the sum
            if single:
                np.multiply(window, w[0, 0, r, s], out=target)
            else:
                np.matmul(w[:, :, r, s], window, out=target)
            if index:
                acc += scratch
        return layout.unflatten(acc)
