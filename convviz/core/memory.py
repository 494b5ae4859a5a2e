"""Memory estimates and the guard that refuses work that cannot fit.

Every convolution and benchmark is estimated before it allocates: input,
weights, output, the padded copy and any scratch a strategy needs. Work over
the limit is refused with the estimate and the limit in the message. The
default limit is 80% of the memory the machine has free at that moment;
`CONVVIZ_MEMORY_LIMIT` (e.g. `2G`, `512M`) overrides it.
"""

from __future__ import annotations

import math
import os
import re
import time
from dataclasses import dataclass, field

import numpy as np

from .errors import ConvSpecError

DEFAULT_FRACTION = 0.8
_UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}


class MemoryLimitError(ConvSpecError):
    """The work would need more memory than the limit allows."""


def format_bytes(count: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(count) < 1024 or unit == "TiB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} TiB"


def parse_bytes(text: str) -> int:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:I?B)?\s*", str(text), re.IGNORECASE)
    if not match:
        raise ConvSpecError(f"memory limit must look like 512M or 2G (got {text!r})")
    return int(float(match.group(1)) * _UNITS[match.group(2).upper()])


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes a piece of work needs, by part (input, weights, output, scratch ...)."""

    parts: dict[str, int] = field(default_factory=dict)
    where: str = "host memory"

    @property
    def total(self) -> int:
        return sum(self.parts.values())

    def plus(self, **parts: int) -> MemoryEstimate:
        merged = dict(self.parts)
        for name, count in parts.items():
            merged[name] = merged.get(name, 0) + int(count)
        return MemoryEstimate(merged, self.where)

    def describe(self) -> str:
        listed = ", ".join(f"{name} {format_bytes(count)}" for name, count in self.parts.items() if count)
        return f"about {format_bytes(self.total)} of {self.where} ({listed})"


def array_estimate(conv_plan, dtype, where: str = "host memory") -> MemoryEstimate:
    """Input, weights, output and the padded copy of the input, for one convolution."""
    spec = conv_plan.spec
    itemsize = np.dtype(dtype).itemsize
    n, c = spec.batch, spec.in_channels
    padded = n * c * conv_plan.padded_shape[0] * conv_plan.padded_shape[1] if any(conv_plan.pads) else 0
    return MemoryEstimate(
        {
            "input": math.prod(spec.input_shape) * itemsize,
            "weights": math.prod(spec.weight_shape or (0,)) * itemsize,
            "output": math.prod(conv_plan.output_shape) * itemsize,
            "padded input": padded * itemsize,
        },
        where,
    )


AXIS_BYTES_PER_INDEX = 48
"""Peak bytes of an axis' maps (source, padding flags, reads and their temporaries) per padded index."""


def plan_estimate(conv_plan, coverage_map: bool = False) -> MemoryEstimate:
    """The plan's own arrays: the per-axis maps (linear in the padded sizes) and, when asked,
    the (H, W) coverage map and (Hp, Wp) padding mask that views draw."""
    parts = {"per-axis maps": sum(axis.padded_size * AXIS_BYTES_PER_INDEX + axis.size * 24
                                  for axis in conv_plan.axes)}
    if coverage_map:
        height, width = conv_plan.spec.input_size
        parts["coverage map"] = height * width * 8
        parts["padding mask"] = conv_plan.padded_shape[0] * conv_plan.padded_shape[1]
    return MemoryEstimate(parts)


def peak_estimate(held: dict[str, int], steps: dict[str, MemoryEstimate], where: str = "host memory"
                  ) -> MemoryEstimate:
    """`held` (kept throughout) plus the largest of `steps`, which run one after another and
    free what they allocate; the step is named in the parts."""
    parts = {name: int(count) for name, count in held.items()}
    if steps:
        name, step = max(steps.items(), key=lambda item: item[1].total)
        parts[f"largest step: {name}"] = step.total
    return MemoryEstimate(parts, where)


AVAILABLE_MEMORY_TTL_S = 0.5
"""How long a reading of the free memory is reused: reading /proc/meminfo costs about 30 µs,
a third of a small convolution, and the figure does not change meaningfully within this."""
_last_reading = (float("-inf"), 0)


def available_memory() -> int:
    """Bytes of host memory free now (read at most every AVAILABLE_MEMORY_TTL_S)."""
    global _last_reading
    taken, value = _last_reading
    now = time.monotonic()
    if now - taken > AVAILABLE_MEMORY_TTL_S:
        value = _read_available_memory()
        _last_reading = (now, value)
    return value


def _read_available_memory() -> int:
    """MemAvailable on Linux, else physical pages free."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 4 * 2**30


def memory_limit() -> int:
    """The host memory limit now: CONVVIZ_MEMORY_LIMIT, else 80% of what is free."""
    configured = os.environ.get("CONVVIZ_MEMORY_LIMIT")
    if configured:
        return parse_bytes(configured)
    return int(available_memory() * DEFAULT_FRACTION)


def check_fits(estimate: MemoryEstimate, limit: int | None = None, what: str = "this convolution") -> None:
    limit = memory_limit() if limit is None else limit
    if estimate.total > limit:
        raise MemoryLimitError(
            f"{what} needs {estimate.describe()}, more than the limit of {format_bytes(limit)}; "
            "make the input, channels or batch smaller"
        )
