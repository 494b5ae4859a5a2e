"""The CPU backend: NumPy, several strategies, one chosen per shape.

- ``taps``: one matmul per kernel tap over flat, unit-stride slices of the
  padded input. The output is computed on the padded width and the extra
  columns dropped, so no im2col copy is made. Stride 1 only.
- ``im2col``: gather every window into a (C·kh·kw, Ho·Wo) matrix, one matmul.
- ``im2col-chunked``: the same, a band of output rows at a time, so the
  scratch matrix stays under the memory budget.
"""

from __future__ import annotations

import numpy as np

from ..core import check_arrays
from ..core.padding import NUMPY_PAD_MODES
from .base import Availability, Backend

DEFAULT_SCRATCH_BUDGET = 256 * 2**20


def pad_input(x: np.ndarray, conv_plan) -> np.ndarray:
    top, bottom, left, right = conv_plan.pads
    if not any(conv_plan.pads):
        return x
    mode = NUMPY_PAD_MODES[conv_plan.spec.padding_mode]
    return np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)), mode=mode)


def _window_slices(conv_plan, r: int, s: int, rows: range | None = None):
    spec = conv_plan.spec
    (sh, sw), (dh, dw) = spec.stride, spec.dilation
    ho, wo = conv_plan.output_size
    first, last = (0, ho) if rows is None else (rows.start, rows.stop)
    row0, col0 = first * sh + r * dh, s * dw
    return (
        slice(row0, row0 + sh * (last - first - 1) + 1, sh),
        slice(col0, col0 + sw * (wo - 1) + 1, sw),
    )


def _im2col_rows(xp: np.ndarray, w2d: np.ndarray, conv_plan, rows: range) -> np.ndarray:
    """Output rows `rows` for every batch item and channel: (N, K, len(rows), Wo)."""
    spec = conv_plan.spec
    n, c = xp.shape[:2]
    kh, kw = spec.kernel_size
    wo = conv_plan.output_size[1]
    cols = np.empty((n, c, kh, kw, len(rows), wo), dtype=xp.dtype)
    for r in range(kh):
        for s in range(kw):
            row_slice, col_slice = _window_slices(conv_plan, r, s, rows)
            cols[:, :, r, s] = xp[:, :, row_slice, col_slice]
    product = np.matmul(w2d, cols.reshape(n, c * kh * kw, len(rows) * wo))
    return product.reshape(n, w2d.shape[0], len(rows), wo)


class NumpyBackend(Backend):
    name = "numpy"
    device = "CPU (NumPy)"
    algorithms = ("taps", "im2col", "im2col-chunked")

    def __init__(self, scratch_budget: int = DEFAULT_SCRATCH_BUDGET):
        self.scratch_budget = scratch_budget

    def available(self) -> Availability:
        return Availability(True)

    def im2col_scratch_bytes(self, conv_plan, dtype) -> int:
        spec = conv_plan.spec
        kh, kw = spec.kernel_size
        return spec.batch * spec.in_channels * kh * kw * conv_plan.steps * np.dtype(dtype).itemsize

    def choose_algorithm(self, conv_plan, dtype) -> str:
        spec = conv_plan.spec
        if spec.stride == (1, 1):
            width_waste = conv_plan.padded_shape[1] / conv_plan.output_size[1]
            if width_waste <= 1.5 or spec.in_channels * spec.out_channels == 1:
                return "taps"
        if self.im2col_scratch_bytes(conv_plan, dtype) > self.scratch_budget:
            return "im2col-chunked"
        return "im2col"

    def convolve(self, x, w, conv_plan, bias=None, algorithm=None):
        dtype = check_arrays(x, w, conv_plan, bias)
        x = np.asarray(x, dtype=dtype)
        w = np.asarray(w, dtype=dtype)
        if algorithm is None:
            algorithm = self.choose_algorithm(conv_plan, dtype)
        self.check_algorithm(algorithm)
        if algorithm == "taps" and conv_plan.spec.stride != (1, 1):
            from ..core import ConvSpecError

            raise ConvSpecError("the taps algorithm needs stride 1; use im2col for strided convolution")
        xp = pad_input(x, conv_plan)
        if algorithm == "taps":
            y = self._taps(xp, w, conv_plan)
        elif algorithm == "im2col":
            y = self._im2col(xp, w, conv_plan, rows_per_chunk=conv_plan.output_size[0])
        else:
            y = self._im2col(xp, w, conv_plan, rows_per_chunk=self._chunk_rows(conv_plan, dtype))
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

    def _taps(self, xp, w, conv_plan) -> np.ndarray:
        spec = conv_plan.spec
        n, k, ho, wo = conv_plan.output_shape
        c = spec.in_channels
        hp, wp = conv_plan.padded_shape
        kh, kw = spec.kernel_size
        dh, dw = spec.dilation
        flat = np.ascontiguousarray(xp).reshape(n, c, hp * wp)
        length = (ho - 1) * wp + wo
        acc = np.zeros((n, k, ho * wp), dtype=xp.dtype)
        target = acc[:, :, :length]
        single = c == 1 and k == 1
        scratch = np.empty((n, 1, length), dtype=xp.dtype) if single else None
        for r in range(kh):
            for s in range(kw):
                offset = r * dh * wp + s * dw
                window = flat[:, :, offset:offset + length]
                if single:
                    np.multiply(window, w[0, 0, r, s], out=scratch)
                    target += scratch
                else:
                    target += np.matmul(w[:, :, r, s], window)
        return np.ascontiguousarray(acc.reshape(n, k, ho, wp)[:, :, :, :wo])
