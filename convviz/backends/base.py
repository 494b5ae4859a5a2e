"""The small interface every backend implements."""

from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Availability:
    """Whether a backend can run here, and if not, why (in words a user understands)."""

    ok: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.ok


class Timer:
    """Measures one interval of device work: `start()`, the work, then `stop()` -> milliseconds."""

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> float:
        raise NotImplementedError


class WallTimer(Timer):
    """Host wall-clock timer, for CPU backends (work there is synchronous)."""

    def start(self) -> None:
        self._began = time.perf_counter()

    def stop(self) -> float:
        return (time.perf_counter() - self._began) * 1e3


CONVVIZ = "convviz"
"""The family of convviz's own backends."""
PEER = "peer"
"""The family of other libraries' convolutions, timed beside convviz's (convviz.profiling.peers)."""


class Backend:
    """A way to run a planned convolution.

    Subclasses set `name`, `device`, `host`, `family` and `algorithms`, and
    implement `available`, `choose_algorithm` and `convolve`. `convolve` takes
    an explicit algorithm or chooses one; callers that need to show which ran
    ask `choose_algorithm` first (it is deterministic), so a backend holds no
    per-call state and can be shared between threads.
    """

    name = "backend"
    device = "unknown"
    host = True
    """True when it computes on the host: nothing to copy in or out, nothing queued to wait for
    (the defaults of `to_device`, `to_host`, `synchronize` and `timer` below). False for a device
    backend, whose copies and kernels the profiler times apart."""
    family = CONVVIZ
    """CONVVIZ for convviz's own backends, PEER for another library's convolution."""
    algorithms: tuple[str, ...] = ()
    failures: tuple[type[Exception], ...] = ()
    """Errors of this backend after which the profiler skips it, with the message, and times the
    rest (besides ConvSpecError, which every backend may raise)."""

    def available(self) -> Availability:
        raise NotImplementedError

    def choose_algorithm(self, conv_plan, dtype) -> str:
        raise NotImplementedError

    def supports(self, conv_plan) -> str | None:
        """None when this backend can run `conv_plan`; otherwise why not, in words."""
        return None

    def default_algorithms(self, conv_plan, dtype) -> tuple[str, ...]:
        """What the profiler times when no algorithms are asked for: the one `choose_algorithm` picks."""
        return (self.choose_algorithm(conv_plan, dtype),)

    def convolve(self, x, w, conv_plan, bias=None, algorithm=None):
        raise NotImplementedError

    def memory_estimate(self, conv_plan, dtype, algorithm: str):
        """Host (or device) memory one convolution needs with `algorithm`."""
        from ..core.memory import array_estimate

        return array_estimate(conv_plan, dtype)

    def check_memory(self, conv_plan, dtype, algorithm: str) -> None:
        """Refuse, with the estimate and the limit, a convolution that cannot fit."""
        from ..core.memory import check_fits

        check_fits(self.memory_estimate(conv_plan, dtype, algorithm))

    def to_device(self, array):
        """The array where this backend computes (the host, for CPU backends)."""
        return array

    def to_host(self, array):
        """A NumPy array of a result this backend returned."""
        return array

    def synchronize(self) -> None:
        """Wait until all work queued on the device has finished."""

    def timer(self) -> Timer:
        """A stopwatch for work on this backend's device (CUDA events on a GPU)."""
        return WallTimer()

    def algorithms_for(self, conv_plan) -> tuple[str, ...]:
        """The algorithms that can run `conv_plan` (its operation and groups)."""
        return self.algorithms

    def check_algorithm(self, algorithm: str, conv_plan=None) -> str:
        from ..core import ConvSpecError

        known = self.algorithms if conv_plan is None else self.algorithms_for(conv_plan)
        if algorithm not in known:
            what = "" if conv_plan is None or conv_plan.spec.operation == "conv" and conv_plan.spec.groups == 1 \
                else f" for {conv_plan.spec.operation} with groups {conv_plan.spec.groups}"
            raise ConvSpecError(
                f"the {self.name} backend has no algorithm {algorithm!r}{what}; it has {', '.join(known)}"
            )
        return algorithm
