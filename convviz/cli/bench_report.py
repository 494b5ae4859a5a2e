"""What `convviz bench` prints and writes: the machine and its load, one row per timing (a host
backend's kernel and end-to-end records are one timing, so one row), each row's stability, the
ratio to the fastest stable row of its spec, and the GPU lines (or why there is no GPU)."""

from __future__ import annotations

from ..profiling import results
from ..profiling.records import TIMING_KINDS
from ..profiling.stats import SPREAD_LIMIT, busy_load

HEADER = ("shape", "backend", "algorithm", "kind", "threads", "median ms", "p10–p90 ms", "stability", "GFLOP/s",
          "roofline", "× fastest", "check")
RIGHT = {"threads", "median ms", "p10–p90 ms", "GFLOP/s", "roofline", "× fastest"}


def shown(records) -> list:
    """The records that are rows: a host backend's one timing once (its kernel record)."""
    return [record for record in records if record.kind == "kernel" or not results.same_timing(record)]


def _kind(record) -> str:
    return results.SAME_TIMING if results.same_timing(record) else record.kind


def _kinds(record) -> tuple[str, ...]:
    """The kinds of timing a row stands for: both for a host backend's one timing."""
    return TIMING_KINDS if results.same_timing(record) else (record.kind,)


def fastest_ratios(rows) -> dict[int, str]:
    """id(record) → "× fastest": its median over the fastest *stable*, correct median of the same
    spec and kind (a host row compared end to end). Where no row of the group is stable, the ratio
    to the fastest correct one in parentheses: "(1.8)" is against an unstable timing. "—" for a
    wrong row, and where a row is the only one of its kind for its spec (nothing to compare)."""
    stable: dict = {}
    correct: dict = {}
    members: dict = {}
    for record in rows:
        for kind in _kinds(record):
            key = (record.shape, kind)
            members[key] = members.get(key, 0) + 1
            if record.correct:
                correct[key] = min(correct.get(key, float("inf")), record.median_ms)
            if record.trusted:
                stable[key] = min(stable.get(key, float("inf")), record.median_ms)
    ratios = {}
    for record in rows:
        key = (record.shape, "end-to-end" if results.same_timing(record) else record.kind)
        if members.get(key, 0) < 2 or not record.correct:
            ratios[id(record)] = "—"
        elif key in stable:
            ratios[id(record)] = f"{record.median_ms / stable[key]:.2f}"
        else:
            ratios[id(record)] = f"({record.median_ms / correct[key]:.2f})"
    return ratios


def _cells(record, ratio: str) -> tuple[str, ...]:
    roof = f"{100 * record.roofline_fraction:.0f}%" if record.roofline_fraction is not None else "—"
    check = "ok" if record.correct else f"WRONG (error {record.max_error:.2g})"
    return (record.shape, record.backend, record.algorithm, _kind(record), results.threads_text(record) or "—",
            f"{record.median_ms:.3f}", f"{record.p10_ms:.3f}–{record.p90_ms:.3f}", record.stability_text() or "—",
            record.rate_text(), roof, ratio, check)


def format_table(records) -> str:
    """The rows as aligned text, numbers to the right."""
    rows = shown(records)
    ratios = fastest_ratios(rows)
    body = [_cells(record, ratios[id(record)]) for record in rows]
    widths = [max(len(row[column]) for row in [HEADER, *body]) for column in range(len(HEADER))]
    lines = []
    for row in [HEADER, *body]:
        cells = [cell.rjust(width) if name in RIGHT else cell.ljust(width)
                 for name, cell, width in zip(HEADER, row, widths)]
        lines.append("  ".join(cells).rstrip())
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def format_markdown(records, machine, command: str, notes=()) -> str:
    """The same rows as a Markdown table, after the command and the machine, for BENCHMARKS.md."""
    rows = shown(records)
    ratios = fastest_ratios(rows)
    lines = [f"Command: `{command}`", "", f"Machine: {machine_line(machine)}", "",
             "| " + " | ".join(HEADER) + " |",
             "|" + "|".join("---:" if name in RIGHT else "---" for name in HEADER) + "|"]
    for record in rows:
        cells = list(_cells(record, ratios[id(record)]))
        cells[-1] = "ok" if record.correct else "WRONG"
        lines.append("| " + " | ".join(cells) + " |")
    extra = [*summary_lines(records), *notes]
    if extra:
        lines.append("")
        lines.extend(f"- {line}" for line in extra)
    return "\n".join(lines) + "\n"


def _load(machine, name) -> float | None:
    values = machine.get(name)
    return values[0] if values else None


def load_text(machine) -> str:
    """The 1-minute load before and after the run against the CPUs, and what it means."""
    before, after, cpus = _load(machine, "load_before"), _load(machine, "load_average"), machine.get("logical_cpus")
    if before is None and after is None:
        return "load average unknown on this system"
    text = (f"1-minute load average {'?' if before is None else before} before, "
            f"{'?' if after is None else after} after, on {cpus} CPUs")
    if busy_load(before, cpus) or busy_load(after, cpus):
        text += " — BUSY: more work than CPUs; timings it touched are marked unstable"
    return text


def threads_text(machine) -> str:
    chosen = machine.get("chosen_threads") or {}
    parts = []
    if "blas" in chosen:
        parts.append(f"{chosen['blas']} BLAS (convviz's backends, SciPy)")
    if "torch" in chosen:
        parts.append(f"{chosen['torch']} PyTorch intra-op (its peers)")
    reported = machine.get("threads") or {}
    text = "chosen: " + ", ".join(parts) if parts else ""
    library = ", ".join(f"{name} {value}" for name, value in reported.items())
    return f"{text}; libraries: {library}" if text else library


def machine_line(machine) -> str:
    return (f"{machine['cpu']}, {machine['logical_cpus']} logical CPUs, {machine['date_utc']}; "
            f"threads {threads_text(machine)}; {load_text(machine)}")


def describe_machine(machine) -> str:
    text = f"machine   {machine['cpu']}, {machine['logical_cpus']} logical CPUs; {machine['date_utc']}"
    if machine.get("gpu"):
        text += f"; GPU {machine['gpu']}"
    return text + f"\nthreads   {threads_text(machine)}\nload      {load_text(machine)}"


def comparisons(records) -> list[str]:
    """NumPy against each CPU peer, over stable records only: the ratios the issue's targets are stated in."""
    from ..profiling.compare import compare, single_channel

    lines = []
    groups = (("multi-channel", lambda record: not single_channel(record)), ("single-channel", single_channel))
    for peer in ("torch-cpu", "scipy-ndimage", "scipy-signal"):
        for label, where in groups:
            found = compare(records, "numpy", peer, where=where)
            if found.ratios:
                lines.append(f"numpy ÷ {peer} ({label}, {len(found.ratios)} stable specs): median {found.median:.2f}, "
                             f"worst {found.worst:.2f} (below 1: numpy faster)")
    return lines


def summary_lines(records) -> list[str]:
    """The stability of the run (with the threshold), then the NumPy-against-peer ratios."""
    lines = []
    stability = results.stability_line(records)
    if stability:
        lines.append(f"{stability} (unstable: p90/p10 over {SPREAD_LIMIT:g}× or load above the CPUs)")
    if any(ratio.startswith("(") for ratio in fastest_ratios(shown(records)).values()):
        lines.append("× fastest in parentheses: no stable timing of that spec to compare with, so against an "
                     "unstable one")
    return [*lines, *comparisons(records)]


def gpu_lines(records, parameter: str | None = None, backends=None) -> list[str]:
    """Where convviz's GPU backend beats its CPU backend (a sweep's crossover, from stable records
    only); "no GPU here: <reason>" when the GPU backend did not run."""
    device, host = results.own_backend(records, host=False), results.own_backend(records, host=True)
    if device is None:
        reason = results.no_device_reason(backends) or "convviz's GPU backend was not among --backends"
        return [f"no GPU here: {reason}"]
    if parameter is None:
        # one spec: the GPU/CPU ratios; a suite: the × fastest column says it spec by spec
        return results.comparison_lines(records, backends) if len({r.shape for r in records}) == 1 else []
    if host is None:
        return ["crossover: none — convviz's CPU backend did not run"]
    lines = []
    for kind in ("end-to-end", "kernel"):
        value = results.sweep_crossover(records, kind)
        text = f"{parameter} {value}" if value is not None else "none in this sweep (stable timings only)"
        lines.append(f"crossover ({kind}): GPU ({device}) first beats CPU ({host}) at {text}")
    return lines
