"""The float64 reference of every operation: slow, plainly written, the oracle for every test.

Each operation is written from its definition with the user's numbers (stride, padding,
dilation, output padding, ceil mode as the spec holds them), not from the plan's axes, so the
reference shares no code with the geometry it checks beyond the output size.
"""

from __future__ import annotations

import numpy as np

from .plan import ConvPlan


def reference_conv2d(x, w, conv_plan: ConvPlan, bias=None) -> np.ndarray:
    """The planned operation at every output position (+ bias[k]), float64.

    convolution: y[n,k,i,j] = Σ_c Σ_r Σ_s x_pad[n,c,i·sh + r·dh, j·sw + s·dw] · w[k,c,r,s], c over
    the group of k; transposed convolution: each x[n,c,i,j] adds x·w[c,k,r,s] to
    y[n,k,i·sh − ph + r·dh, j·sw − pw + s·dw]; pooling: the max or mean of each window.
    """
    ho, wo = conv_plan.output_size
    positions = [(i, j) for i in range(ho) for j in range(wo)]
    y = reference_at(x, w, conv_plan, positions).reshape(conv_plan.output_shape)
    if bias is not None:
        y += np.asarray(bias, dtype=np.float64)[None, :, None, None]
    return y


reference_forward = reference_conv2d


def reference_at(x, w, conv_plan: ConvPlan, positions) -> np.ndarray:
    """The definition at output positions [(i, j), ...], without bias: (N, K, len(positions)), float64."""
    x = np.asarray(x, dtype=np.float64)
    operation = conv_plan.spec.operation
    if operation in ("max_pool", "avg_pool"):
        return _pool_at(x, conv_plan, positions)
    w = np.asarray(w, dtype=np.float64)
    if operation == "conv_transpose":
        return _transposed_at(x, w, conv_plan, positions)
    return _conv_at(x, w, conv_plan, positions)


def _conv_at(x, w, conv_plan: ConvPlan, positions) -> np.ndarray:
    """Padding is read through the axes' source maps (which input index each padded index
    holds), one tap at a time, so this shares no code path with any backend's padded copy."""
    spec = conv_plan.spec
    rows, cols = conv_plan.axes
    groups = spec.groups
    group_in, group_out = spec.in_channels // groups, spec.out_channels // groups
    values = np.zeros((spec.batch, spec.out_channels, len(positions)), dtype=np.float64)
    for index, (i, j) in enumerate(positions):
        window = np.zeros((spec.batch, spec.in_channels, rows.kernel, cols.kernel), dtype=np.float64)
        for r, source_row in enumerate(rows.source[rows.taps(i)]):
            if source_row < 0:
                continue
            for s, source_col in enumerate(cols.source[cols.taps(j)]):
                if source_col >= 0:
                    window[:, :, r, s] = x[:, :, source_row, source_col]
        for g in range(groups):
            values[:, g * group_out:(g + 1) * group_out, index] = np.einsum(
                "ncrs,kcrs->nk", window[:, g * group_in:(g + 1) * group_in], w[g * group_out:(g + 1) * group_out])
    return values


def _transposed_at(x, w, conv_plan: ConvPlan, positions) -> np.ndarray:
    """Output (i, j) gathers every input (a, b) and tap (r, s) whose scatter lands on it:
    a·sh − ph + r·dh = i and b·sw − pw + s·dw = j."""
    spec = conv_plan.spec
    (sh, sw), (dh, dw) = spec.stride, spec.dilation
    ph, pw = conv_plan.rows.padding, conv_plan.cols.padding
    height, width = spec.input_size
    kh, kw = spec.kernel_size
    groups = spec.groups
    group_in, group_out = spec.in_channels // groups, spec.out_channels // groups
    values = np.zeros((spec.batch, spec.out_channels, len(positions)), dtype=np.float64)
    for index, (i, j) in enumerate(positions):
        for r in range(kh):
            a, off_row = divmod(i + ph - r * dh, sh)
            if off_row or not 0 <= a < height:
                continue
            for s in range(kw):
                b, off_col = divmod(j + pw - s * dw, sw)
                if off_col or not 0 <= b < width:
                    continue
                for g in range(groups):
                    inputs = slice(g * group_in, (g + 1) * group_in)
                    values[:, g * group_out:(g + 1) * group_out, index] += x[:, inputs, a, b] @ w[inputs, :, r, s]
    return values


def _pool_at(x, conv_plan: ConvPlan, positions) -> np.ndarray:
    """PyTorch's definition: the window of output i starts at i·s − p; max pooling takes the
    largest tap inside the input (padding is −∞); average pooling sums the input in the window
    and divides by the window clipped to the padding (count_include_pad) or to the input."""
    spec = conv_plan.spec
    (sh, sw), (dh, dw) = spec.stride, spec.dilation
    ph, pw = conv_plan.rows.padding, conv_plan.cols.padding
    height, width = spec.input_size
    kh, kw = spec.kernel_size
    values = np.zeros((spec.batch, spec.in_channels, len(positions)), dtype=np.float64)
    for index, (i, j) in enumerate(positions):
        top, left = i * sh - ph, j * sw - pw
        if spec.operation == "max_pool":
            best = np.full((spec.batch, spec.in_channels), -np.inf)
            for r in range(kh):
                for s in range(kw):
                    row, col = top + r * dh, left + s * dw
                    if 0 <= row < height and 0 <= col < width:
                        best = np.maximum(best, x[:, :, row, col])
            values[:, :, index] = best
            continue
        bottom, right = min(top + kh, height + ph), min(left + kw, width + pw)
        divisor = (bottom - top) * (right - left)
        top, left, bottom, right = max(top, 0), max(left, 0), min(bottom, height), min(right, width)
        if not spec.count_include_pad:
            divisor = (bottom - top) * (right - left)
        total = x[:, :, top:bottom, left:right].sum(axis=(2, 3))
        values[:, :, index] = total / divisor if divisor else 0.0
    return values
