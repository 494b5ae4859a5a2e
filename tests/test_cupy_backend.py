"""The CuPy backend: availability with reasons, the whole convolve path under a CPU emulation of
CuPy (marker `emulation`), and on a real GPU (marker `gpu`)."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from cuda_emulation import compiler, precompile_shim

import convviz
from convviz.backends import available, cupy_backend, get_backend
from convviz.backends.cuda_kernels import ALGORITHMS
from convviz.backends.cupy_backend import CudaBackendError, CupyBackend, DeviceOutOfMemory
from convviz.core import ConvSpec, ConvSpecError, plan, reference_conv2d
from convviz.core.memory import MemoryLimitError


def _gpu_ready() -> bool:
    try:
        import cupy
    except Exception:
        return False
    try:
        return bool(cupy.is_available())
    except Exception:
        return False


needs_gpu = pytest.mark.skipif(not _gpu_ready(), reason="no usable CUDA device (cupy.is_available() is False)")
needs_gxx = pytest.mark.skipif(compiler() is None, reason="g++ not found")

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


def _inputs(spec, dtype, seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, spec.input_shape).astype(dtype)
    w = rng.uniform(-1, 1, spec.weight_shape).astype(dtype)
    bias = rng.uniform(-1, 1, spec.out_channels).astype(dtype)
    return x, w, bias


def _assert_close(y, expected, dtype):
    assert np.isfinite(y).all(), "some outputs were never written"
    tolerance = (1e-5 if np.dtype(dtype) == np.float32 else 1e-12) * max(1.0, np.abs(expected).max())
    assert np.abs(np.asarray(y, dtype=np.float64) - expected).max() <= tolerance


# --- availability -------------------------------------------------------------------------


def test_unavailable_with_reason_when_cupy_cannot_be_imported(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", None)
    backend = CupyBackend()
    status = backend.available()
    assert not status and status.reason == "cupy not installed"
    get_backend.cache_clear()
    try:
        assert "numpy" in available() and "cupy" not in available()
        with pytest.raises(RuntimeError, match="cupy not installed"):
            convviz.convolve(np.ones((1, 1, 4, 4)), np.ones((1, 1, 3, 3)), ConvSpec((1, 1, 4, 4)), backend="cupy")
    finally:
        get_backend.cache_clear()


@pytest.mark.skipif(_gpu_ready(), reason="this machine has a GPU")
def test_reason_given_where_there_is_no_gpu():
    status = CupyBackend().available()
    assert not status
    assert status.reason
    assert CupyBackend().device.startswith("CUDA GPU")


def test_backend_lists_its_algorithms_and_chooses_one():
    backend = CupyBackend()
    assert backend.algorithms == ALGORITHMS
    conv_plan = plan(ConvSpec((8, 64, 56, 56), 64, 3, padding=1))
    assert backend.choose_algorithm(conv_plan, np.float32) == "implicit-gemm"
    with pytest.raises(ConvSpecError, match="no algorithm 'fft'"):
        backend.launch_for(conv_plan, np.float32, "fft")


# --- the whole convolve path on the CPU emulation of CuPy -----------------------------------


@pytest.fixture(scope="module")
def fake_cupy(tmp_path_factory):
    from fake_cupy import FakeCupy

    directory = tmp_path_factory.mktemp("fake-cupy")
    return FakeCupy(directory, precompile_shim(directory))


@pytest.fixture
def emulated_backend(fake_cupy, monkeypatch):
    monkeypatch.setattr(cupy_backend, "_import_cupy", lambda: fake_cupy)
    backend = CupyBackend()
    backend._availability = convviz.backends.Availability(True)
    return backend


@pytest.mark.emulation
@needs_gxx
@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_convolve_runs_every_algorithm_through_the_backend(emulated_backend, fake_cupy, algorithm):
    for index, spec in enumerate(EMULATED_SPECS):
        x, w, bias = _inputs(spec, np.float32, index)
        conv_plan = plan(spec)
        use_bias = bias if index != 1 else None
        y = emulated_backend.convolve(x, w, conv_plan, bias=use_bias, algorithm=algorithm)
        assert type(y) is np.ndarray and y.dtype == np.float32
        _assert_close(y, reference_conv2d(x, w, conv_plan, use_bias), np.float32)


@pytest.mark.emulation
@needs_gxx
def test_a_layer_too_small_to_fill_the_gpu_splits_k_and_sums_the_shares(emulated_backend, fake_cupy):
    spec = ConvSpec((1, 16, 6, 7), 3, 3, padding=1, padding_mode="replicate")
    conv_plan = plan(spec)
    launch = emulated_backend.launch_for(conv_plan, np.float32, "implicit-gemm")
    assert launch.variant.split_k > 1 and launch.grid[2] == launch.variant.split_k
    estimate = emulated_backend.memory_estimate(conv_plan, np.float32, "implicit-gemm")
    assert estimate.parts["split-K shares"] == launch.variant.split_k * 3 * 6 * 7 * 4
    for seed, use_bias in ((1, True), (2, False)):
        x, w, bias = _inputs(spec, np.float32, seed)
        bias = bias if use_bias else None
        y = emulated_backend.convolve(x, w, conv_plan, bias=bias, algorithm="implicit-gemm")
        _assert_close(y, reference_conv2d(x, w, conv_plan, bias), np.float32)


@pytest.mark.emulation
@needs_gxx
def test_device_arrays_in_device_arrays_out_and_mixed_dtypes(emulated_backend, fake_cupy):
    spec = ConvSpec((1, 1, 13, 17), 1, 1, stride=2)
    x, w, bias = _inputs(spec, np.float64, 7)
    conv_plan = plan(spec)
    y = emulated_backend.convolve(fake_cupy.asarray(x), w.astype(np.float32), conv_plan, bias=bias)
    assert isinstance(y, fake_cupy.ndarray) and y.dtype == np.float64
    _assert_close(y, reference_conv2d(x, w.astype(np.float32), conv_plan, bias), np.float64)


@pytest.mark.emulation
@needs_gxx
def test_constant_memory_weights_are_refreshed_each_call(emulated_backend, fake_cupy):
    spec = ConvSpec((1, 2, 12, 12), 2, 3, padding=1)
    conv_plan = plan(spec)
    assert emulated_backend.launch_for(conv_plan, np.float32, "tiled").variant.weights_in_constant
    before = fake_cupy.constant_copies
    for seed in (1, 2):
        x, w, bias = _inputs(spec, np.float32, seed)
        y = emulated_backend.convolve(x, w, conv_plan, bias=bias, algorithm="tiled")
        _assert_close(y, reference_conv2d(x, w, conv_plan, bias), np.float32)
    assert fake_cupy.constant_copies == before + 2
    assert fake_cupy.waited_events >= 1


@pytest.mark.emulation
@needs_gxx
def test_variants_compile_once(emulated_backend, fake_cupy):
    spec = EMULATED_SPECS[0]
    x, w, _ = _inputs(spec, np.float32, 3)
    emulated_backend.convolve(x, w, plan(spec), algorithm="direct")
    built = fake_cupy.modules_built
    other = spec.replace(input_shape=(1, 3, 6, 5))
    x, w, _ = _inputs(other, np.float32, 4)
    emulated_backend.convolve(x, w, plan(other), algorithm="direct")
    assert fake_cupy.modules_built == built


def test_cuda_failures_become_backend_errors(emulated_backend, fake_cupy, monkeypatch):
    spec = EMULATED_SPECS[0]
    x, w, _ = _inputs(spec, np.float32, 3)

    def out_of_memory(*args, **kwargs):
        raise fake_cupy.cuda.memory.OutOfMemoryError("out of memory allocating 1,000,000 bytes")

    monkeypatch.setattr(fake_cupy, "empty", out_of_memory)
    with pytest.raises(DeviceOutOfMemory, match="ran out of memory") as caught:
        emulated_backend.convolve(x, w, plan(spec), algorithm="direct")
    assert isinstance(caught.value, RuntimeError)

    def launch_failure(*args, **kwargs):
        raise fake_cupy.cuda.driver.CUDADriverError("CUDA_ERROR_INVALID_VALUE: invalid argument")

    monkeypatch.setattr(fake_cupy, "empty", launch_failure)
    with pytest.raises(CudaBackendError, match="CUDA failed running the direct kernel"):
        emulated_backend.convolve(x, w, plan(spec), algorithm="direct")


@pytest.mark.emulation
@needs_gxx
def test_profiler_times_kernels_and_each_copy_on_a_gpu_backend(emulated_backend, fake_cupy, monkeypatch):
    from convviz import backends
    from convviz.profiling import profile

    real = backends.get_backend
    monkeypatch.setattr(backends, "get_backend", lambda name: emulated_backend if name == "cupy" else real(name))
    spec = EMULATED_SPECS[0]
    synchronized = fake_cupy.synchronized
    records = profile(spec, backends=["numpy", "cupy"], repeats=3, roofline_peaks=False, settle_s=0)
    kinds = {(record.backend, record.kind): record for record in records}
    assert set(kinds) == {("numpy", "kernel"), ("numpy", "end-to-end"), ("cupy", "kernel"), ("cupy", "end-to-end"),
                          ("cupy", "copy-in"), ("cupy", "copy-out")}
    assert all(record.correct and record.repeats == 3 and record.median_ms > 0 for record in records)
    assert kinds[("cupy", "kernel")].device == "Emulated GPU"
    assert kinds[("cupy", "kernel")].algorithm == emulated_backend.choose_algorithm(plan(spec), np.float32)
    copy_in, copy_out = kinds[("cupy", "copy-in")], kinds[("cupy", "copy-out")]
    assert copy_in.algorithm == copy_out.algorithm == "copy"
    assert copy_in.bytes == (np.prod(spec.input_shape) + np.prod(spec.weight_shape)) * 4
    assert copy_out.bytes == np.prod(plan(spec).output_shape) * 4
    assert copy_in.gbps > 0 and np.isnan(copy_in.gflops) and copy_in.rate_text().endswith("GB/s")
    assert fake_cupy.synchronized > synchronized


def test_a_gpu_failure_skips_that_backend_and_the_rest_are_timed(emulated_backend, fake_cupy, monkeypatch):
    from convviz import backends
    from convviz.profiling import profile

    real = backends.get_backend
    monkeypatch.setattr(backends, "get_backend", lambda name: emulated_backend if name == "cupy" else real(name))

    def out_of_memory(*args, **kwargs):
        raise fake_cupy.cuda.memory.OutOfMemoryError("out of memory allocating 1,000,000 bytes")

    monkeypatch.setattr(fake_cupy, "empty", out_of_memory)
    skipped = []
    records = profile(EMULATED_SPECS[0], backends=["numpy", "cupy"], repeats=2, roofline_peaks=False, settle_s=0,
                      skipped=skipped)
    assert {record.backend for record in records} == {"numpy"} and all(record.correct for record in records)
    assert [(item.backend, "ran out of memory" in item.reason) for item in skipped] == [("cupy", True)]


@pytest.mark.emulation
@needs_gxx
def test_a_copy_that_does_not_round_trip_is_marked_wrong(emulated_backend, fake_cupy, monkeypatch):
    from convviz import backends
    from convviz.profiling import profile

    monkeypatch.setattr(backends, "get_backend", lambda name: emulated_backend)
    monkeypatch.setattr(emulated_backend, "to_host", lambda array: np.array(array).view(np.ndarray)[..., ::-1])
    records = profile(EMULATED_SPECS[1], backends=["cupy"], repeats=1, roofline_peaks=False, settle_s=0)
    wrong = {record.kind for record in records if not record.correct}
    assert {"copy-in", "copy-out"} <= wrong


def test_device_memory_estimate_has_no_padded_copy():
    spec = ConvSpec((2, 3, 40, 50), 4, 5, padding="same", padding_mode="reflect")
    estimate = CupyBackend().memory_estimate(plan(spec), np.float32, "tiled")
    assert estimate.where == "GPU memory"
    assert estimate.parts == {
        "input": 2 * 3 * 40 * 50 * 4, "weights": 4 * 3 * 5 * 5 * 4, "output": 2 * 4 * 40 * 50 * 4, "bias": 4 * 4,
    }


def test_device_guard_refuses_before_allocating(emulated_backend, fake_cupy, monkeypatch):
    spec = ConvSpec((8, 16, 512, 512), 32, 3, padding=1)
    conv_plan = plan(spec)
    needed = emulated_backend.memory_estimate(conv_plan, np.float32, "implicit-gemm").total
    allocations = []
    monkeypatch.setattr(fake_cupy, "empty", lambda *args, **kwargs: allocations.append(args))
    monkeypatch.setattr(convviz.backends, "get_backend", lambda name: emulated_backend)
    monkeypatch.setattr(fake_cupy, "device_free", int(needed / cupy_backend.DEVICE_HEADROOM) - 2**20)
    x = np.zeros((1,), np.float32)
    with pytest.raises(MemoryLimitError, match="GPU memory") as refused:
        convviz.convolve(np.broadcast_to(x, spec.input_shape), np.broadcast_to(x, spec.weight_shape), conv_plan,
                         backend="cupy")
    assert "input 128.0 MiB" in str(refused.value) and "padded" not in str(refused.value)
    assert allocations == []
    fake_cupy.pool.unused = 2 * 2**20
    emulated_backend.check_memory(conv_plan, np.float32, "implicit-gemm")
    fake_cupy.pool.limit, fake_cupy.pool.used = needed, 2 * 2**20
    with pytest.raises(MemoryLimitError, match="GPU memory"):
        emulated_backend.check_memory(conv_plan, np.float32, "implicit-gemm")


def test_device_guard_checks_the_host_copy_of_the_result(emulated_backend, monkeypatch):
    monkeypatch.setenv("CONVVIZ_MEMORY_LIMIT", "1M")
    spec = ConvSpec((1, 1, 1024, 1024), 1, 1)
    with pytest.raises(MemoryLimitError, match="the result copied back"):
        emulated_backend.check_memory(plan(spec), np.float32, "direct")


@pytest.mark.emulation
@needs_gxx
def test_compile_failure_is_clear_and_not_cached(emulated_backend, fake_cupy, monkeypatch):
    spec = EMULATED_SPECS[2]
    x, w, bias = _inputs(spec, np.float32, 9)
    working = fake_cupy.RawModule

    class Broken(working):
        def get_function(self, name):
            raise fake_cupy.cuda.compiler.CompileException("error: identifier undefined")

    monkeypatch.setattr(fake_cupy, "RawModule", Broken)
    with pytest.raises(CudaBackendError, match="did not compile"):
        emulated_backend.convolve(x, w, plan(spec), bias=bias, algorithm="implicit-gemm")
    monkeypatch.setattr(fake_cupy, "RawModule", working)
    y = emulated_backend.convolve(x, w, plan(spec), bias=bias, algorithm="implicit-gemm")
    _assert_close(y, reference_conv2d(x, w, plan(spec), bias), np.float32)


# --- a real GPU ---------------------------------------------------------------------------


@pytest.fixture
def gpu_backend():
    backend = CupyBackend()
    assert backend.available(), backend.available().reason
    return backend


@pytest.fixture
def poisoned_outputs(monkeypatch):
    """The backend's output buffers start as NaN, so an element no thread writes fails."""
    import cupy

    monkeypatch.setattr(cupy, "empty", lambda shape, dtype: cupy.full(shape, cupy.nan, dtype=dtype))
    return cupy


@pytest.mark.gpu
@needs_gpu
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_gpu_matches_reference(gpu_backend, poisoned_outputs, algorithm, dtype):
    cupy = poisoned_outputs
    for index, spec in enumerate(SPECS):
        x, w, bias = _inputs(spec, dtype, index)
        conv_plan = plan(spec)
        expected = reference_conv2d(x, w, conv_plan, bias)
        on_host = gpu_backend.convolve(x, w, conv_plan, bias=bias, algorithm=algorithm)
        assert type(on_host) is np.ndarray
        _assert_close(on_host, expected, dtype)
        on_device = gpu_backend.convolve(cupy.asarray(x), cupy.asarray(w), conv_plan, bias=cupy.asarray(bias),
                                         algorithm=algorithm)
        assert isinstance(on_device, cupy.ndarray)
        _assert_close(cupy.asnumpy(on_device), expected, dtype)


@pytest.mark.gpu
@needs_gpu
@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_gpu_repeat_runs_are_bit_identical(gpu_backend, algorithm):
    import cupy

    spec = SPECS[2]
    x, w, bias = (cupy.asarray(array) for array in _inputs(spec, np.float32, 11))
    first = cupy.asnumpy(gpu_backend.convolve(x, w, plan(spec), bias=bias, algorithm=algorithm))
    for _ in range(3):
        again = cupy.asnumpy(gpu_backend.convolve(x, w, plan(spec), bias=bias, algorithm=algorithm))
        assert np.array_equal(first.view(np.uint32), again.view(np.uint32))


@pytest.mark.gpu
@needs_gpu
def test_gpu_out_of_memory_is_clear_and_backend_recovers(gpu_backend):
    import cupy

    spec = ConvSpec((4, 8, 256, 256), 16, 3, padding=1)
    x, w, bias = _inputs(spec, np.float32, 5)
    pool = cupy.get_default_memory_pool()
    pool.free_all_blocks()
    pool.set_limit(size=2**20)
    try:
        with pytest.raises(DeviceOutOfMemory):
            gpu_backend.convolve(x, w, plan(spec))
    finally:
        pool.set_limit(size=0)
    _assert_close(gpu_backend.convolve(x, w, plan(spec), bias=bias), reference_conv2d(x, w, plan(spec), bias), np.float32)


@pytest.mark.gpu
@needs_gpu
def test_gpu_launch_error_is_clear_and_backend_recovers(gpu_backend, monkeypatch):
    from convviz.backends.cuda_kernels import Launch

    spec = SPECS[0]
    x, w, bias = _inputs(spec, np.float32, 6)
    good = gpu_backend.launch_for(plan(spec), np.float32, "direct")
    monkeypatch.setattr(gpu_backend, "launch_for", lambda *args: Launch(good.variant, good.grid, (4096, 1, 1), 0))
    with pytest.raises(CudaBackendError, match="CUDA failed"):
        gpu_backend.convolve(x, w, plan(spec), algorithm="direct")
    monkeypatch.undo()
    _assert_close(gpu_backend.convolve(x, w, plan(spec), bias=bias), reference_conv2d(x, w, plan(spec), bias), np.float32)


@pytest.mark.gpu
@needs_gpu
def test_gpu_timer_and_transfers(gpu_backend):
    spec = SPECS[2]
    x, w, bias = _inputs(spec, np.float32, 8)
    device_x, device_w = gpu_backend.to_device(x), gpu_backend.to_device(w)
    gpu_backend.convolve(device_x, device_w, plan(spec))
    timer = gpu_backend.timer()
    timer.start()
    y = gpu_backend.convolve(device_x, device_w, plan(spec))
    elapsed = timer.stop()
    gpu_backend.synchronize()
    assert elapsed > 0
    assert isinstance(gpu_backend.to_host(y), np.ndarray)
    assert gpu_backend.device and "not available" not in gpu_backend.device


@pytest.mark.gpu
@needs_gpu
def test_gpu_memory_guard_refuses_more_than_the_device_has(gpu_backend):
    import cupy

    _free, total = cupy.cuda.runtime.memGetInfo()
    side = int((total / 4) ** 0.5) + 1
    with pytest.raises(MemoryLimitError, match="GPU memory"):
        gpu_backend.check_memory(plan(ConvSpec((1, 1, side, side), 1, 1)), np.float32, "direct")
    gpu_backend.check_memory(plan(SPECS[0]), np.float32, "direct")


@pytest.mark.gpu
@needs_gpu
def test_gpu_split_k_matches_reference_and_repeats_bit_for_bit(gpu_backend, poisoned_outputs):
    cupy = poisoned_outputs
    spec = ConvSpec((1, 256, 14, 14), 256, 3, padding=1)
    conv_plan = plan(spec)
    assert gpu_backend.launch_for(conv_plan, np.float32, "implicit-gemm").variant.split_k > 1
    x, w, bias = _inputs(spec, np.float32, 12)
    first = gpu_backend.convolve(x, w, conv_plan, bias=bias, algorithm="implicit-gemm")
    _assert_close(first, reference_conv2d(x, w, conv_plan, bias), np.float32)
    device = [cupy.asarray(array) for array in (x, w, bias)]
    again = cupy.asnumpy(gpu_backend.convolve(device[0], device[1], conv_plan, bias=device[2],
                                              algorithm="implicit-gemm"))
    assert np.array_equal(first.view(np.uint32), again.view(np.uint32))
