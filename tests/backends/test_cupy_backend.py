"""The CuPy backend: availability with reasons, and the whole convolve path under a CPU emulation
of CuPy (marker `emulation`); the real-GPU tests are in test_cupy_gpu.py."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from helpers.cuda_emulation import compiler
from helpers.cupy_cases import EMULATED_SPECS, assert_matches, gpu_ready, random_inputs  # noqa: E402

import convviz
from convviz.backends import available, cupy_backend, get_backend
from convviz.backends.cuda_kernels import ALGORITHMS
from convviz.backends.cupy_backend import CudaBackendError, CupyBackend, DeviceOutOfMemory
from convviz.core import ConvSpec, ConvSpecError, plan, reference_conv2d
from convviz.core.memory import MemoryLimitError

needs_gxx = pytest.mark.skipif(compiler() is None, reason="g++ not found")


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


@pytest.mark.skipif(gpu_ready(), reason="this machine has a GPU")
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
def fake_cupy(emulation_builds):
    from helpers.fake_cupy import FakeCupy

    return FakeCupy(emulation_builds)


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
        x, w, bias = random_inputs(spec, np.float32, index)
        conv_plan = plan(spec)
        use_bias = bias if index != 1 else None
        y = emulated_backend.convolve(x, w, conv_plan, bias=use_bias, algorithm=algorithm)
        assert type(y) is np.ndarray and y.dtype == np.float32
        assert_matches(y, reference_conv2d(x, w, conv_plan, use_bias), np.float32)


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
        x, w, bias = random_inputs(spec, np.float32, seed)
        bias = bias if use_bias else None
        y = emulated_backend.convolve(x, w, conv_plan, bias=bias, algorithm="implicit-gemm")
        assert_matches(y, reference_conv2d(x, w, conv_plan, bias), np.float32)


@pytest.mark.emulation
@needs_gxx
def test_device_arrays_in_device_arrays_out_and_mixed_dtypes(emulated_backend, fake_cupy):
    spec = ConvSpec((1, 1, 13, 17), 1, 1, stride=2)
    x, w, bias = random_inputs(spec, np.float64, 7)
    conv_plan = plan(spec)
    y = emulated_backend.convolve(fake_cupy.asarray(x), w.astype(np.float32), conv_plan, bias=bias)
    assert isinstance(y, fake_cupy.ndarray) and y.dtype == np.float64
    assert_matches(y, reference_conv2d(x, w.astype(np.float32), conv_plan, bias), np.float64)


@pytest.mark.emulation
@needs_gxx
def test_constant_memory_weights_are_refreshed_each_call(emulated_backend, fake_cupy):
    spec = ConvSpec((1, 2, 12, 12), 2, 3, padding=1)
    conv_plan = plan(spec)
    assert emulated_backend.launch_for(conv_plan, np.float32, "tiled").variant.weights_in_constant
    before = fake_cupy.constant_copies
    for seed in (1, 2):
        x, w, bias = random_inputs(spec, np.float32, seed)
        y = emulated_backend.convolve(x, w, conv_plan, bias=bias, algorithm="tiled")
        assert_matches(y, reference_conv2d(x, w, conv_plan, bias), np.float32)
    assert fake_cupy.constant_copies == before + 2
    assert fake_cupy.waited_events >= 1


@pytest.mark.emulation
@needs_gxx
def test_variants_compile_once(emulated_backend, fake_cupy):
    spec = EMULATED_SPECS[0]
    x, w, _ = random_inputs(spec, np.float32, 3)
    emulated_backend.convolve(x, w, plan(spec), algorithm="direct")
    built = fake_cupy.modules_built
    other = spec.replace(input_shape=(1, 3, 6, 5))
    x, w, _ = random_inputs(other, np.float32, 4)
    emulated_backend.convolve(x, w, plan(other), algorithm="direct")
    assert fake_cupy.modules_built == built


def test_cuda_failures_become_backend_errors(emulated_backend, fake_cupy, monkeypatch):
    spec = EMULATED_SPECS[0]
    x, w, _ = random_inputs(spec, np.float32, 3)

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
    assert {backend: record.host for (backend, _), record in kinds.items()} == {"numpy": True, "cupy": False}
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
    x, w, bias = random_inputs(spec, np.float32, 9)
    working = fake_cupy.RawModule

    class Broken(working):
        def get_function(self, name):
            raise fake_cupy.cuda.compiler.CompileException("error: identifier undefined")

    monkeypatch.setattr(fake_cupy, "RawModule", Broken)
    with pytest.raises(CudaBackendError, match="did not compile"):
        emulated_backend.convolve(x, w, plan(spec), bias=bias, algorithm="implicit-gemm")
    monkeypatch.setattr(fake_cupy, "RawModule", working)
    y = emulated_backend.convolve(x, w, plan(spec), bias=bias, algorithm="implicit-gemm")
    assert_matches(y, reference_conv2d(x, w, plan(spec), bias), np.float32)
