"""Specs, inputs and checks shared by the CuPy backend's tests (stand-in CuPy and real GPU)."""

import numpy as np
import pytest

from convviz.core import ConvSpec


def gpu_ready() -> bool:
    try:
        import cupy
    except Exception:
        return False
    try:
        return bool(cupy.is_available())
    except Exception:
        return False


needs_gpu = pytest.mark.skipif(not gpu_ready(), reason="no usable CUDA device (cupy.is_available() is False)")

SPECS = [
    ConvSpec((2, 3, 17, 23), 5, 3, padding="same", padding_mode="reflect"),
    ConvSpec((1, 2, 40, 70), 3, (3, 2), stride=(2, 1), dilation=(1, 2), padding=(2, 1, 0, 3), padding_mode="circular"),
    ConvSpec((3, 16, 12, 9), 70, (2, 4), stride=(1, 3), dilation=(2, 1), padding="full", padding_mode="replicate"),
    ConvSpec((1, 1, 33, 65), 1, 1, stride=2),
]
EMULATED_SPECS = [
    ConvSpec((2, 3, 9, 11), 4, 3, padding="same", padding_mode="reflect"),
    ConvSpec((1, 2, 19, 37), 2, (3, 2), stride=(2, 1), dilation=(1, 2), padding=(2, 1, 0, 3), padding_mode="circular"),
    ConvSpec((2, 4, 7, 9), 5, (2, 4), stride=(1, 3), dilation=(2, 1), padding="full", padding_mode="replicate"),
]


def random_inputs(spec, dtype, seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, spec.input_shape).astype(dtype)
    w = rng.uniform(-1, 1, spec.weight_shape).astype(dtype)
    bias = rng.uniform(-1, 1, spec.out_channels).astype(dtype)
    return x, w, bias


def assert_matches(y, expected, dtype):
    assert np.isfinite(y).all(), "some outputs were never written"
    tolerance = (1e-5 if np.dtype(dtype) == np.float32 else 1e-12) * max(1.0, np.abs(expected).max())
    assert np.abs(np.asarray(y, dtype=np.float64) - expected).max() <= tolerance
