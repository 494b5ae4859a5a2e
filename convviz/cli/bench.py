"""`convviz bench`: check and time convolutions on every backend and peer; table, JSON, CSV.

Exit status: 0 when every result agreed with the float64 reference, 1 when
any disagreed, 2 for a bad argument or spec.
"""

from __future__ import annotations

import shlex
import sys
import threading
from pathlib import Path

from ..core import ConvSpec, ConvSpecError
from .specargs import add_spec_arguments, spec_from_args, spec_given

DEFAULT_BACKENDS = "numpy,cupy,torch-cpu,torch-cuda,scipy"


def _spec(shape, out_channels, kernel, stride=1, padding=0, dilation=1) -> ConvSpec:
    return ConvSpec(input_shape=shape, out_channels=out_channels, kernel_size=kernel, stride=stride,
                    padding=padding, dilation=dilation)


STANDARD_SUITE = (
    _spec((1, 1, 512, 512), 1, 3),
    _spec((1, 1, 1024, 1024), 1, 5),
    _spec((1, 3, 224, 224), 64, 7, stride=2, padding=3),
    _spec((1, 64, 56, 56), 64, 3, padding=1),
    _spec((8, 64, 56, 56), 64, 3, padding=1),
    _spec((1, 256, 14, 14), 256, 3, padding=1),
    _spec((1, 64, 56, 56), 128, 3, stride=2, padding=1),
    _spec((1, 32, 64, 64), 32, 5, padding=4, dilation=2),
)
QUICK_SUITE = (STANDARD_SUITE[0], STANDARD_SUITE[3], STANDARD_SUITE[6], STANDARD_SUITE[7])
SUITES = {"quick": QUICK_SUITE, "standard": STANDARD_SUITE}
BUSY_LOAD = 0.5
"""A 1-minute load average at least this high before a run means other processes were competing."""


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "bench", help="check and time convolutions on every backend and peer",
        description="Check every backend against the float64 reference, then time it. "
                    "Give spec flags to time one spec instead of a suite. Exits 1 if any result is wrong.",
    )
    add_spec_arguments(parser)
    parser.add_argument("--suite", choices=tuple(SUITES), default="quick", help="suite of specs (default quick)")
    parser.add_argument("--backends", default=DEFAULT_BACKENDS, metavar="LIST",
                        help=f"comma-separated backends and peers (default {DEFAULT_BACKENDS}); "
                             "'torch' and 'scipy' name both of theirs")
    parser.add_argument("--algorithms", default=None, metavar="LIST",
                        help="'all', or comma-separated algorithm names (default: each backend's own choice)")
    parser.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    parser.add_argument("--repeats", type=int, metavar="N", help="timed runs per backend (default: until --min-time)")
    parser.add_argument("--min-time", type=float, default=0.2, metavar="S",
                        help="least seconds of timed runs per backend (default 0.2)")
    parser.add_argument("--sweep", metavar="PARAMETER",
                        help="vary input-size, channels, kernel-size, stride or batch over --from..--to")
    parser.add_argument("--from", dest="sweep_from", type=int, metavar="A", help="first sweep value")
    parser.add_argument("--to", dest="sweep_to", type=int, metavar="B", help="last sweep value")
    parser.add_argument("--values", metavar="LIST", help="explicit comma-separated sweep values")
    parser.add_argument("--json", metavar="FILE", help="write the records (and the machine) as JSON")
    parser.add_argument("--csv", metavar="FILE", help="write the records as CSV")
    parser.add_argument("--markdown", metavar="FILE", help="write the table and the ratios as Markdown")
    parser.add_argument("--no-roofline", action="store_true", help="skip measuring the CPU/GPU peaks")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")


def _specs(args) -> list[ConvSpec]:
    if spec_given(args):
        return [spec_from_args(args)]
    return list(SUITES[args.suite])


def _sweep_values(args, parameter) -> list[int]:
    from ..profiling import sweep_values

    if args.values:
        try:
            return [int(value) for value in args.values.split(",") if value.strip()]
        except ValueError:
            raise ConvSpecError(f"--values must be whole numbers separated by commas (got {args.values!r})") from None
    if args.sweep_from is None or args.sweep_to is None:
        raise ConvSpecError("--sweep needs --from and --to, or --values")
    return sweep_values(parameter, args.sweep_from, args.sweep_to)


class Progress:
    """Progress on stderr: one line per step, or one rewritten line on a terminal."""

    def __init__(self, enabled: bool, stream=None):
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self.terminal = bool(getattr(self.stream, "isatty", lambda: False)())
        self.prefix = ""

    def __call__(self, done, total, message):
        if not self.enabled:
            return
        text = f"{self.prefix}[{done}/{total}] {message}"
        if self.terminal:
            self.stream.write("\r\x1b[2K" + text[:150])
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def close(self):
        if self.enabled and self.terminal:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()


def format_table(records) -> str:
    """backend, algorithm, kind, shape, median, spread, GFLOP/s, ratio to the fastest (same shape and kind)."""
    fastest: dict = {}
    for record in records:
        if record.correct:
            key = (record.shape, record.kind)
            fastest[key] = min(fastest.get(key, float("inf")), record.median_ms)
    header = ("backend", "algorithm", "kind", "shape", "median ms", "p10–p90 ms", "GFLOP/s", "roofline",
              "× fastest", "check")
    rows = []
    for record in records:
        best = fastest.get((record.shape, record.kind))
        ratio = f"{record.median_ms / best:.2f}" if best and record.correct else "—"
        roof = f"{100 * record.roofline_fraction:.0f}%" if record.roofline_fraction is not None else "—"
        check = "ok" if record.correct else f"WRONG (error {record.max_error:.2g})"
        rows.append((record.backend, record.algorithm, record.kind, record.shape, f"{record.median_ms:.3f}",
                     f"{record.p10_ms:.3f}–{record.p90_ms:.3f}", record.rate_text(), roof, ratio, check))
    widths = [max(len(str(row[column])) for row in [header, *rows]) for column in range(len(header))]
    right = {4, 5, 6, 7, 8}
    lines = []
    for row in [header, *rows]:
        cells = [str(cell).rjust(width) if index in right else str(cell).ljust(width)
                 for index, (cell, width) in enumerate(zip(row, widths))]
        lines.append("  ".join(cells).rstrip())
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def format_markdown(records, machine, command: str, notes=()) -> str:
    """One kind per row (kernel where the two are the same timing), for BENCHMARKS.md."""
    from ..profiling.results import SAME_TIMING, same_timing

    shown = [record for record in records if record.kind == "kernel" or not same_timing(record)]
    fastest: dict = {}
    for record in shown:
        if record.correct:
            key = (record.shape, record.kind)
            fastest[key] = min(fastest.get(key, float("inf")), record.median_ms)
    threads = ", ".join(f"{name} {value}" for name, value in machine["threads"].items())
    lines = [
        f"Command: `{command}`",
        "",
        f"Machine: {machine['cpu']}, {machine['logical_cpus']} logical CPUs, {machine['date_utc']}; "
        f"threads: {threads}; 1-minute load average before/after: "
        f"{(machine.get('load_before') or ['?'])[0]} / {(machine.get('load_average') or ['?'])[0]}",
        "",
        "| shape | backend | algorithm | kind | median ms | p10–p90 ms | GFLOP/s | roofline | × fastest | check |",
        "|---|---|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for record in shown:
        best = fastest.get((record.shape, record.kind))
        ratio = f"{record.median_ms / best:.2f}" if best and record.correct else "—"
        roof = f"{100 * record.roofline_fraction:.0f}%" if record.roofline_fraction is not None else "—"
        kind = SAME_TIMING if same_timing(record) else record.kind
        lines.append(
            f"| {record.shape} | {record.backend} | {record.algorithm} | {kind} | {record.median_ms:.3f} | "
            f"{record.p10_ms:.3f}–{record.p90_ms:.3f} | {record.rate_text()} | {roof} | {ratio} | "
            f"{'ok' if record.correct else 'WRONG'} |"
        )
    extra = [*_comparisons(records), *notes]
    if extra:
        lines.append("")
        lines.extend(f"- {line}" for line in extra)
    return "\n".join(lines) + "\n"


def _describe_machine(machine) -> str:
    threads = ", ".join(f"{name} {value}" for name, value in machine["threads"].items())
    text = f"machine   {machine['cpu']}, {machine['logical_cpus']} logical CPUs; {machine['date_utc']}"
    if machine.get("gpu"):
        text += f"; GPU {machine['gpu']}"
    text += f"\nthreads   {threads}"
    before, after = machine.get("load_before"), machine.get("load_average")
    if before and after:
        text += f"\nload      1-minute load average {before[0]} before, {after[0]} after"
        if before[0] >= BUSY_LOAD:
            text += " (other work was running: timings are noisy; compare ratios within one run)"
    return text


def _comparisons(records) -> list[str]:
    """NumPy against each CPU peer: the ratios the issue's targets are stated in."""
    from ..profiling.compare import compare, single_channel

    lines = []
    groups = (("multi-channel", lambda record: not single_channel(record)), ("single-channel", single_channel))
    for peer in ("torch-cpu", "scipy-ndimage", "scipy-signal"):
        for label, where in groups:
            found = compare(records, "numpy", peer, where=where)
            if found.ratios:
                lines.append(f"numpy ÷ {peer} ({label}, {len(found.ratios)} specs): median {found.median:.2f}, "
                             f"worst {found.worst:.2f} (below 1: numpy faster)")
    return lines


def run(args) -> int:
    from ..profiling import machine_info, profile, records_to_csv, records_to_json, results, sweep
    from ..profiling.machine import load_average

    load_before = load_average()

    backends = [name for name in args.backends.split(",") if name.strip()]
    algorithms = None
    if args.algorithms:
        algorithms = "all" if args.algorithms.strip() == "all" else [a.strip() for a in args.algorithms.split(",")]
    if args.repeats is not None and args.repeats < 1:
        raise ConvSpecError(f"--repeats must be at least 1 (got {args.repeats})")
    if args.min_time < 0:
        raise ConvSpecError(f"--min-time must not be negative (got {args.min_time})")
    options = dict(backends=backends, algorithms=algorithms, dtype=args.dtype, repeats=args.repeats,
                   min_time_s=args.min_time, roofline_peaks=not args.no_roofline)
    specs = _specs(args)
    progress = Progress(not args.quiet)
    cancel = threading.Event()
    skipped, records = [], []
    try:
        if args.sweep:
            values = _sweep_values(args, args.sweep)
            progress.prefix = f"sweep {args.sweep}: "
            records = sweep(specs[0] if len(specs) == 1 else specs[0], args.sweep, values, progress=progress,
                            cancel=cancel, skipped=skipped, **options)
        else:
            for index, spec in enumerate(specs, 1):
                progress.prefix = f"spec {index}/{len(specs)} {spec.describe()}: "
                records.extend(profile(spec, progress=progress, cancel=cancel,
                                       skipped=skipped if index == 1 else [], **options))
    finally:
        progress.close()
    machine = machine_info()
    machine["load_before"] = load_before
    print(_describe_machine(machine))
    print(format_table(records))
    for item in skipped:
        what = item.backend + (f" {item.algorithm}" if item.algorithm else "")
        print(f"skipped   {what}: {item.reason}")
    for line in _comparisons(records):
        print(line)
    notes = []
    if args.sweep:
        device, host = results.own_backend(records, host=False), results.own_backend(records, host=True)
        for kind in ("end-to-end", "kernel"):
            if device and host:
                value = results.sweep_crossover(records, kind)
                text = f"{args.sweep} {value}" if value is not None else "none in this sweep"
                notes.append(f"crossover ({kind}): GPU ({device}) first beats CPU ({host}) at {text}")
            else:
                missing = "GPU" if not device else "CPU"
                notes.append(f"crossover ({kind}): none (no {missing} backend of convviz's ran in this sweep)")
            print(notes[-1])
    if args.json:
        Path(args.json).write_text(records_to_json(records, machine) + "\n", encoding="utf-8")
    if args.markdown:
        command = "python " + shlex.join(sys.argv)
        Path(args.markdown).write_text(format_markdown(records, machine, command, notes), encoding="utf-8")
    if args.csv:
        Path(args.csv).write_text(records_to_csv(records), encoding="utf-8")
    wrong = [record for record in records if not record.correct]
    if wrong:
        names = sorted({f"{record.backend} {record.algorithm} on {record.shape}" for record in wrong})
        print(f"convviz bench: {len(names)} result(s) disagree with the reference: {'; '.join(names)}",
              file=sys.stderr)
        return 1
    return 0
