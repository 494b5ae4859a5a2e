"""`convviz bench`: check and time convolutions on every backend and peer; table, JSON, CSV.

Exit status: 0 when every result agreed with the float64 reference, 1 when
any disagreed, 2 for a bad argument or spec.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import threading

from ..core import ConvSpec, ConvSpecError
from ..core.spec import MAX_EXTENT
from .numbers import real, whole
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


MAX_REPEATS_ASKED = 100_000
MAX_TIME_S = 3600.0
MAX_THREADS = 4096
"""Parsing's bound on thread counts; `check_threads` then holds them to 4 × the CPUs here."""


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
    parser.add_argument("--repeats", type=whole(1, MAX_REPEATS_ASKED), metavar="N",
                        help=f"timed runs per backend, 1 to {MAX_REPEATS_ASKED:,} (default: until --min-time)")
    parser.add_argument("--min-time", type=real(0, MAX_TIME_S), default=0.2, metavar="S",
                        help=f"least seconds of timed runs per backend, 0 to {MAX_TIME_S:g} (default 0.2)")
    parser.add_argument("--max-time", type=real(0, MAX_TIME_S), default=None, metavar="S",
                        help="most seconds of timed runs per backend while its spread stays large "
                             "(default 5 × --min-time)")
    parser.add_argument("--threads", type=whole(1, MAX_THREADS), default=None, metavar="N",
                        help="threads for BLAS (convviz's backends, SciPy) and, unless --peer-threads, for PyTorch "
                             "(default: one per CPU available)")
    parser.add_argument("--peer-threads", type=whole(1, MAX_THREADS), default=None, metavar="N",
                        help="PyTorch's intra-op threads (default: --threads)")
    parser.add_argument("--sweep", metavar="PARAMETER",
                        help="vary input-size, channels, kernel-size, stride or batch over --from..--to")
    parser.add_argument("--from", dest="sweep_from", type=whole(1, MAX_EXTENT), metavar="A", help="first sweep value")
    parser.add_argument("--to", dest="sweep_to", type=whole(1, MAX_EXTENT), metavar="B", help="last sweep value")
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
        number = whole(1, MAX_EXTENT)
        try:
            values = [number(value) for value in args.values.split(",") if value.strip()]
        except argparse.ArgumentTypeError as error:
            raise ConvSpecError(f"--values takes comma-separated values, each {error}") from None
        if not values:
            raise ConvSpecError("--values names no value")
        return values
    if args.sweep_from is None or args.sweep_to is None:
        raise ConvSpecError("--sweep needs --from and --to, or --values")
    return sweep_values(parameter, args.sweep_from, args.sweep_to)


class ResultFiles:
    """--json, --csv and --markdown: each path checked before the run starts, and each file
    rewritten whole (atomically) as every record arrives, so an interrupted or failed run
    keeps what was timed and never leaves a truncated file."""

    def __init__(self, args):
        from ..session.files import check_output_path

        self.paths = {kind: getattr(args, kind) for kind in ("json", "csv", "markdown") if getattr(args, kind)}
        for kind, path in self.paths.items():
            check_output_path(path, f"--{kind} file")
        self.failed: set[str] = set()

    def write(self, records, machine, notes=(), final: bool = False) -> bool:
        """Write every file; a failure is said once on stderr (the run goes on). False if any failed."""
        from ..profiling import records_to_csv, records_to_json
        from ..session.files import FileRefused, write_atomic
        from . import bench_report

        texts = {"json": lambda: records_to_json(records, machine) + "\n",
                 "csv": lambda: records_to_csv(records),
                 "markdown": lambda: bench_report.format_markdown(records, machine, "python " + shlex.join(sys.argv),
                                                                  notes)}
        ok = True
        for kind, path in self.paths.items():
            try:
                write_atomic(path, texts[kind](), f"--{kind} file")
            except FileRefused as error:
                ok = False
                if final or kind not in self.failed:
                    self.failed.add(kind)
                    print(f"convviz bench: {error}{'' if final else '; will try again as records arrive'}",
                          file=sys.stderr)
        return ok


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


def _measure_peaks_once(args, threads, progress) -> None:
    """The roofline's CPU peaks, measured here, once for the whole run, before any spec."""
    from ..profiling import roofline
    from ..profiling.machine import thread_limits

    if args.no_roofline or roofline.peaks_known(args.dtype, threads):
        return
    progress(0, 1, f"measuring the CPU's matmul and copy peaks with {threads} BLAS threads (once for this run)")
    with thread_limits(threads):
        roofline.measure_cpu_peaks(args.dtype, threads)


def run(args) -> int:
    from ..profiling import machine_info, profile, sweep
    from ..profiling.machine import check_threads, default_threads, load_average
    from ..profiling.memory import check_run
    from ..profiling.runner import expand_names
    from . import bench_report

    load_before = load_average()

    backends = [name for name in args.backends.split(",") if name.strip()]
    if not backends:
        raise ConvSpecError(f"--backends names no backend (got {args.backends!r}); e.g. --backends numpy,torch")
    expand_names(backends)  # an unknown name is refused before anything runs
    algorithms = None
    if args.algorithms:
        algorithms = "all" if args.algorithms.strip() == "all" else [a.strip() for a in args.algorithms.split(",")]
        if algorithms != "all" and not any(algorithms):
            raise ConvSpecError(f"--algorithms names no algorithm (got {args.algorithms!r})")
    if args.max_time is not None and args.max_time < args.min_time:
        raise ConvSpecError(f"--max-time must be at least --min-time ({args.min_time}; got {args.max_time})")
    threads = default_threads() if args.threads is None else check_threads(args.threads, "--threads")
    peer_threads = threads if args.peer_threads is None else check_threads(args.peer_threads, "--peer-threads")
    options = dict(backends=backends, algorithms=algorithms, dtype=args.dtype, repeats=args.repeats,
                   min_time_s=args.min_time, max_time_s=args.max_time, roofline_peaks=not args.no_roofline,
                   threads=threads, peer_threads=peer_threads)
    specs = _specs(args)
    values = _sweep_values(args, args.sweep) if args.sweep else None
    files = ResultFiles(args)  # every output path is checked before the first timing
    if not args.sweep:
        for spec in specs:
            check_run(spec, args.dtype)  # what the run itself holds; each backend is checked as it comes
    progress = Progress(not args.quiet)
    cancel = threading.Event()
    skipped, records = [], []
    interim = machine_info()
    interim["load_before"] = load_before
    interim["chosen_threads"] = {"blas": threads, "torch": peer_threads}

    def arrived(record) -> None:
        records.append(record)
        interim["threads"] = record.threads  # as the libraries reported them inside the limits
        files.write(records, interim, final=False)

    try:
        _measure_peaks_once(args, threads, progress)
        if args.sweep:
            progress.prefix = f"sweep {args.sweep}: "
            sweep(specs[0], args.sweep, values, progress=progress, cancel=cancel, skipped=skipped,
                  on_record=arrived, **options)
        else:
            for index, spec in enumerate(specs, 1):
                progress.prefix = f"spec {index}/{len(specs)} {spec.describe()}: "
                profile(spec, progress=progress, cancel=cancel, skipped=skipped if index == 1 else [],
                        on_record=arrived, **options)
    finally:
        progress.close()
    machine = machine_info()
    machine["load_before"] = load_before
    machine["chosen_threads"] = {"blas": threads, "torch": peer_threads}
    if records:
        machine["threads"] = records[0].threads  # as the libraries reported them inside the limits
    print(bench_report.describe_machine(machine))
    print(bench_report.format_table(records))
    for item in skipped:
        what = item.backend + (f" {item.algorithm}" if item.algorithm else "")
        print(f"skipped   {what}: {item.reason}")
    for line in bench_report.summary_lines(records):
        print(line)
    notes = bench_report.gpu_lines(records, args.sweep)
    for line in notes:
        print(line)
    if not files.write(records, machine, notes=notes, final=True):
        return 1
    wrong = [record for record in records if not record.correct]
    if wrong:
        names = sorted({f"{record.backend} {record.algorithm} on {record.shape}" for record in wrong})
        print(f"convviz bench: {len(names)} result(s) disagree with the reference: {'; '.join(names)}",
              file=sys.stderr)
        return 1
    return 0
