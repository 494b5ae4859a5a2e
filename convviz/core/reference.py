"""The float64 reference convolution: slow, plainly written, the oracle for every test."""

from __future__ import annotations

import numpy as np

from .plan import ConvPlan


def reference_conv2d(x, w, conv_plan: ConvPlan, bias=None) -> np.ndarray:
    """y[n,k,i,j] = Σ_c Σ_r Σ_s x_pad[n,c,i·sh + r·dh, j·sw + s·dw] · w[k,c,r,s] (+ bias[k]).

    Padding is read through the plan's index mapping, one tap at a time,
    so this shares no code path with any backend's padded copy.
    """
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    spec = conv_plan.spec
    batch, channels = spec.batch, spec.in_channels
    kh, kw = spec.kernel_size
    sh, sw = spec.stride
    dh, dw = spec.dilation
    ho, wo = conv_plan.output_size
    row_source, col_source = conv_plan.row_source, conv_plan.col_source
    y = np.zeros(conv_plan.output_shape, dtype=np.float64)
    for i in range(ho):
        for j in range(wo):
            window = np.zeros((batch, channels, kh, kw), dtype=np.float64)
            for r in range(kh):
                source_row = row_source[i * sh + r * dh]
                if source_row < 0:
                    continue
                for s in range(kw):
                    source_col = col_source[j * sw + s * dw]
                    if source_col >= 0:
                        window[:, :, r, s] = x[:, :, source_row, source_col]
            y[:, :, i, j] = np.einsum("ncrs,kcrs->nk", window, w)
    if bias is not None:
        y += np.asarray(bias, dtype=np.float64)[None, :, None, None]
    return y
