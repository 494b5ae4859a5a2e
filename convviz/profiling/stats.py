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


SPREAD_LIMIT = 1.5
"""A timing is unstable when its p90 exceeds SPREAD_LIMIT × its p10: runs of one convolution
that differ that much were slowed by something other than the convolution."""


def spread_ratio(summary: Summary) -> float:
    """p90 / p10: 1.0 when every run took the same time."""
    return summary.p90_ms / summary.p10_ms if summary.p10_ms > 0 else float("inf")


@dataclass(frozen=True)
class Verdict:
    """Whether a timing can be trusted; if not, the likely cause in words (`reason`) and in a
    few (`brief`, for a table cell or a bar's label)."""

    stable: bool
    reason: str = ""
    brief: str = ""

    @property
    def short(self) -> str:
        """"stable", or "UNSTABLE: <brief cause>"."""
        return "stable" if self.stable else f"UNSTABLE: {self.brief}"


def busy_load(load, cpus: int | None) -> bool:
    """True when a 1-minute load average says more work wanted the CPUs than there are CPUs."""
    return load is not None and cpus is not None and cpus > 0 and load > cpus


def judge(summary: Summary, load_before: float | None, load_after: float | None, cpus: int | None,
          spread_limit: float = SPREAD_LIMIT) -> Verdict:
    """Stable unless the spread stays over `spread_limit` (p90/p10) or the machine was busy
    (1-minute load above its CPUs) before or after the timing."""
    reasons, briefs = [], []
    if busy_load(load_before, cpus) or busy_load(load_after, cpus):
        reasons.append(f"machine busy: load {_load_text(load_before)} before, {_load_text(load_after)} after, "
                       f"on {cpus} CPUs")
        briefs.append(f"busy (load {max(v for v in (load_before, load_after) if v is not None):.1f})")
    ratio = spread_ratio(summary)
    if summary.count > 1 and ratio > spread_limit:
        reasons.append(f"spread p90/p10 {ratio_text(ratio)}× (over {spread_limit:g}×): other work or clock changes "
                       "slowed some runs")
        briefs.append(f"spread {ratio_text(ratio)}×")
    return Verdict(not reasons, "; ".join(reasons), ", ".join(briefs))


def ratio_text(ratio: float) -> str:
    """A p90/p10 ratio in two figures, or a whole number from 100 up."""
    return f"{ratio:.2g}" if ratio < 100 else f"{ratio:.0f}"


def _load_text(load) -> str:
    return "?" if load is None else f"{load:.2f}"
