"""Summary statistics of repeated timings: median and spread, nothing fancier."""

from __future__ import annotations

import math
from dataclasses import dataclass


def percentile(samples, fraction: float) -> float:
    """The `fraction` (0..1) percentile with linear interpolation between order statistics
    (NumPy's default method), so percentile(s, 0.5) is the median."""
    ordered = sorted(float(value) for value in samples)
    if not ordered:
        raise ValueError("percentile of no samples")
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"fraction must be within 0..1 (got {fraction})")
    position = fraction * (len(ordered) - 1)
    below = math.floor(position)
    above = min(below + 1, len(ordered) - 1)
    weight = position - below
    return ordered[below] + (ordered[above] - ordered[below]) * weight


@dataclass(frozen=True)
class Summary:
    """Median and spread of timings in milliseconds."""

    count: int
    median_ms: float
    p10_ms: float
    p90_ms: float
    min_ms: float
    max_ms: float

    @property
    def spread_ms(self) -> float:
        """Width of the central 80 %: p90 − p10."""
        return self.p90_ms - self.p10_ms


def summarize(samples_ms) -> Summary:
    samples = [float(value) for value in samples_ms]
    if not samples:
        raise ValueError("no timings to summarise")
    return Summary(
        count=len(samples),
        median_ms=percentile(samples, 0.5),
        p10_ms=percentile(samples, 0.1),
        p90_ms=percentile(samples, 0.9),
        min_ms=min(samples),
        max_ms=max(samples),
    )
