"""The float64 reference convolution: slow, plainly written, the oracle for every test."""

from __future__ import annotations

import numpy as np

from .plan import ConvPlan


def reference_conv2d(x, w, conv_plan: ConvPlan, bias=None) -> np.ndarray:
    """y[n,k,i,j] = Σ_c Σ_r Σ_s x_pad[n,c,i·sh + r·dh, j·sw + s·dw] · w[k,c,r,s] (+ bias[k]).

    Padding is read through the axes' source maps (which input index each padded
    index holds), one tap at a time, so this shares no code path with any
    backend's padded copy.
    """
    ho, wo = conv_plan.output_size
    positions = [(i, j) for i in range(ho) for j in range(wo)]
    y = reference_at(x, w, conv_plan, positions).reshape(conv_plan.output_shape)
    if bias is not None:
        y += np.asarray(bias, dtype=np.float64)[None, :, None, None]
    return y


def reference_at(x, w, conv_plan: ConvPlan, positions) -> np.ndarray:
    """The definition at output positions [(i, j), ...], without bias: (N, K, len(positions)), float64."""
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    spec = conv_plan.spec
    rows, cols = conv_plan.axes
    values = np.zeros((spec.batch, spec.out_channels, len(positions)), dtype=np.float64)
    for index, (i, j) in enumerate(positions):
        window = np.zeros((spec.batch, spec.in_channels, rows.kernel, cols.kernel), dtype=np.float64)
        for r, source_row in enumerate(rows.source[rows.taps(i)]):
            if source_row < 0:
                continue
            for s, source_col in enumerate(cols.source[cols.taps(j)]):
                if source_col >= 0:
                    window[:, :, r, s] = x[:, :, source_row, source_col]
        values[:, :, index] = np.einsum("ncrs,kcrs->nk", window, w)
    return values
