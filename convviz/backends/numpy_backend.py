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
- ``im2col-chunked``: the same, a band of output rows at a time, so the
  scratch matrix stays under the memory budget.
"""

from __future__ import annotations

import threading

import numpy as np

from ..core import check_arrays
from . import numpy_operators
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


def _im2col_rows(xp: np.ndarray, w2d: np.ndarray, conv_plan, rows: range) -> np.ndarray:
    """Output rows `rows` for every batch item and channel: (N, K, len(rows), Wo).

    Reads only the band of padded rows those windows span."""
    row_axis, col_axis = conv_plan.axes
    start = row_axis.window_start(rows.start)
    band = xp[:, :, start:start + row_axis.span(len(rows))]
    n, c = xp.shape[:2]
    kh, kw = row_axis.kernel, col_axis.kernel
    wo = col_axis.output_size
    cols = np.empty((n, c, kh, kw, len(rows), wo), dtype=xp.dtype)
    for r in range(kh):
        for s in range(kw):
            cols[:, :, r, s] = band[:, :, row_axis.tap_slice(r, 0, len(rows)), col_axis.tap_slice(s)]
    product = np.matmul(w2d, cols.reshape(n, c * kh * kw, len(rows) * wo))
    return product.reshape(n, w2d.shape[0], len(rows), wo)


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


class NumpyBackend(Backend):
    name = "numpy"
    device = "CPU (NumPy)"
    host = True
    family = CONVVIZ
    algorithms = ("gemm", "taps", "im2col", "im2col-chunked")

    def __init__(self, scratch_budget: int = DEFAULT_SCRATCH_BUDGET, gemm_chunk_bytes: int = GEMM_CHUNK_BYTES):
        self.scratch_budget = scratch_budget
        self.gemm_chunk_bytes = gemm_chunk_bytes
        self.scratch = ScratchBuffers()

    def available(self) -> Availability:
        return Availability(True)

    def im2col_scratch_bytes(self, conv_plan, dtype) -> int:
        spec = conv_plan.spec
        kh, kw = spec.kernel_size
        return spec.batch * spec.in_channels * kh * kw * conv_plan.steps * np.dtype(dtype).itemsize

    def choose_algorithm(self, conv_plan, dtype) -> str:
        """``taps`` for one channel in and out (a few vector multiply-adds beat any matmul),
        ``gemm`` for everything else (measured on the standard suite; see BENCHMARKS.md)."""
        spec = conv_plan.spec
        if numpy_operators.handles(conv_plan):
            return numpy_operators.choose(conv_plan)
        if spec.in_channels * spec.out_channels == 1:
            return "taps"
        return "gemm"

    def algorithms_for(self, conv_plan) -> tuple[str, ...]:
        """Convolution without groups: ``algorithms``; other operations and groups: numpy_operators'."""
        if numpy_operators.handles(conv_plan):
            return numpy_operators.algorithms_for(conv_plan)
        return self.algorithms

    def memory_estimate(self, conv_plan, dtype, algorithm: str):
        estimate = super().memory_estimate(conv_plan, dtype, algorithm)
        itemsize = np.dtype(dtype).itemsize
        if algorithm in numpy_operators.SCRATCH:
            parts = dict(estimate.parts, **numpy_operators.SCRATCH[algorithm](conv_plan, itemsize))
            return type(estimate)(parts, estimate.where)
        if algorithm in ("gemm", "taps"):
            if conv_plan.spec.padding_mode == "zeros":
                # the phases are filled from the input directly: no padded copy is made
                parts = dict(estimate.parts, **{"padded input": 0})
                estimate = type(estimate)(parts, estimate.where)
            layout = PhaseLayout(conv_plan)
            flat_out = conv_plan.spec.out_channels * layout.batch * layout.hq * layout.wq * itemsize
            chunk = min(self.gemm_chunk_bytes, len(layout.taps) * layout.channels * layout.positions * itemsize)
            return estimate.plus(scratch=layout.scratch_bytes(itemsize) + 2 * flat_out + chunk)
        if algorithm == "im2col":
            return estimate.plus(scratch=self.im2col_scratch_bytes(conv_plan, dtype))
        return estimate.plus(scratch=min(self.scratch_budget, self.im2col_scratch_bytes(conv_plan, dtype)))

    def convolve(self, x, w, conv_plan, bias=None, algorithm=None):
        dtype = check_arrays(x, w, conv_plan, bias)
        x = np.asarray(x, dtype=dtype)
        w = None if w is None else np.asarray(w, dtype=dtype)
        if algorithm is None:
            algorithm = self.choose_algorithm(conv_plan, dtype)
        self.check_algorithm(algorithm, conv_plan)
        if algorithm in numpy_operators.STRATEGIES:
            y = numpy_operators.run(x, w, conv_plan, algorithm)
        elif algorithm == "gemm":
            y = self._gemm(x, w, conv_plan)
        elif algorithm == "taps":
            y = self._taps(x, w, conv_plan)
        else:
            xp = pad_input(x, conv_plan)
            rows = conv_plan.output_size[0] if algorithm == "im2col" else self._chunk_rows(conv_plan, dtype)
            y = self._im2col(xp, w, conv_plan, rows_per_chunk=rows)
        if bias is not None:
            y += np.asarray(bias, dtype=dtype)[None, :, None, None]
        return y

    def _chunk_rows(self, conv_plan, dtype) -> int:
        per_row = self.im2col_scratch_bytes(conv_plan, dtype) // max(conv_plan.output_size[0], 1)
        return max(1, min(conv_plan.output_size[0], self.scratch_budget // max(per_row, 1)))

    def _im2col(self, xp, w, conv_plan, rows_per_chunk: int) -> np.ndarray:
        n, k, ho, wo = conv_plan.output_shape
        w2d = w.reshape(k, -1)
        if rows_per_chunk >= ho:
            return _im2col_rows(xp, w2d, conv_plan, range(0, ho))
        y = np.empty((n, k, ho, wo), dtype=xp.dtype)
        for first in range(0, ho, rows_per_chunk):
            rows = range(first, min(first + rows_per_chunk, ho))
            y[:, :, rows.start:rows.stop] = _im2col_rows(xp, w2d, conv_plan, rows)
        return y

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
