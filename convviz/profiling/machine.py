"""What a benchmark ran on: CPU, cores, library versions, thread counts."""

from __future__ import annotations

import datetime
import os
import platform
import sys
from contextlib import contextmanager

import numpy as np

THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as cpuinfo:
            for line in cpuinfo:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def available_cpus() -> int:
    """The logical CPUs this process may run on (its affinity), else the machine's count."""
    try:
        return len(os.sched_getaffinity(0)) or (os.cpu_count() or 1)
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def default_threads() -> int:
    """The thread count timings use unless told otherwise: one per CPU this process may use
    (what NumPy's BLAS and PyTorch pick by themselves), now chosen and recorded."""
    return available_cpus()


def check_threads(count, what: str = "--threads") -> int:
    """A thread count from a person: a whole number from 1 to 4 × the CPUs (ConvSpecError otherwise)."""
    from ..core import ConvSpecError

    most = 4 * available_cpus()
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= most:
        raise ConvSpecError(f"{what} must be a whole number from 1 to {most} (got {count!r})")
    return count


def blas_info() -> list[dict]:
    """The BLAS libraries loaded into this process (NumPy's, SciPy's …), as threadpoolctl sees them."""
    from threadpoolctl import threadpool_info

    return [item for item in threadpool_info() if item.get("user_api") == "blas"]


@contextmanager
def thread_limits(blas: int, torch_threads: int | None = None):
    """Within the block, BLAS libraries compute with `blas` threads (threadpoolctl) and, when
    `torch_threads` is given, PyTorch's intra-op pool with that many (torch.set_num_threads,
    importing PyTorch); both are put back afterwards."""
    from threadpoolctl import threadpool_limits

    torch = None
    if torch_threads is not None:
        import torch
    previous = torch.get_num_threads() if torch is not None else None
    with threadpool_limits(limits=blas, user_api="blas"):
        if torch is not None:
            torch.set_num_threads(torch_threads)
        try:
            yield
        finally:
            if torch is not None:
                torch.set_num_threads(previous)


def thread_counts() -> dict:
    """Threads each library computes with now, as stated in every report (read, not assumed:
    inside `thread_limits` these are the limits in force)."""
    counts = {"cpu_count": os.cpu_count(), "available_cpus": available_cpus()}
    blas = blas_info()
    if blas:
        counts["blas_threads"] = blas[0]["num_threads"]
        counts["blas"] = f"{blas[0].get('internal_api', '?')} {blas[0].get('version') or ''}".strip()
        if blas[0].get("architecture"):
            counts["blas_core"] = blas[0]["architecture"]
    torch = sys.modules.get("torch")
    if torch is not None:
        counts["torch_threads"] = torch.get_num_threads()
        counts["torch_interop_threads"] = torch.get_num_interop_threads()
    for name in THREAD_ENV:
        if os.environ.get(name):
            counts[name] = os.environ[name]
    return counts


def load_average() -> list[float] | None:
    """1, 5 and 15 minute load averages: above the CPU count, more work wanted the CPUs than
    there were CPUs (ours included: a timing with as many threads as CPUs adds up to that many)."""
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except (OSError, AttributeError):
        return None


def load_1min() -> float | None:
    """The 1-minute load average, or None where the system cannot say."""
    load = load_average()
    return load[0] if load else None


def machine_info() -> dict:
    info = {
        "date_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu_model(),
        "logical_cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "threads": thread_counts(),
        "load_average": load_average(),
    }
    for name in ("torch", "scipy", "cupy"):
        module = sys.modules.get(name)
        if module is not None:
            info[name] = getattr(module, "__version__", "?")
    gpu = _gpu_name()
    if gpu:
        info["gpu"] = gpu
    return info


def _gpu_name() -> str | None:
    cupy = sys.modules.get("cupy")
    if cupy is None:
        return None
    try:
        device = cupy.cuda.Device()
        properties = cupy.cuda.runtime.getDeviceProperties(device.id)
        name = properties["name"]
        return name.decode() if isinstance(name, bytes) else str(name)
    except Exception:
        return None
