"""Max pooling's winners: how often each input cell is the maximum of a window, on given values.

Coverage (`ConvPlan.coverage`) says how many windows include a cell whatever the input; which cell
each window passes on depends on the values. As PyTorch: the first largest tap in row-major order
of the window wins a tie; a window over padding only has no winner.
"""

from __future__ import annotations

import numpy as np

from .plan import ConvPlan


def window_winners(conv_plan: ConvPlan, image) -> np.ndarray:
    """(Ho, Wo, 2): the input (row, col) each window of one channel passes on, (−1, −1) for none."""
    image = np.asarray(image, dtype=np.float64)
    rows, cols = conv_plan.axes
    row_taps = np.arange(rows.output_size)[:, None] * rows.stride + rows.tap_offsets[None, :]
    col_taps = np.arange(cols.output_size)[:, None] * cols.stride + cols.tap_offsets[None, :]
    row_source, col_source = rows.source[row_taps], cols.source[col_taps]  # (Ho, kh), (Wo, kw)
    inside = (row_source >= 0)[:, None, :, None] & (col_source >= 0)[None, :, None, :]
    values = image[np.maximum(row_source, 0)[:, None, :, None], np.maximum(col_source, 0)[None, :, None, :]]
    values = np.where(inside, values, -np.inf)
    ho, wo, kh, kw = values.shape
    best = values.reshape(ho, wo, kh * kw).argmax(axis=2)
    r, s = np.divmod(best, kw)
    winners = np.stack((np.take_along_axis(row_source, r, axis=1), col_source[np.arange(wo)[None, :], s]), axis=-1)
    has_input = inside.reshape(ho, wo, -1).any(axis=2)
    return np.where(has_input[..., None], winners, -1)


def win_counts(conv_plan: ConvPlan, image) -> np.ndarray:
    """(H, W): how many windows each input cell wins (max pooling, one channel)."""
    height, width = conv_plan.spec.input_size
    winners = window_winners(conv_plan, image).reshape(-1, 2)
    winners = winners[winners[:, 0] >= 0]
    flat = np.bincount(winners[:, 0] * width + winners[:, 1], minlength=height * width)
    return flat.reshape(height, width)
