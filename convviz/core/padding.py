"""Index mapping of the padding modes: which input index a padded index copies."""

from __future__ import annotations

import numpy as np

NUMPY_PAD_MODES = {"zeros": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def source_index(size: int, before: int, after: int, mode: str) -> np.ndarray:
    """For padded indices 0 .. before+size+after-1, the input index each copies (-1: zero).

    Matches PyTorch: reflect mirrors without repeating the edge, replicate
    repeats the edge, circular wraps around.
    """
    logical = np.arange(-before, size + after)
    if mode == "zeros":
        return np.where((logical >= 0) & (logical < size), logical, -1)
    if mode == "replicate":
        return np.clip(logical, 0, size - 1)
    if mode == "circular":
        return np.mod(logical, size)
    if mode == "reflect":
        if size == 1:
            return np.zeros_like(logical)
        period = 2 * (size - 1)
        folded = np.mod(logical, period)
        return np.where(folded < size, folded, period - folded)
    raise ValueError(f"unknown padding mode {mode!r}")
