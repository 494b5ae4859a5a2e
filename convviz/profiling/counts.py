"""Work and traffic of one convolution: FLOPs, minimal bytes, and the rates they give."""

from __future__ import annotations

from ..core import plan as make_plan
from ..core.memory import array_estimate


def conv_flops(spec_or_plan) -> int:
    """2·N·K·Ho·Wo·C·kh·kw: every multiply-add counted as two operations."""
    return make_plan(spec_or_plan).flops


def minimal_bytes(spec_or_plan, dtype="float32") -> int:
    """Input, weights and output each moved once: the least traffic any implementation needs."""
    parts = array_estimate(make_plan(spec_or_plan), dtype).parts
    return parts["input"] + parts["weights"] + parts["output"]


def copy_bytes(spec_or_plan, dtype, kind: str) -> int:
    """Bytes a device copy moves: input and weights in ("copy-in"), the output out ("copy-out")."""
    parts = array_estimate(make_plan(spec_or_plan), dtype).parts
    return parts["input"] + parts["weights"] if kind == "copy-in" else parts["output"]


def rate_per_second(amount: float, milliseconds: float, unit: float = 1e9) -> float:
    """`amount` per second in units of `unit` (1e9: giga) for work that took `milliseconds`."""
    if milliseconds <= 0:
        return float("inf")
    return amount / (milliseconds * 1e-3) / unit


def arithmetic_intensity(flops: float, bytes_moved: float) -> float:
    """FLOPs per byte."""
    return flops / bytes_moved if bytes_moved else float("inf")
