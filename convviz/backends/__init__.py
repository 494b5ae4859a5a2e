"""Backends that run a planned convolution: NumPy on the CPU, CuPy CUDA kernels on the GPU.

Backends are found by name and imported lazily, so a missing optional
package (CuPy) makes that backend unavailable, with the reason, and nothing else.
"""

from __future__ import annotations

import importlib
from functools import cache

from ..core import ConvSpecError, check_arrays, plan
from .base import Availability, Backend

BACKEND_CLASSES = {
    "numpy": ("convviz.backends.numpy_backend", "NumpyBackend"),
    "cupy": ("convviz.backends.cupy_backend", "CupyBackend"),
}


class _MissingBackend(Backend):
    def __init__(self, name: str, reason: str):
        self.name = name
        self._reason = reason

    def available(self) -> Availability:
        return Availability(False, self._reason)


@cache
def get_backend(name: str) -> Backend:
    """The backend called `name`, whether or not it can run here."""
    if name not in BACKEND_CLASSES:
        raise ConvSpecError(f"unknown backend {name!r}; choose one of {', '.join(BACKEND_CLASSES)}")
    module_name, class_name = BACKEND_CLASSES[name]
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        return _MissingBackend(name, f"{name} backend could not be loaded: {error}")
    return getattr(module, class_name)()


def all_backends() -> dict[str, Backend]:
    return {name: get_backend(name) for name in BACKEND_CLASSES}


def available() -> list[str]:
    """Names of the backends that work on this machine."""
    return [name for name, backend in all_backends().items() if backend.available()]


def convolve(x, w, spec_or_plan, backend: str = "numpy", bias=None, algorithm: str | None = None):
    """Run the convolution of `spec_or_plan` on `backend`; see DESIGN.md for the semantics."""
    conv_plan = plan(spec_or_plan)
    chosen = get_backend(backend)
    status = chosen.available()
    if not status:
        raise RuntimeError(f"backend {backend!r} is not available: {status.reason}")
    reason = chosen.supports(conv_plan)
    if reason:
        raise ConvSpecError(reason)
    dtype = check_arrays(x, w, conv_plan, bias)
    if algorithm is None:
        algorithm = chosen.choose_algorithm(conv_plan, dtype)
    chosen.check_algorithm(algorithm, conv_plan)
    chosen.check_memory(conv_plan, dtype, algorithm)
    return chosen.convolve(x, w, conv_plan, bias=bias, algorithm=algorithm)


def forward(x, weight, spec_or_plan, backend: str = "numpy", bias=None, algorithm: str | None = None):
    """Run any planned operation (convolution, transposed convolution, max or average pooling,
    with groups) on `backend`: PyTorch's semantics; `weight` is None for pooling."""
    return convolve(x, weight, spec_or_plan, backend=backend, bias=bias, algorithm=algorithm)


__all__ = ["Availability", "Backend", "all_backends", "available", "check_arrays", "convolve", "forward",
           "get_backend"]
