"""What a run's records say, for a reader: GPU against CPU, the copies' share, rates with their
units, which records are one timing, and the rows, bars and lines that show them.

Backends are told apart by what they declared (`Measurement.host`, `Measurement.family`), never by
name: "the GPU" is convviz's own device backend, "the CPU" convviz's own host backend.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from ..backends.base import CONVVIZ
from .compare import copy_share, fastest_median
from .records import TIMING_KINDS, Measurement
from .stats import ratio_text
from .sweep import crossover

TABLE_COLUMNS = ("backend", "algorithm", "kind", "median ms", "p10–p90 ms", "stability", "threads", "GFLOP/s",
                 "roofline", "correct")
SAME_TIMING = "kernel = end-to-end"


def own_backend(records, host: bool) -> str | None:
    """The name of convviz's own host (or device) backend among `records`' timings; None if none ran."""
    for record in records:
        if record.family == CONVVIZ and record.host is host and record.kind in TIMING_KINDS:
            return record.backend
    return None


@dataclass(frozen=True)
class Ratio:
    """convviz's device backend against its host backend, for one kind of timing."""

    kind: str
    device_ms: float
    host_ms: float

    @property
    def value(self) -> float:
        return self.device_ms / self.host_ms

    def text(self) -> str:
        faster = "GPU" if self.device_ms < self.host_ms else "CPU"
        return f"GPU/CPU time ({self.kind}): {self.value:.3g}× ({faster} faster)"


def gpu_cpu_ratios(records) -> list[Ratio]:
    """End-to-end, then kernel: the fastest correct median of each side, where both ran."""
    device, host = own_backend(records, host=False), own_backend(records, host=True)
    ratios = []
    for kind in ("end-to-end", "kernel"):
        device_ms = fastest_median(records, device, kind) if device else None
        host_ms = fastest_median(records, host, kind) if host else None
        if device_ms is not None and host_ms is not None and host_ms > 0:
            ratios.append(Ratio(kind, device_ms, host_ms))
    return ratios


def device_copy_share(records):
    """The copies' share of convviz's device backend's end-to-end time (compare.CopyShare), or None."""
    device = own_backend(records, host=False)
    return copy_share(records, device) if device else None


def no_device_reason(backends=None) -> str | None:
    """Why convviz's device backend cannot run here, as it says; None when it can.

    backends: the backends to ask (default: all of convviz's)."""
    if backends is None:
        from ..backends import all_backends

        backends = all_backends().values()
    for backend in backends:
        if backend.family == CONVVIZ and not backend.host:
            status = backend.available()
            if not status:
                return status.reason
    return None


def comparison_lines(records, backends=None) -> list[str]:
    """The GPU/CPU ratios and the GPU's copy share; where there are none and the GPU cannot run
    here, why not."""
    lines = [ratio.text() for ratio in gpu_cpu_ratios(records)]
    copies = device_copy_share(records)
    if copies is not None:
        lines.append(f"GPU copies: in {copies.copy_in_ms:.3g} ms + out {copies.copy_out_ms:.3g} ms, "
                     f"{copies.share:.0%} of the GPU's end-to-end time")
    if not lines and own_backend(records, host=False) and own_backend(records, host=True):
        lines.append("GPU/CPU ratio: none — no stable, correct timing on both sides (see the stability column)")
    if not lines:
        reason = no_device_reason(backends)
        if reason is not None:
            lines.append(f"GPU/CPU ratio: no GPU here — {reason}")
    return lines


# rates, rows and bars ---------------------------------------------------------------------------

def rate_label(record: Measurement, number_format: str = ".3g") -> str:
    """The record's rate with its unit ("1.2 GFLOP/s", a copy's "3 GB/s"), or "" when it has none."""
    rate = record.rate()
    return "" if rate is None else f"{rate[0]:{number_format}} {rate[1]}"


def same_timing(record: Measurement) -> bool:
    """True for a host backend's kernel or end-to-end record: with nothing to copy, the two are
    one timing."""
    return record.host is True and record.kind in TIMING_KINDS


def table_order(records) -> list[Measurement]:
    """End-to-end records first, then by backend and algorithm."""
    return sorted(records, key=lambda record: (record.kind != "end-to-end", record.backend, record.algorithm))


def threads_text(record: Measurement) -> str:
    return "" if record.thread_count is None else str(record.thread_count)


def table_row(record: Measurement) -> list[str]:
    """The record's cells under TABLE_COLUMNS."""
    roofline = "" if record.roofline_fraction is None else f"{record.roofline_fraction:.1%}"
    return [record.backend, record.algorithm, record.kind, f"{record.median_ms:.4g}",
            f"{record.p10_ms:.4g}–{record.p90_ms:.4g}", record.stability_text(), threads_text(record),
            record.rate_text(".3g"), roofline, "yes" if record.correct else f"NO (error {record.max_error:.2g})"]


@dataclass(frozen=True)
class Bar:
    """One bar: `name` says what was timed (for the axis), `detail` its figure, rate and any
    warning (beside the bar); `label` is both."""

    record: Measurement
    label: str
    name: str = ""
    detail: str = ""


def bars(records) -> list[Bar]:
    """One bar per timing, top to bottom: end-to-end records (a host backend's one timing among
    them, also while a live run has reported only one of its two records), then the rest."""
    one_timing = {(record.backend, record.algorithm) for record in records if same_timing(record)}
    shown, seen = [], set()
    for record in sorted(table_order(records),
                         key=lambda r: (r.kind != "end-to-end" and (r.backend, r.algorithm) not in one_timing,
                                        r.backend, r.algorithm)):
        key = (record.backend, record.algorithm)
        if key in one_timing and key in seen:
            continue
        seen.add(key)
        kind = SAME_TIMING if key in one_timing else record.kind
        mark = "" if record.correct else " ✗ WRONG"
        if record.stable is False:
            mark += f" ⚠ unstable: {record.stability}"
        name = f"{record.backend} {record.algorithm}" + ("" if key in one_timing else f" ({kind})")
        detail = f"{record.median_ms:.3g} ms · {rate_label(record)}{mark}"
        shown.append(Bar(record, f"{record.backend} {record.algorithm} ({kind}) · {rate_label(record)}{mark}",
                         name, detail))
    return shown


def timed_for(records) -> str | None:
    """The spec the records were timed for, described (a sweep's: its first); None without records."""
    return records[0].shape if records else None


def stability_line(records) -> str:
    """How far the run can be trusted: how many timings (a host backend's one timing once) are
    unstable and why, with the threads and the load; "" without verdicts."""
    judged = [record for record in records
              if record.stable is not None and not (same_timing(record) and record.kind == "end-to-end")]
    if not judged:
        return ""
    threads = sorted({record.thread_count for record in judged if record.thread_count is not None})
    loads = [load for record in judged for load in (record.load_before, record.load_after) if load is not None]
    about = []
    if threads:
        about.append(f"{'/'.join(map(str, threads))} thread{'s' if threads != [1] else ''}")
    if loads:
        about.append(f"load {min(loads):.2f}–{max(loads):.2f}")
    context = f" ({', '.join(about)})" if about else ""
    unstable = [record for record in judged if record.stable is False]
    if not unstable:
        return f"all {len(judged)} timings stable{context}"
    busy = sum("busy" in record.stability for record in unstable)
    spread = [record.p90_ms / record.p10_ms for record in unstable if "spread" in record.stability]
    causes = []
    if busy:
        causes.append(f"{busy} ran while the machine was busy")
    if spread:
        causes.append(f"{len(spread)} spread up to {ratio_text(max(spread))}× (p90/p10)")
    return (f"⚠ {len(unstable)} of {len(judged)} timings unstable{context}: {', '.join(causes)} — "
            "left out of ratios; try fewer threads or a quieter machine")


def run_summary(records, skipped, subject: str | None = None) -> str:
    """The status line of a finished run: how many timings and for which spec (or `subject`),
    and what was skipped, why."""
    text = f"done: {len(records)} timings"
    if records:
        text += f" for {subject or timed_for(records)}"
    notes = list(dict.fromkeys(f"{item.backend}: {item.reason}" for item in skipped))
    if notes:
        text += " · skipped " + "; ".join(notes)
    return text


# sweeps -----------------------------------------------------------------------------------------

class SweepPoint(NamedTuple):
    value: int
    median_ms: float
    stable: bool  # False when the record behind the point was judged unstable


def sweep_series(records) -> dict[str, list[SweepPoint]]:
    """Per backend, its fastest end-to-end median at each swept value, in increasing value."""
    fastest: dict[str, dict[int, Measurement]] = {}
    for record in records:
        if record.kind != "end-to-end" or record.sweep_value is None:
            continue
        values = fastest.setdefault(record.backend, {})
        best = values.get(record.sweep_value)
        if best is None or record.median_ms < best.median_ms:
            values[record.sweep_value] = record
    return {backend: [SweepPoint(value, record.median_ms, record.stable is not False)
                      for value, record in sorted(values.items())]
            for backend, values in fastest.items()}


def swept_values(records) -> list[int]:
    return sorted({record.sweep_value for record in records if record.sweep_value is not None})


def sweep_crossover(records, kind: str = "end-to-end") -> int | None:
    """The smallest swept value where convviz's device backend beats its host backend (`kind` timings)."""
    device, host = own_backend(records, host=False), own_backend(records, host=True)
    return crossover(records, gpu=device, cpu=host, kind=kind) if device and host else None


def crossover_mark(value: int) -> str:
    return f"GPU faster from {value}"


def input_size_sweep_lines(records, backends=None) -> list[str]:
    """Where the GPU starts to win an input-size sweep; else the comparison of `comparison_lines`."""
    point = sweep_crossover(records)
    unjudged = sorted({record.sweep_value for record in records
                       if record.sweep_value is not None and record.stable is False})
    note = []
    if unjudged and own_backend(records, host=False):
        note = [f"sizes {', '.join(map(str, unjudged))}: unstable timings, left out of the crossover"]
    if point is not None:
        return [f"crossover: the GPU wins end to end from input {point}×{point}", *note]
    return [*comparison_lines(records, backends), *note]
