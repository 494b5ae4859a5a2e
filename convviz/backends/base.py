"""The small interface every backend implements."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Availability:
    """Whether a backend can run here, and if not, why (in words a user understands)."""

    ok: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.ok


class Backend:
    """A way to run a planned convolution.

    Subclasses set `name`, `device` and `algorithms`, and implement
    `available`, `choose_algorithm` and `convolve`. `convolve` takes an
    explicit algorithm or chooses one; callers that need to show which ran
    ask `choose_algorithm` first (it is deterministic), so a backend holds no
    per-call state and can be shared between threads.
    """

    name = "backend"
    device = "unknown"
    algorithms: tuple[str, ...] = ()

    def available(self) -> Availability:
        raise NotImplementedError

    def choose_algorithm(self, conv_plan, dtype) -> str:
        raise NotImplementedError

    def convolve(self, x, w, conv_plan, bias=None, algorithm=None):
        raise NotImplementedError

    def check_algorithm(self, algorithm: str) -> str:
        from ..core import ConvSpecError

        if algorithm not in self.algorithms:
            raise ConvSpecError(
                f"the {self.name} backend has no algorithm {algorithm!r}; "
                f"it has {', '.join(self.algorithms)}"
            )
        return algorithm
