"""What a benchmark ran on: CPU, cores, library versions, thread counts."""

from __future__ import annotations

import ctypes
import datetime
import os
import platform
import sys

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


def _openblas_libraries():
    """OpenBLAS shared libraries loaded into this process (NumPy's, SciPy's ...)."""
    paths = []
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            for line in maps:
                path = line.split()[-1] if "/" in line else ""
                name = os.path.basename(path).lower()
                if "openblas" in name and ".so" in name and path not in paths:
                    paths.append(path)
    except OSError:
        pass
    libraries = []
    for path in paths:
        try:
            libraries.append((path, ctypes.CDLL(path)))
        except OSError:
            continue
    return libraries


def _call(library, names, restype):
    for name in names:
        function = getattr(library, name, None)
        if function is not None:
            function.restype = restype
            return function()
    return None


def openblas_info() -> dict:
    """Thread count and kernel family of the OpenBLAS NumPy uses (first one loaded)."""
    for path, library in _openblas_libraries():
        threads = _call(library, ("scipy_openblas_get_num_threads64_", "openblas_get_num_threads64_", "openblas_get_num_threads"), ctypes.c_int)
        core = _call(library, ("scipy_openblas_get_corename64_", "openblas_get_corename64_", "openblas_get_corename"), ctypes.c_char_p)
        if threads is not None:
            return {
                "library": os.path.basename(path),
                "threads": int(threads),
                "core": core.decode() if core else None,
            }
    return {}


def thread_counts() -> dict:
    """Threads each library computes with, as stated in every report."""
    counts = {"cpu_count": os.cpu_count()}
    blas = openblas_info()
    if blas:
        counts["openblas_threads"] = blas["threads"]
        counts["openblas_core"] = blas["core"]
    torch = sys.modules.get("torch")
    if torch is not None:
        counts["torch_threads"] = torch.get_num_threads()
        counts["torch_interop_threads"] = torch.get_num_interop_threads()
    for name in THREAD_ENV:
        if os.environ.get(name):
            counts[name] = os.environ[name]
    return counts


def load_average() -> list[float] | None:
    """1, 5 and 15 minute load averages: above the CPU count, other work shared the cores."""
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except (OSError, AttributeError):
        return None


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
