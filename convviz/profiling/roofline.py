"""Device peaks for the roofline: measured, once per process and dtype.

CPU: the best of a few NumPy matmuls of square and convolution-like shapes
(compute: OpenBLAS reaches its best on the latter here) and of large array
copies (memory, counting read + write). GPU: the same through CuPy when it is
installed and a device is present. Nothing here is a datasheet figure; a
device whose peaks cannot be measured gets no roofline fraction (None), and neither does
one whose peaks were measured while the machine was busy: other work slows the matmul and the
copy, the peaks come out low and a fraction against them overstates (it reached 140 % here).
Such peaks are measured again the next time they are asked for on a quiet machine.
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass

import numpy as np

from .machine import available_cpus, load_1min
from .stats import busy_load

MATMUL_SHAPES = ((1024, 1024, 1024), (128, 1152, 4096), (64, 576, 3364))
COPY_BYTES = 64 * 2**20
TRIES = 5


@dataclass(frozen=True)
class Peaks:
    gflops: float
    gbps: float
    source: str
    busy: bool = False
    """Measured while the machine was busy: too low to judge a kernel against."""

    def to_dict(self) -> dict:
        return asdict(self)


_cache: dict = {}
_lock = threading.Lock()


def attainable_gflops(peaks: Peaks, flops: float, bytes_moved: float) -> float:
    """The roofline: min(compute peak, bandwidth × arithmetic intensity)."""
    if bytes_moved <= 0:
        return peaks.gflops
    return min(peaks.gflops, peaks.gbps * flops / bytes_moved)


def roofline_fraction(peaks: Peaks | None, gflops: float, flops: float, bytes_moved: float) -> float | None:
    if peaks is None or peaks.busy:
        return None
    roof = attainable_gflops(peaks, flops, bytes_moved)
    return gflops / roof if roof > 0 else None


def probe_bytes(dtype="float32", threads: int | None = None) -> int:
    """Host memory `measure_cpu_peaks` allocates (0 once measured for `dtype` and `threads` in this
    process): the largest matmul's operands, drawn in float64 first, and the two copy buffers."""
    dtype = np.dtype(dtype)
    with _lock:
        if ("cpu", dtype.str, threads) in _cache:
            return 0
    matmul = max((m * k + k * n) * 8 + (m * k + k * n + m * n) * dtype.itemsize for m, k, n in MATMUL_SHAPES)
    return matmul + 2 * COPY_BYTES


def measure_cpu_peaks(dtype="float32", threads: int | None = None) -> Peaks:
    """The CPU's peaks with the BLAS threads in force now, measured the first time they are asked
    for (per dtype and `threads`, the count the caller set: peaks with 1 thread are not those with 2)."""
    dtype = np.dtype(dtype)
    key = ("cpu", dtype.str, threads)
    with _lock:
        if key not in _cache or (_cache[key].busy and busy_load_now() is None):
            _cache[key] = _measure_cpu(dtype)
        return _cache[key]


def peaks_known(dtype="float32", threads: int | None = None, gpu: bool = False) -> bool:
    """Whether the peaks are already measured in this process (so asking costs nothing)."""
    dtype = np.dtype(dtype)
    key = ("gpu", dtype.str) if gpu else ("cpu", dtype.str, threads)
    with _lock:
        return key in _cache


def busy_load_now() -> float | None:
    """The 1-minute load average when it is above the CPUs this process may use (the machine is
    busy, as the profiler's verdicts judge it), else None."""
    load = load_1min()
    return load if busy_load(load, available_cpus()) else None


def _measure_cpu(dtype) -> Peaks:
    load_before = busy_load_now()
    rng = np.random.default_rng(0)
    best_gflops = 0.0
    for m, k, n in MATMUL_SHAPES:
        a = rng.standard_normal((m, k)).astype(dtype)
        b = rng.standard_normal((k, n)).astype(dtype)
        product = np.empty((m, n), dtype=dtype)  # in place: a fresh result would time page faults too
        np.matmul(a, b, out=product)
        best = min(_wall(lambda a=a, b=b, product=product: np.matmul(a, b, out=product)) for _ in range(TRIES))
        best_gflops = max(best_gflops, 2 * m * k * n / best / 1e9)
    source = np.ones(COPY_BYTES // dtype.itemsize, dtype=dtype)
    target = np.empty_like(source)
    np.copyto(target, source)
    best_copy = min(_wall(lambda: np.copyto(target, source)) for _ in range(TRIES))
    gbps = 2 * source.nbytes / best_copy / 1e9
    shapes = ", ".join("×".join(map(str, shape)) for shape in MATMUL_SHAPES)
    source = (f"measured: best NumPy matmul of {TRIES} tries each at {shapes} (M×K×N) and best "
              f"{COPY_BYTES >> 20} MiB copy (read + write), {dtype.name}")
    load = max((value for value in (load_before, busy_load_now()) if value is not None), default=None)
    if load is not None:
        source += (f"; the machine was busy (load {load:.1f} on {available_cpus()} CPUs), so these peaks are "
                   "too low and no roofline % is given")
    return Peaks(best_gflops, gbps, source, busy=load is not None)


def measure_gpu_peaks(dtype="float32") -> Peaks | None:
    """CuPy matmul and device-to-device copy timed with CUDA events; None without a GPU."""
    dtype = np.dtype(dtype)
    key = ("gpu", dtype.str)
    with _lock:
        if key not in _cache:
            try:
                _cache[key] = _measure_gpu(dtype)
            except Exception:  # no CuPy, no device, no driver: no roofline, not an error
                _cache[key] = None
        return _cache[key]


def _measure_gpu(dtype) -> Peaks:
    import cupy

    size = 4096
    a = cupy.random.standard_normal((size, size)).astype(dtype)
    b = cupy.random.standard_normal((size, size)).astype(dtype)
    source = cupy.ones(256 * 2**20 // dtype.itemsize, dtype=dtype)
    target = cupy.empty_like(source)

    def events(work) -> float:
        start, stop = cupy.cuda.Event(), cupy.cuda.Event()
        work()
        start.record()
        work()
        stop.record()
        stop.synchronize()
        return cupy.cuda.get_elapsed_time(start, stop) / 1e3

    best = min(events(lambda: a @ b) for _ in range(TRIES))
    best_copy = min(events(lambda: cupy.copyto(target, source)) for _ in range(TRIES))
    return Peaks(2 * size**3 / best / 1e9, 2 * source.nbytes / best_copy / 1e9,
                 f"measured: best of {TRIES} CuPy {size}³ matmuls and 256 MiB device copies ({dtype.name}, "
                 "CuPy's default math mode)")


def _wall(work) -> float:
    began = time.perf_counter()
    work()
    return time.perf_counter() - began
