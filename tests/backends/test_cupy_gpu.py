"""The CuPy backend on a real CUDA device (marker `gpu`; skipped where cupy.is_available() is False)."""

from __future__ import annotations

import numpy as np
import pytest
from helpers.cupy_cases import SPECS, assert_matches, needs_gpu, random_inputs

from convviz.backends.cuda_kernels import ALGORITHMS
from convviz.backends.cupy_backend import CudaBackendError, CupyBackend, DeviceOutOfMemory
from convviz.core import ConvSpec, plan, reference_conv2d
from convviz.core.memory import MemoryLimitError

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
        x, w, bias = random_inputs(spec, dtype, index)
        conv_plan = plan(spec)
        expected = reference_conv2d(x, w, conv_plan, bias)
        on_host = gpu_backend.convolve(x, w, conv_plan, bias=bias, algorithm=algorithm)
        assert type(on_host) is np.ndarray
        assert_matches(on_host, expected, dtype)
        on_device = gpu_backend.convolve(cupy.asarray(x), cupy.asarray(w), conv_plan, bias=cupy.asarray(bias),
                                         algorithm=algorithm)
        assert isinstance(on_device, cupy.ndarray)
        assert_matches(cupy.asnumpy(on_device), expected, dtype)


@pytest.mark.gpu
@needs_gpu
@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_gpu_repeat_runs_are_bit_identical(gpu_backend, algorithm):
    import cupy

    spec = SPECS[2]
    x, w, bias = (cupy.asarray(array) for array in random_inputs(spec, np.float32, 11))
    first = cupy.asnumpy(gpu_backend.convolve(x, w, plan(spec), bias=bias, algorithm=algorithm))
    for _ in range(3):
        again = cupy.asnumpy(gpu_backend.convolve(x, w, plan(spec), bias=bias, algorithm=algorithm))
        assert np.array_equal(first.view(np.uint32), again.view(np.uint32))


@pytest.mark.gpu
@needs_gpu
def test_gpu_out_of_memory_is_clear_and_backend_recovers(gpu_backend):
    import cupy

    spec = ConvSpec((4, 8, 256, 256), 16, 3, padding=1)
    x, w, bias = random_inputs(spec, np.float32, 5)
    pool = cupy.get_default_memory_pool()
    pool.free_all_blocks()
    pool.set_limit(size=2**20)
    try:
        with pytest.raises(DeviceOutOfMemory):
            gpu_backend.convolve(x, w, plan(spec))
    finally:
        pool.set_limit(size=0)
    assert_matches(gpu_backend.convolve(x, w, plan(spec), bias=bias), reference_conv2d(x, w, plan(spec), bias), np.float32)


@pytest.mark.gpu
@needs_gpu
def test_gpu_launch_error_is_clear_and_backend_recovers(gpu_backend, monkeypatch):
    from convviz.backends.cuda_kernels import Launch

    spec = SPECS[0]
    x, w, bias = random_inputs(spec, np.float32, 6)
    good = gpu_backend.launch_for(plan(spec), np.float32, "direct")
    monkeypatch.setattr(gpu_backend, "launch_for", lambda *args: Launch(good.variant, good.grid, (4096, 1, 1), 0))
    with pytest.raises(CudaBackendError, match="CUDA failed"):
        gpu_backend.convolve(x, w, plan(spec), algorithm="direct")
    monkeypatch.undo()
    assert_matches(gpu_backend.convolve(x, w, plan(spec), bias=bias), reference_conv2d(x, w, plan(spec), bias), np.float32)


@pytest.mark.gpu
@needs_gpu
def test_gpu_timer_and_transfers(gpu_backend):
    spec = SPECS[2]
    x, w, bias = random_inputs(spec, np.float32, 8)
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
    x, w, bias = random_inputs(spec, np.float32, 12)
    first = gpu_backend.convolve(x, w, conv_plan, bias=bias, algorithm="implicit-gemm")
    assert_matches(first, reference_conv2d(x, w, conv_plan, bias), np.float32)
    device = [cupy.asarray(array) for array in (x, w, bias)]
    again = cupy.asnumpy(gpu_backend.convolve(device[0], device[1], conv_plan, bias=device[2],
                                              algorithm="implicit-gemm"))
    assert np.array_equal(first.view(np.uint32), again.view(np.uint32))
