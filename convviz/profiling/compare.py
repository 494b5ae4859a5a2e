"""Ratios between two backends over the same specs (e.g. NumPy against PyTorch CPU)."""

from __future__ import annotations

from dataclasses import dataclass

from .stats import percentile


@dataclass(frozen=True)
class Comparison:
    backend: str
    peer: str
    kind: str
    ratios: dict  # shape -> backend median / peer median (> 1: the backend is slower)

    @property
    def median(self) -> float | None:
        return percentile(list(self.ratios.values()), 0.5) if self.ratios else None

    @property
    def worst(self) -> float | None:
        return max(self.ratios.values()) if self.ratios else None


def _fastest(records, backend: str, kind: str) -> dict:
    best = {}
    for record in records:
        if record.backend == backend and record.kind == kind and record.trusted:
            best[record.shape] = min(best.get(record.shape, float("inf")), record.median_ms)
    return best


def fastest_median(records, backend: str, kind: str) -> float | None:
    """The lowest median of `backend`'s correct, stable `kind` records (its fastest algorithm), or
    None. Unstable records (Measurement.trusted) never stand in a ratio."""
    found = [record.median_ms for record in records
             if record.backend == backend and record.kind == kind and record.trusted]
    return min(found) if found else None


@dataclass(frozen=True)
class CopyShare:
    """A GPU backend's copies against its whole end-to-end time."""

    copy_in_ms: float
    copy_out_ms: float
    share: float


def copy_share(records, backend: str) -> CopyShare | None:
    """How much of `backend`'s fastest end-to-end time its host↔device copies take; None without
    copy records."""
    copy_in, copy_out = fastest_median(records, backend, "copy-in"), fastest_median(records, backend, "copy-out")
    whole = fastest_median(records, backend, "end-to-end")
    if copy_in is None or copy_out is None or not whole:
        return None
    return CopyShare(copy_in, copy_out, (copy_in + copy_out) / whole)


def compare(records, backend: str = "numpy", peer: str = "torch-cpu", kind: str = "end-to-end",
            where=None) -> Comparison:
    """backend median ÷ peer median for every shape both ran with a stable, correct timing (the
    fastest algorithm of each); `where(record)` can restrict the shapes (e.g. to channel-heavy ones)."""
    if where is not None:
        records = [record for record in records if where(record)]
    mine, theirs = _fastest(records, backend, kind), _fastest(records, peer, kind)
    ratios = {shape: mine[shape] / theirs[shape] for shape in mine if shape in theirs and theirs[shape] > 0}
    return Comparison(backend, peer, kind, ratios)


def single_channel(record) -> bool:
    spec = record.spec
    return spec["input_shape"][1] == 1 and spec["out_channels"] == 1
