"""Measurement records: plain data that serialise to JSON and CSV."""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import asdict, dataclass, field, fields

TIMING_KINDS = ("kernel", "end-to-end")
COPY_KINDS = ("copy-in", "copy-out")


@dataclass
class Measurement:
    """One timed (backend, algorithm, kind) on one spec.

    `kind` is "kernel" (the convolution on arrays already on the device,
    timed with the device's own timer: CUDA events on a GPU) or "end-to-end"
    (host wall time of copy in + convolution + copy out + synchronise). On a
    CPU backend there is nothing to copy, so both records carry the same
    timing, and `note` says so. A GPU backend also gets "copy-in" (input and
    weights to the device) and "copy-out" (the output back) records, algorithm
    "copy", timed with the device's timer: their `gflops` is NaN, `gbps` the
    copy's rate, and `correct` says whether a round trip came back bit for
    bit. Times are in milliseconds; `gflops` and `gbps` use the median. `max_error` is the largest |result − reference| divided by
    the largest |reference|. `host` and `family` say what it ran on, as the backend declared
    (`Backend.host`, `Backend.family`); None in records saved before they were recorded.

    `thread_count` is the thread limit the backend's library computed with (BLAS threads for
    convviz's backends and SciPy, PyTorch's intra-op threads for its peers); `threads` what the
    libraries reported inside that limit. `load_before` and `load_after` are the 1-minute load
    averages around the timing; `stable` is the verdict of stats.judge (spread and load) and
    `stability` its cause in a few words when unstable. All None or empty in older records.
    """

    backend: str
    algorithm: str
    kind: str
    device: str
    spec: dict
    dtype: str
    repeats: int
    median_ms: float
    p10_ms: float
    p90_ms: float
    min_ms: float
    max_ms: float
    flops: int
    bytes: int
    gflops: float
    gbps: float
    roofline_fraction: float | None
    correct: bool
    max_error: float
    threads: dict = field(default_factory=dict)
    shape: str = ""
    note: str = ""
    sweep_parameter: str | None = None
    sweep_value: int | None = None
    host: bool | None = None
    family: str | None = None
    thread_count: int | None = None
    load_before: float | None = None
    load_after: float | None = None
    stable: bool | None = None
    stability: str = ""

    @property
    def trusted(self) -> bool:
        """Fit for ratios and crossovers: correct, and not judged unstable (records saved before
        verdicts were recorded carry None and count as trusted)."""
        return self.correct and self.stable is not False

    def stability_text(self) -> str:
        """"stable", "UNSTABLE: <cause>", or "" for a record saved before verdicts were recorded."""
        if self.stable is None:
            return ""
        return "stable" if self.stable else f"UNSTABLE: {self.stability}"

    def to_dict(self) -> dict:
        values = asdict(self)
        for name, value in values.items():
            if isinstance(value, float) and not math.isfinite(value):
                values[name] = None if math.isnan(value) else ("inf" if value > 0 else "-inf")
        return values

    @classmethod
    def from_dict(cls, values: dict) -> Measurement:
        known = {item.name for item in fields(cls)}
        values = {name: value for name, value in values.items() if name in known}
        for name in ("max_error", "gflops", "gbps"):
            if isinstance(values.get(name), str):
                values[name] = float(values[name])
            elif name in values and values[name] is None:
                values[name] = float("nan")
        return cls(**values)

    def rate(self) -> tuple[float, str] | None:
        """The rate to show and its unit: (GFLOP/s, "GFLOP/s"), or for a copy (no arithmetic)
        (GB/s, "GB/s"); None when there is none."""
        if math.isfinite(self.gflops):
            return self.gflops, "GFLOP/s"
        if self.kind in COPY_KINDS and math.isfinite(self.gbps):
            return self.gbps, "GB/s"
        return None

    def rate_text(self, number_format: str = ".1f") -> str:
        """For a GFLOP/s column: GFLOP/s as a number, a copy's rate with its unit (GB/s), or "—"."""
        rate = self.rate()
        if rate is None:
            return "—"
        value, unit = rate
        return format(value, number_format) if unit == "GFLOP/s" else f"{value:{number_format}} {unit}"


CSV_COLUMNS = [item.name for item in fields(Measurement)]


def records_to_json(records, machine: dict | None = None, indent: int | None = 2) -> str:
    """{"machine": ..., "records": [...]}: the records and the machine they were measured on."""
    return json.dumps(
        {"machine": machine, "records": [record.to_dict() for record in records]},
        indent=indent, ensure_ascii=False,
    )


def records_from_json(text: str) -> list[Measurement]:
    return [Measurement.from_dict(values) for values in json.loads(text)["records"]]


def records_to_csv(records) -> str:
    """One row per record; `spec` and `threads` as JSON text in their cells, an empty cell for None."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for record in records:
        row = record.to_dict()
        row["spec"] = json.dumps(row["spec"], ensure_ascii=False)
        row["threads"] = json.dumps(row["threads"], ensure_ascii=False)
        writer.writerow({name: "" if value is None else value for name, value in row.items()})
    return buffer.getvalue()
