"""Every NumPy strategy against the float64 reference on random inputs, float32 and float64."""

import tracemalloc

import numpy as np
import pytest
from helpers.strategies import LOAD_TOLERANT, conv_specs
from hypothesis import given, settings
from hypothesis import strategies as st

from convviz.backends import convolve, get_backend, numpy_strategies
from convviz.backends.numpy_backend import NumpyBackend, unsupported
from convviz.backends.numpy_strategies import TOEPLITZ_ROWS
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
    # edge shapes: one output position, width or height 1, kernel as large as the padded input
    ConvSpec(input_shape=(2, 3, 1, 1), out_channels=2, kernel_size=1),
    ConvSpec(input_shape=(1, 1, 1, 40), out_channels=1, kernel_size=(1, 5), padding="same", padding_mode="circular"),
    ConvSpec(input_shape=(3, 1, 37, 1), out_channels=1, kernel_size=(3, 1), dilation=(4, 1), padding="full",
             padding_mode="replicate"),
    ConvSpec(input_shape=(1, 2, 2, 2), out_channels=3, kernel_size=3, padding=1, padding_mode="reflect"),
    ConvSpec(input_shape=(2, 1, 3, 3), out_channels=1, kernel_size=5, padding=1),
    ConvSpec(input_shape=(1, 2, 4, 5), out_channels=2, kernel_size=3, padding=(0, 4, 5, 0), padding_mode="circular"),
    # single channel with more rows than one toeplitz band, and a ragged last band
    ConvSpec(input_shape=(2, 1, 3 * TOEPLITZ_ROWS + 5, 21), out_channels=1, kernel_size=(3, 4), stride=(2, 1),
             dilation=(1, 2), padding="same", padding_mode="reflect"),
    ConvSpec(input_shape=(1, 1, 2 * TOEPLITZ_ROWS + 7, 33), out_channels=1, kernel_size=5, stride=(1, 3),
             padding=2, padding_mode="replicate"),
    # pointwise with batch, and 1×1 layers it does not take (strided, padded)
    ConvSpec(input_shape=(3, 6, 5, 7), out_channels=4, kernel_size=1),
    ConvSpec(input_shape=(2, 6, 9, 7), out_channels=4, kernel_size=1, stride=2),
    ConvSpec(input_shape=(2, 6, 4, 3), out_channels=4, kernel_size=1, padding=1, padding_mode="replicate"),
]
BACKENDS = {
    "default": NumpyBackend(),
    "tiny blocks": NumpyBackend(scratch_budget=64, block_bytes=64),
    "small blocks": NumpyBackend(block_bytes=2000),
    # copies and adds split over threads even for tiny arrays (numpy_threads)
    "3 threads": NumpyBackend(threads=3, min_piece_bytes=1),
    "2 threads, small blocks": NumpyBackend(block_bytes=2000, threads=2, min_piece_bytes=1),
}


def _arrays(spec, dtype, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(spec.input_shape).astype(dtype)
    w = rng.standard_normal(spec.weight_shape).astype(dtype)
    bias = rng.standard_normal(spec.out_channels).astype(dtype)
    return x, w, bias


def _check_every_strategy(spec, backend, dtype, seed, calls=1):
    x, w, bias = _arrays(spec, dtype, seed)
    conv_plan = plan(spec)
    expected = reference_conv2d(x, w, conv_plan, bias)
    scale = max(1.0, float(np.abs(expected).max()))
    tolerance = 1e-12 if dtype == np.float64 else 1e-5
    ran = []
    for algorithm in backend.algorithms:
        if unsupported(conv_plan, algorithm):
            with pytest.raises(ConvSpecError, match="strategy takes"):
                backend.convolve(x, w, conv_plan, bias=bias, algorithm=algorithm)
            continue
        for _ in range(calls):  # a second call reuses the scratch buffers
            y = backend.convolve(x, w, conv_plan, bias=bias, algorithm=algorithm)
            assert y.dtype == np.dtype(dtype) and y.shape == conv_plan.output_shape
            np.testing.assert_allclose(y, expected, rtol=0, atol=tolerance * scale, err_msg=algorithm)
        ran.append(algorithm)
    assert backend.choose_algorithm(conv_plan, dtype) in ran
    return ran


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("budget", list(BACKENDS))
@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.describe())
def test_every_strategy_matches_reference(spec, budget, dtype):
    _check_every_strategy(spec, BACKENDS[budget], dtype, abs(hash(spec.describe())) % 2**32, calls=2)


RANDOM = settings(max_examples=60, deadline=None, suppress_health_check=LOAD_TOLERANT)


def _random_case(spec_strategy):
    return given(spec=spec_strategy, dtype=st.sampled_from([np.float32, np.float64]),
                 budget=st.sampled_from(list(BACKENDS)), seed=st.integers(0, 2**32 - 1))


@RANDOM
@_random_case(conv_specs(max_size=12, max_channels=1))
def test_toeplitz_on_random_single_channel_specs(spec, dtype, budget, seed):
    assert "toeplitz" in _check_every_strategy(spec, BACKENDS[budget], dtype, seed)


@RANDOM
@_random_case(conv_specs(max_size=7, max_channels=5).map(
    lambda spec: spec.replace(kernel_size=1, stride=1, padding=0)))
def test_pointwise_on_random_specs(spec, dtype, budget, seed):
    assert "pointwise" in _check_every_strategy(spec, BACKENDS[budget], dtype, seed)


@RANDOM
@_random_case(conv_specs(max_size=10, max_channels=4).filter(lambda spec: spec.stride == (1, 1)))
def test_shifted_on_random_stride_one_specs(spec, dtype, budget, seed):
    assert "shifted" in _check_every_strategy(spec, BACKENDS[budget], dtype, seed)


@RANDOM
@_random_case(conv_specs(max_size=10, max_channels=4))
def test_every_strategy_on_random_specs(spec, dtype, budget, seed):
    _check_every_strategy(spec, BACKENDS[budget], dtype, seed)


@pytest.mark.parametrize("algorithm", NumpyBackend.algorithms)
def test_strided_and_mixed_dtype_arrays(algorithm):
    """Inputs that are views (not contiguous) and float32 input with float64 weights."""
    spec = {
        "toeplitz": ConvSpec(input_shape=(2, 1, 9, 7), out_channels=1, kernel_size=3, padding=1),
        "pointwise": ConvSpec(input_shape=(2, 3, 9, 7), out_channels=2, kernel_size=1),
    }.get(algorithm, ConvSpec(input_shape=(2, 3, 9, 7), out_channels=2, kernel_size=3, padding=1,
                              padding_mode="reflect"))
    rng = np.random.default_rng(3)
    n, c, h, w_ = spec.input_shape
    x = rng.standard_normal((n, c, w_, 2 * h)).astype(np.float32).transpose(0, 1, 3, 2)[:, :, ::2]
    w = rng.standard_normal(spec.weight_shape)
    conv_plan = plan(spec)
    y = NumpyBackend().convolve(x, w, conv_plan, algorithm=algorithm)
    assert y.dtype == np.float64
    np.testing.assert_allclose(y, reference_conv2d(x, w, conv_plan), atol=1e-12)


@pytest.mark.parametrize("stride", [1, 2])
def test_im2col_windows_of_an_unpadded_input_view(stride):
    """Without padding im2col reads the caller's own array, which may be any view (its window
    views then take as_strided's path, not the contiguous one)."""
    spec = ConvSpec(input_shape=(2, 3, 11, 9), out_channels=4, kernel_size=(3, 2), stride=stride, dilation=(1, 2))
    rng = np.random.default_rng(12)
    x = rng.standard_normal((2, 3, 9, 22)).astype(np.float32).transpose(0, 1, 3, 2)[:, :, ::2]
    assert not x.flags.c_contiguous and x.shape == spec.input_shape
    w = rng.standard_normal(spec.weight_shape).astype(np.float32)
    conv_plan = plan(spec)
    expected = reference_conv2d(x.astype(np.float64), w.astype(np.float64), conv_plan)
    for algorithm in ("im2col", "im2col-chunked"):
        y = NumpyBackend(block_bytes=3 * 3 * 2 * 4 * 7).convolve(x, w, conv_plan, algorithm=algorithm)
        np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-5)


def test_results_do_not_alias_scratch():
    for spec in SPECS:
        rng = np.random.default_rng(0)
        x = rng.standard_normal(spec.input_shape)
        w = rng.standard_normal(spec.weight_shape)
        first = convolve(x, w, spec)
        kept = first.copy()
        convolve(2 * x, w, spec)
        np.testing.assert_array_equal(first, kept)


@pytest.mark.parametrize("spec, algorithm", [
    (ConvSpec(input_shape=(1, 1, 64, 64), kernel_size=3, stride=2), "toeplitz"),
    (ConvSpec(input_shape=(4, 1, 64, 64), kernel_size=5, padding="same", padding_mode="reflect"), "toeplitz"),
    (ConvSpec(input_shape=(1, 256, 56, 56), out_channels=64, kernel_size=1), "pointwise"),
    (ConvSpec(input_shape=(1, 16, 32, 32), out_channels=16, kernel_size=3, padding=1), "shifted"),
    (ConvSpec(input_shape=(4, 16, 128, 128), out_channels=16, kernel_size=5, padding="same",
              padding_mode="reflect"), "shifted"),
    (ConvSpec(input_shape=(1, 512, 7, 7), out_channels=512, kernel_size=3, padding=1), "im2col-chunked"),
    (ConvSpec(input_shape=(1, 64, 56, 56), out_channels=128, kernel_size=3, stride=2, padding=1), "im2col-chunked"),
    (ConvSpec(input_shape=(1, 64, 56, 56), out_channels=128, kernel_size=1, stride=2), "im2col-chunked"),
    (ConvSpec(input_shape=(1, 64, 56, 56), out_channels=64, kernel_size=3, padding=1, groups=64), "depthwise-taps"),
    (ConvSpec(input_shape=(1, 64, 56, 56), out_channels=64, kernel_size=3, padding=1, groups=4), "per-group"),
    (ConvSpec(input_shape=(1, 128, 28, 28), out_channels=128, kernel_size=3, padding=1, groups=32), "grouped-gemm"),
])
def test_automatic_choice(spec, algorithm):
    assert get_backend("numpy").choose_algorithm(plan(spec), np.float32) == algorithm


def test_memory_estimate_counts_scratch():
    backend = NumpyBackend()
    conv_plan = plan(ConvSpec(input_shape=(1, 16, 32, 32), out_channels=16, kernel_size=3, padding=1))
    for algorithm in backend.algorithms_for(conv_plan):
        estimate = backend.memory_estimate(conv_plan, np.float32, algorithm)
        scratch = backend.scratch_parts(conv_plan, np.float32, algorithm)
        assert sum(scratch.values()) > 0
        assert estimate.total == sum(scratch.values()) + sum(estimate.parts[name] for name in ("input", "weights", "output"))
    parts = backend.scratch_parts(conv_plan, np.float32, "im2col")
    assert parts["im2col matrix"] == 16 * 9 * 32 * 32 * 4 and parts["padded input"] == 16 * 34 * 34 * 4
    assert set(backend.algorithms_for(conv_plan)) == {"shifted", "im2col", "im2col-chunked"}


@pytest.mark.parametrize("spec", [
    ConvSpec(input_shape=(1, 1, 300, 200), kernel_size=5, padding="same", padding_mode="reflect"),
    ConvSpec(input_shape=(2, 8, 60, 50), out_channels=8, kernel_size=3, padding=1, padding_mode="circular"),
    ConvSpec(input_shape=(2, 8, 60, 50), out_channels=16, kernel_size=1),
    ConvSpec(input_shape=(2, 8, 60, 50), out_channels=16, kernel_size=3, stride=2, padding=1),
], ids=lambda spec: spec.describe())
@pytest.mark.parametrize("block_bytes", [2**12, 2**16, 2**20])
def test_declared_scratch_bounds_what_is_allocated(spec, block_bytes):
    """Peak of what each strategy allocates (tracemalloc sees NumPy's buffers) ≤ its estimate
    less the input and weights, which exist before the call."""
    conv_plan = plan(spec)
    x, w, _ = _arrays(spec, np.float32, 1)
    for algorithm in NumpyBackend.algorithms:
        if unsupported(conv_plan, algorithm):
            continue
        # once before, untraced: lazy imports and the plan's cached maps are not the strategy's scratch
        # (with tests spread over workers, this may be a worker's first convolution)
        NumpyBackend(block_bytes=block_bytes).convolve(x, w, conv_plan, algorithm=algorithm)
        peaks = []
        for _ in range(3):  # tracemalloc counts every thread's allocations: the least of three
            backend = NumpyBackend(block_bytes=block_bytes)  # fresh: its scratch is allocated in the call
            estimate = backend.memory_estimate(conv_plan, np.float32, algorithm)
            declared = estimate.total - estimate.parts["input"] - estimate.parts["weights"]
            tracemalloc.start()
            try:
                backend.convolve(x, w, conv_plan, algorithm=algorithm)
                peaks.append(tracemalloc.get_traced_memory()[1])
            finally:
                tracemalloc.stop()
            if peaks[-1] <= declared + 4096:
                break
        assert min(peaks) <= declared + 4096, (algorithm, peaks, estimate.describe())


def test_unknown_algorithm_is_refused():
    spec = SPECS[0]
    x = np.ones(spec.input_shape)
    w = np.ones(spec.weight_shape)
    with pytest.raises(ConvSpecError, match="no algorithm"):
        NumpyBackend().convolve(x, w, plan(spec), algorithm="fft")


def test_a_strategy_that_cannot_run_a_spec_says_why():
    spec = ConvSpec(input_shape=(1, 2, 8, 8), out_channels=2, kernel_size=3, stride=2)
    backend = NumpyBackend()
    x, w, _ = _arrays(spec, np.float32, 0)
    for algorithm in ("toeplitz", "pointwise", "shifted"):
        with pytest.raises(ConvSpecError, match=f"the {algorithm} strategy takes"):
            backend.convolve(x, w, plan(spec), algorithm=algorithm)
        with pytest.raises(ConvSpecError, match=f"the {algorithm} strategy takes"):
            convolve(x, w, spec, algorithm=algorithm)


@pytest.mark.parametrize("stride", [(10**6, 10**6), (1000, 3), (2**20, 1)])
def test_a_stride_past_the_input_allocates_little(stride):
    spec = ConvSpec(input_shape=(2, 3, 5, 7), out_channels=2, kernel_size=(2, 1), stride=stride, padding=(1, 0))
    conv_plan = plan(spec)
    rng = np.random.default_rng(5)
    x = rng.standard_normal(spec.input_shape)
    w = rng.standard_normal(spec.weight_shape)
    backend = NumpyBackend()
    for algorithm in backend.algorithms:
        if unsupported(conv_plan, algorithm):
            continue
        assert backend.memory_estimate(conv_plan, np.float64, algorithm).total < 2**20
        np.testing.assert_allclose(backend.convolve(x, w, conv_plan, algorithm=algorithm),
                                   reference_conv2d(x, w, conv_plan), atol=1e-12)


def _blas_ready(array: np.ndarray) -> bool:
    """NumPy hands a matrix to BLAS without a copy when one of its last two axes is unit-stride
    and the other steps by at least a row (else it copies it, or loops without BLAS)."""
    if array.ndim < 2:
        return True
    rows, cols = array.shape[-2:]
    row_step, col_step = (stride // array.itemsize for stride in array.strides[-2:])
    return (col_step == 1 and row_step >= cols) or (row_step == 1 and col_step >= rows) or rows == 1 or cols == 1


@pytest.mark.parametrize("spec", [
    ConvSpec(input_shape=(2, 1, 40, 33), out_channels=1, kernel_size=3, padding="same", padding_mode="reflect"),
    ConvSpec(input_shape=(2, 6, 9, 7), out_channels=4, kernel_size=1),
    ConvSpec(input_shape=(2, 6, 20, 17), out_channels=4, kernel_size=3, padding=1, padding_mode="circular"),
    ConvSpec(input_shape=(3, 6, 9, 11), out_channels=4, kernel_size=3, stride=2, dilation=(1, 2), padding=1),
], ids=lambda spec: spec.describe())
def test_float32_matmuls_stay_float32_and_need_no_copy(spec, monkeypatch):
    """Every matmul of a float32 convolution gets float32 operands laid out for BLAS as they are
    (no hidden float64, no transposed copy) and writes into a contiguous output."""
    calls = []
    matmul = np.matmul

    def recording(a, b, *args, **kwargs):
        calls.append((a, b, kwargs.get("out")))
        return matmul(a, b, *args, **kwargs)

    monkeypatch.setattr(np, "matmul", recording)
    conv_plan = plan(spec)
    x, w, _ = _arrays(spec, np.float32, 2)
    backend = NumpyBackend()
    for algorithm in backend.algorithms_for(conv_plan):
        calls.clear()
        backend.convolve(x, w, conv_plan, algorithm=algorithm)
        assert calls, algorithm
        for a, b, out in calls:
            assert a.dtype == b.dtype == np.float32, algorithm
            assert _blas_ready(a) and _blas_ready(b), (algorithm, a.strides, b.strides)
            assert out is not None and out.dtype == np.float32 and out.flags.c_contiguous, algorithm


def test_scratch_kept_between_calls_is_bounded():
    backend = NumpyBackend()
    rng = np.random.default_rng(4)
    for spec in SPECS + [ConvSpec(input_shape=(2, 16, 300, 300), out_channels=16, kernel_size=5, padding=2)]:
        conv_plan = plan(spec)
        x, w = rng.standard_normal(spec.input_shape), rng.standard_normal(spec.weight_shape)
        for algorithm in backend.algorithms_for(conv_plan):
            backend.convolve(x, w, conv_plan, algorithm=algorithm)
            kept = sum(array.nbytes for array in backend.scratch.buffers.values())
            assert kept <= numpy_strategies.SCRATCH_KEEP_BYTES


def test_im2col_blocks_grow_with_the_blas_threads_and_the_estimate_counts_the_largest():
    from threadpoolctl import threadpool_limits

    from convviz.backends import numpy_backend

    rng = np.random.default_rng(8)
    spec = ConvSpec((1, 3, int(rng.integers(132, 160)), int(rng.integers(132, 160))), 4, 7, stride=2, padding=3)
    conv_plan = plan(spec)
    backend = NumpyBackend()
    depth = 3 * 7 * 7 * 4
    one, two = (backend.block_size("im2col-chunked", conv_plan, 4, threads) for threads in (1, 2))
    largest = backend.block_size("im2col-chunked", conv_plan, 4)
    assert one == max(2**20, depth * numpy_backend.IM2COL_BLOCK_POSITIONS) < two <= largest
    declared = backend.scratch_parts(conv_plan, np.float32, "im2col-chunked")["im2col matrix"]
    x = rng.standard_normal(spec.input_shape).astype(np.float32)
    w = rng.standard_normal(spec.weight_shape).astype(np.float32)
    expected = reference_conv2d(x.astype(np.float64), w.astype(np.float64), conv_plan)
    for threads in (1, 2):
        with threadpool_limits(threads, user_api="blas"):
            rows, cols = backend.chunk_shape(conv_plan, 4)
            assert rows * cols * depth <= declared
            if threads == 1:
                assert rows < conv_plan.output_size[0]  # several blocks: their seams are checked below
            np.testing.assert_allclose(backend.convolve(x, w, conv_plan, algorithm="im2col-chunked"), expected,
                                       rtol=1e-4, atol=1e-3)
