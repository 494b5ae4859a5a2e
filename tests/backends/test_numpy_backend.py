"""Every NumPy strategy against the float64 reference on random inputs, float32 and float64."""

import numpy as np
import pytest

from convviz.backends import convolve, get_backend
from convviz.backends.numpy_backend import NumpyBackend
from convviz.core import ConvSpec, ConvSpecError, plan, reference_conv2d

SPECS = [
    ConvSpec(input_shape=(1, 1, 12, 11), out_channels=1, kernel_size=3),
    ConvSpec(input_shape=(2, 3, 9, 8), out_channels=4, kernel_size=3, padding=1),
    ConvSpec(input_shape=(2, 3, 11, 10), out_channels=2, kernel_size=(3, 2), stride=(2, 3), padding=(1, 2, 0, 1)),
    ConvSpec(input_shape=(1, 2, 13, 9), out_channels=3, kernel_size=3, dilation=(2, 1), padding="same",
             padding_mode="reflect"),
    ConvSpec(input_shape=(3, 2, 7, 7), out_channels=2, kernel_size=(2, 4), stride=2, dilation=2, padding="full",
             padding_mode="circular"),
    ConvSpec(input_shape=(1, 1, 6, 9), out_channels=1, kernel_size=(4, 1), stride=(3, 1), padding=3,
             padding_mode="replicate"),
    ConvSpec(input_shape=(2, 5, 5, 6), out_channels=3, kernel_size=(5, 6)),
]
BACKENDS = {
    "default": NumpyBackend(),
    "tiny budgets": NumpyBackend(scratch_budget=64, gemm_chunk_bytes=64),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("budget", list(BACKENDS))
@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.describe())
def test_every_strategy_matches_reference(spec, budget, dtype):
    backend = BACKENDS[budget]
    rng = np.random.default_rng(abs(hash(spec.describe())) % 2**32)
    x = rng.standard_normal(spec.input_shape).astype(dtype)
    w = rng.standard_normal(spec.weight_shape).astype(dtype)
    bias = rng.standard_normal(spec.out_channels).astype(dtype)
    conv_plan = plan(spec)
    expected = reference_conv2d(x, w, conv_plan, bias)
    scale = float(np.abs(expected).max())
    tolerance = 1e-12 if dtype == np.float64 else 1e-5
    for algorithm in backend.algorithms:
        for _ in range(2):  # the second call reuses the scratch buffers
            y = backend.convolve(x, w, conv_plan, bias=bias, algorithm=algorithm)
            assert y.dtype == np.dtype(dtype) and y.shape == conv_plan.output_shape
            np.testing.assert_allclose(y, expected, rtol=0, atol=tolerance * scale, err_msg=algorithm)


def test_results_do_not_alias_scratch():
    spec = SPECS[1]
    rng = np.random.default_rng(0)
    x = rng.standard_normal(spec.input_shape)
    w = rng.standard_normal(spec.weight_shape)
    first = convolve(x, w, spec)
    kept = first.copy()
    convolve(2 * x, w, spec)
    np.testing.assert_array_equal(first, kept)


def test_automatic_choice():
    backend = get_backend("numpy")
    single = plan(ConvSpec(input_shape=(1, 1, 64, 64), kernel_size=3, stride=2))
    many = plan(ConvSpec(input_shape=(1, 16, 32, 32), out_channels=16, kernel_size=3, padding=1))
    assert backend.choose_algorithm(single, np.float32) == "taps"
    assert backend.choose_algorithm(many, np.float32) == "gemm"


def test_memory_estimate_counts_scratch():
    backend = NumpyBackend()
    conv_plan = plan(ConvSpec(input_shape=(1, 16, 32, 32), out_channels=16, kernel_size=3, padding=1))
    for algorithm in backend.algorithms:
        estimate = backend.memory_estimate(conv_plan, np.float32, algorithm)
        scratch = backend.scratch_parts(conv_plan, np.float32, algorithm)
        assert sum(scratch.values()) > 0
        assert estimate.total == sum(scratch.values()) + sum(estimate.parts[name] for name in ("input", "weights", "output"))
    assert backend.memory_estimate(conv_plan, np.float32, "im2col").parts["im2col matrix"] == 16 * 9 * 32 * 32 * 4


def test_unknown_algorithm_is_refused():
    spec = SPECS[0]
    x = np.ones(spec.input_shape)
    w = np.ones(spec.weight_shape)
    with pytest.raises(ConvSpecError, match="no algorithm"):
        NumpyBackend().convolve(x, w, plan(spec), algorithm="fft")


@pytest.mark.parametrize("stride", [(10**6, 10**6), (1000, 3), (2**20, 1)])
def test_a_stride_past_the_input_allocates_no_empty_phases(stride):
    spec = ConvSpec(input_shape=(2, 3, 5, 7), out_channels=2, kernel_size=(2, 1), stride=stride, padding=(1, 0))
    conv_plan = plan(spec)
    rng = np.random.default_rng(5)
    x = rng.standard_normal(spec.input_shape)
    w = rng.standard_normal(spec.weight_shape)
    backend = NumpyBackend()
    for algorithm in backend.algorithms:
        assert backend.memory_estimate(conv_plan, np.float64, algorithm).total < 2**20
        np.testing.assert_allclose(backend.convolve(x, w, conv_plan, algorithm=algorithm),
                                   reference_conv2d(x, w, conv_plan), atol=1e-12)
