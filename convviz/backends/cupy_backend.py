"""The GPU backend: convviz's own CUDA kernels (resources/kernels) compiled by NVRTC through CuPy.

CuPy is imported only when the backend is used, so this module imports on machines without it;
`available()` then says why the GPU cannot be used. Which kernel runs and how it is launched is
decided in `cuda_kernels` (no CuPy there), so the compile and emulation tests check exactly
what runs here.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np

from ..core import ConvSpecError, check_arrays
from ..core.memory import MemoryEstimate, array_estimate, check_fits
from .base import CONVVIZ, Availability, Backend, Timer
from .cuda_kernels import (
    ALGORITHMS,
    REDUCE_FUNCTION,
    KernelVariant,
    Launch,
    kernel_arguments,
    kernel_source,
    plan_launch,
)
from .cuda_kernels import algorithms_for as cuda_algorithms_for
from .cuda_kernels import choose_algorithm as choose_kernel

CUDA_ERROR_NO_DEVICE = 100
DEVICE_HEADROOM = 0.9
"""Share of the GPU memory free now that one convolution may take (the rest absorbs the CUDA
context, compiled modules and CuPy's pool rounding)."""
CUDA_ERROR_INSUFFICIENT_DRIVER = 35
COMPILE_OPTIONS = ("-std=c++17",)


class CudaBackendError(RuntimeError):
    """A GPU failure (out of memory, failed compile or launch), in words; the backend stays usable.

    Except after an illegal memory access: CUDA then poisons the context for the whole process,
    and only a restart helps (convviz's kernels bound every access, so they do not cause one).
    """


class DeviceOutOfMemory(CudaBackendError):
    pass


def _import_cupy():
    import cupy

    return cupy


def probe_cuda() -> Availability:
    """Can CuPy run kernels here? If not, the reason a user can act on."""
    try:
        cupy = _import_cupy()
    except ImportError:
        return Availability(False, "cupy not installed")
    except Exception as error:
        return Availability(False, f"cupy could not be imported: {error}")
    runtime = cupy.cuda.runtime
    try:
        driver_version = runtime.driverGetVersion()
    except Exception:
        driver_version = 0
    if not driver_version:
        return Availability(False, "CUDA driver not found")
    try:
        count = runtime.getDeviceCount()
    except runtime.CUDARuntimeError as error:
        status = getattr(error, "status", None)
        if status == CUDA_ERROR_NO_DEVICE:
            return Availability(False, "no CUDA device")
        if status == CUDA_ERROR_INSUFFICIENT_DRIVER:
            return Availability(
                False, f"CUDA driver {_version_text(driver_version)} is too old for this CuPy "
                f"(built for CUDA {_version_text(runtime.runtimeGetVersion())})"
            )
        return Availability(False, f"CUDA is not usable: {error}")
    if count < 1:
        return Availability(False, "no CUDA device")
    problem = _nvrtc_problem()
    if problem:
        return Availability(False, problem)
    return Availability(True)


def _nvrtc_problem() -> str | None:
    """Why NVRTC (which compiles the kernels) cannot load, or None if it can or we cannot tell."""
    try:
        from cupy_backends.cuda.libs import nvrtc
    except Exception:
        return None
    try:
        nvrtc.getVersion()
    except Exception as error:
        return f"NVRTC, the CUDA runtime compiler, could not be loaded ({error})"
    return None


def _version_text(version: int) -> str:
    return f"{version // 1000}.{version % 1000 // 10}"


class CudaEventTimer(Timer):
    """Device time between two CUDA events recorded on the current stream."""

    def __init__(self, cupy):
        self._cupy = cupy
        self._start = None

    def start(self) -> None:
        self._start = self._cupy.cuda.Event()
        self._start.record()

    def stop(self) -> float:
        end = self._cupy.cuda.Event()
        end.record()
        end.synchronize()
        return float(self._cupy.cuda.get_elapsed_time(self._start, end))


@dataclass
class _Compiled:
    """A loaded variant. Variants with weights in constant memory share that memory between
    calls, so a call waits (on the device) for the previous call's kernel before overwriting it."""

    function: object
    constant_weights: object = None
    reduce: object = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    last_use: object = None


class CupyBackend(Backend):
    name = "cupy"
    host = False
    family = CONVVIZ
    algorithms = ALGORITHMS
    failures = (CudaBackendError,)

    def __init__(self):
        self._availability: Availability | None = None
        self._compiled: dict[KernelVariant, _Compiled] = {}
        self._compile_lock = threading.Lock()

    @property
    def device(self) -> str:
        if not self.available():
            return "CUDA GPU (not available)"
        cupy = _import_cupy()
        properties = cupy.cuda.runtime.getDeviceProperties(cupy.cuda.Device().id)
        name = properties["name"]
        return name.decode() if isinstance(name, bytes) else str(name)

    def available(self) -> Availability:
        if self._availability is None:
            self._availability = probe_cuda()
        return self._availability

    def algorithms_for(self, conv_plan) -> tuple[str, ...]:
        return cuda_algorithms_for(conv_plan)

    def choose_algorithm(self, conv_plan, dtype) -> str:
        return choose_kernel(conv_plan, np.dtype(dtype))

    def launch_for(self, conv_plan, dtype, algorithm: str | None = None) -> Launch:
        """The variant and grid `convolve` would use (ConvSpecError if the algorithm cannot run it)."""
        algorithm = self.check_algorithm(algorithm or self.choose_algorithm(conv_plan, dtype), conv_plan)
        return plan_launch(conv_plan, np.dtype(dtype), algorithm)

    def memory_estimate(self, conv_plan, dtype, algorithm: str) -> MemoryEstimate:
        """GPU memory of one convolution: input, weights, bias, output, and the partial sums of a
        split-K GEMM (the kernels read padding through the index mapping: no padded copy)."""
        itemsize = np.dtype(dtype).itemsize
        parts = dict(array_estimate(conv_plan, dtype).parts)
        parts.pop("padded input", None)
        parts["bias"] = conv_plan.spec.out_channels * itemsize
        try:
            shares = self.launch_for(conv_plan, dtype, algorithm).workspace_elements
        except ConvSpecError:  # the algorithm cannot run this plan: convolve says so, in words
            shares = 0
        if shares:
            parts["split-K shares"] = shares * itemsize
        return MemoryEstimate(parts, "GPU memory")

    def check_memory(self, conv_plan, dtype, algorithm: str) -> None:
        """Refuse, before anything is allocated, a convolution the GPU has no room for; the
        output also comes back to the host, so that copy must fit the host limit."""
        estimate = self.memory_estimate(conv_plan, dtype, algorithm)
        check_fits(estimate, limit=device_memory_free(_import_cupy()), what="this convolution")
        check_fits(MemoryEstimate({"output": estimate.parts["output"]}), what="the result copied back")

    def convolve(self, x, w, conv_plan, bias=None, algorithm=None):
        dtype = check_arrays(x, w, conv_plan, bias)
        launch = self.launch_for(conv_plan, dtype, algorithm)
        cupy = _import_cupy()
        give_host = not isinstance(x, cupy.ndarray)
        try:
            y = self._run(cupy, launch, conv_plan, dtype, x, w, bias)
            return cupy.asnumpy(y) if give_host else y
        except CudaBackendError:
            raise
        except cupy.cuda.memory.OutOfMemoryError as error:
            raise DeviceOutOfMemory(
                f"the GPU ran out of memory for {conv_plan.spec.describe()} "
                f"(output alone needs {_mib(np.prod(conv_plan.output_shape) * dtype.itemsize)}): {error}"
            ) from error
        except (cupy.cuda.runtime.CUDARuntimeError, cupy.cuda.driver.CUDADriverError) as error:
            raise CudaBackendError(
                f"CUDA failed running the {launch.variant.algorithm} kernel on {conv_plan.spec.describe()}: {error}"
            ) from error

    def _run(self, cupy, launch: Launch, conv_plan, dtype, x, w, bias):
        x = cupy.ascontiguousarray(cupy.asarray(x, dtype=dtype))
        w = x if w is None else cupy.ascontiguousarray(cupy.asarray(w, dtype=dtype))  # pooling reads no weights
        has_bias = bias is not None
        bias = cupy.ascontiguousarray(cupy.asarray(bias, dtype=dtype)) if has_bias else w
        y = cupy.empty(conv_plan.output_shape, dtype=dtype)
        compiled = self._compile(cupy, launch.variant)
        integers = tuple(np.int32(value) for value in (*kernel_arguments(conv_plan), int(has_bias)))
        if launch.reduce_grid is not None:
            shares = cupy.empty((launch.workspace_elements,), dtype=dtype)
            compiled.function(launch.grid, launch.block, (x, w, bias, shares, *integers))
            compiled.reduce(launch.reduce_grid, launch.reduce_block, (shares, w, bias, y, *integers))
            return y
        arguments = (x, w, bias, y, *integers)
        if compiled.constant_weights is None:
            compiled.function(launch.grid, launch.block, arguments)
            return y
        with compiled.lock:
            stream = cupy.cuda.get_current_stream()
            if compiled.last_use is not None:
                stream.wait_event(compiled.last_use)
            compiled.constant_weights.copy_from_device_async(w.data, w.nbytes, stream)
            compiled.function(launch.grid, launch.block, arguments)
            compiled.last_use = stream.record()
        return y

    def _compile(self, cupy, variant: KernelVariant) -> _Compiled:
        compiled = self._compiled.get(variant)
        if compiled is not None:
            return compiled
        with self._compile_lock:
            compiled = self._compiled.get(variant)
            if compiled is None:
                compiled = self._load(cupy, variant)
                self._compiled[variant] = compiled
        return compiled

    def _load(self, cupy, variant: KernelVariant) -> _Compiled:
        try:
            module = cupy.RawModule(
                code=kernel_source(variant.algorithm), options=COMPILE_OPTIONS + variant.options()
            )
            function = module.get_function(variant.function_name)
            constant = module.get_global("c_weights") if variant.weights_in_constant else None
            reduce = module.get_function(REDUCE_FUNCTION) if variant.split_k > 1 else None
        except (cupy.cuda.memory.OutOfMemoryError, cupy.cuda.runtime.CUDARuntimeError, cupy.cuda.driver.CUDADriverError):
            raise
        except Exception as error:
            raise CudaBackendError(f"the {variant.describe()} kernel did not compile: {error}") from error
        return _Compiled(function, constant, reduce)

    def to_device(self, array):
        return _import_cupy().asarray(array)

    def to_host(self, array):
        return _import_cupy().asnumpy(array)

    def synchronize(self) -> None:
        _import_cupy().cuda.Device().synchronize()

    def timer(self) -> Timer:
        return CudaEventTimer(_import_cupy())


def device_memory_free(cupy) -> int:
    """Bytes one convolution may allocate on the current GPU now: a share of what the driver
    reports free plus what CuPy's pool holds unused, within the pool's limit if one is set."""
    free, _total = cupy.cuda.runtime.memGetInfo()
    pool = cupy.get_default_memory_pool()
    room = int(free * DEVICE_HEADROOM) + pool.free_bytes()
    limit = pool.get_limit()
    if limit:
        room = min(room, max(0, limit - pool.used_bytes()))
    return room


def _mib(size: int) -> str:
    return f"{size / 2**20:.1f} MiB"
