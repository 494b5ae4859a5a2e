"""profile_events(): check, warm up and time one spec on every backend asked for, yielding
progress and each record as soon as it is timed; profile() is the same with callbacks.

One timing method for everything. Every (backend, algorithm) is first
checked against the float64 oracle, then warmed up, then timed in PASSES
blocks of consecutive runs, the jobs taking turns (A B A B A B), so that a
machine whose speed drifts (other load, clocks, a shared VM) slows every
backend alike and the ratios stay fair; a pause (SETTLE_S) before each change
of backend lets the last library's spinning worker threads go to sleep.
Timing goes on until each job has `repeats` runs, or, without `repeats`, at
least MIN_REPEATS runs and `min_time_s` of timed work, and then, pass after pass,
until its spread is small or its time budget is spent (`timing_done`).
Everything runs under the thread counts chosen (machine.thread_limits), and each
record says how many threads it used, the load around it and whether it is stable.

Kernel-only timings use the backend's own timer (CUDA events on a GPU)
around `convolve` on arrays already on the device. End-to-end timings are
host wall time of copy in + convolve + copy out + synchronise. A host backend
(`Backend.host`) has no copies, so one timing serves both records.
"""

from __future__ import annotations

import time

import numpy as np

from ..core import ConvSpecError
from ..core import plan as make_plan
from . import check, counts, memory, roofline
from .events import Cancelled, Skipped, check_cancel, drive, sleep, tick
from .machine import available_cpus, default_threads, load_1min, thread_counts, thread_limits
from .records import COPY_KINDS, Measurement
from .stats import SPREAD_LIMIT, judge, spread_ratio, summarize

__all__ = ["Cancelled", "Skipped", "default_names", "expand_names", "known_names", "profile", "profile_events",
           "resolve", "timing_done"]

MIN_REPEATS = 5
PASSES = 3
SETTLE_S = 0.3
"""Pause before timing a different backend: PyTorch's OpenMP and OpenBLAS worker threads
busy-wait for a while after each call, and on a small machine they take the cores from
the next library (measured: interleaving NumPy and PyTorch run by run made both 15-35×
slower on 2 cores)."""
MAX_REPEATS = 2000
BUDGET_FACTOR = 5
"""Without `max_time_s`, a job whose spread stays large is timed for at most this many times `min_time_s`."""
WARMUP_RUNS = 2
HOST_NOTE = "host backend: no device copies, so kernel and end-to-end are the same timing"
COPY_ALGORITHM = "copy"


def known_names() -> tuple[str, ...]:
    """Every backend and peer the profiler can time, convviz's own first, in a fixed order."""
    from ..backends import BACKEND_CLASSES
    from .peers import PEER_CLASSES

    return (*BACKEND_CLASSES, *PEER_CLASSES)


def expand_names(names) -> list[str]:
    """Backend names with the aliases 'torch' and 'scipy' expanded, in order, without repeats."""
    from .peers import ALIASES

    known = set(known_names())
    expanded = []
    for name in names:
        name = name.strip()
        if not name:
            continue
        for item in ALIASES.get(name, (name,)):
            if item not in known:
                raise ConvSpecError(
                    f"unknown backend {item!r}; choose from {', '.join(sorted(known | set(ALIASES)))}"
                )
            if item not in expanded:
                expanded.append(item)
    return expanded


def resolve(name: str):
    from ..backends import BACKEND_CLASSES, get_backend

    if name in BACKEND_CLASSES:
        return get_backend(name)
    from .peers import get_peer

    return get_peer(name)


def default_names(include_peers: bool) -> list[str]:
    from ..backends import BACKEND_CLASSES

    return list(known_names() if include_peers else BACKEND_CLASSES)


class _Job:
    """One timed thing: (backend, algorithm, kind), and the samples it collected."""

    def __init__(self, backend, algorithm, kind, run, records_kinds):
        self.backend, self.algorithm, self.kind = backend, algorithm, kind
        self.run = run
        self.record_kinds = records_kinds
        self.samples: list[float] = []
        self.load_before: float | None = None
        self.load_after: float | None = None

    @property
    def spent_ms(self) -> float:
        return sum(self.samples)


def _kernel_run(backend, x_device, w_device, conv_plan, algorithm):
    def run() -> float:
        backend.synchronize()  # nothing earlier may still be running on the device
        timer = backend.timer()
        timer.start()
        backend.convolve(x_device, w_device, conv_plan, algorithm=algorithm)
        return timer.stop()

    return run


def _end_to_end_run(backend, x, w, conv_plan, algorithm):
    def run() -> float:
        began = time.perf_counter()
        result = backend.convolve(backend.to_device(x), backend.to_device(w), conv_plan, algorithm=algorithm)
        backend.to_host(result)
        backend.synchronize()
        return (time.perf_counter() - began) * 1e3

    return run


def _copy_jobs(backend, x, w, conv_plan, algorithm) -> list[_Job]:
    """Host→device (input and weights) and device→host (the output) copies, each timed with the
    device's own timer, apart from any kernel."""
    result = backend.convolve(backend.to_device(x), backend.to_device(w), conv_plan, algorithm=algorithm)

    def copy_in() -> float:
        backend.synchronize()
        timer = backend.timer()
        timer.start()
        backend.to_device(x)
        backend.to_device(w)
        return timer.stop()

    def copy_out() -> float:
        backend.synchronize()
        timer = backend.timer()
        timer.start()
        backend.to_host(result)
        return timer.stop()

    return [_Job(backend, COPY_ALGORITHM, "copy-in", copy_in, ("copy-in",)),
            _Job(backend, COPY_ALGORITHM, "copy-out", copy_out, ("copy-out",))]


def _round_trip(backend, x) -> tuple[float, bool]:
    """A copy is checked too: the input, to the device and back, must come back bit for bit."""
    back = np.asarray(backend.to_host(backend.to_device(x)))
    same = back.shape == x.shape and back.dtype == x.dtype and np.array_equal(back, x)
    return (0.0 if same else float("inf")), same


def _algorithms_for(backend, conv_plan, dtype, algorithms) -> list[str]:
    if algorithms is None:
        return list(backend.default_algorithms(conv_plan, dtype))
    operation_only = tuple(name for name in backend.algorithms_for(conv_plan) if name not in backend.algorithms)
    if algorithms == "all" or algorithms == ["all"]:
        # another operation (transposed convolution, pooling, groups) has strategies of its own
        return list(operation_only or backend.algorithms)
    return [name for name in algorithms if name in backend.algorithms or name in operation_only]


def minimum_met(samples, min_time_s) -> bool:
    """At least MIN_REPEATS runs (3 when one run alone takes `min_time_s`) and `min_time_s` of timed work."""
    count = len(samples)
    slow = count > 0 and samples[0] >= min_time_s * 1e3
    return count >= (3 if slow else MIN_REPEATS) and sum(samples) >= min_time_s * 1e3


def timing_done(samples, repeats=None, min_time_s=0.2, max_time_s=None, spread_limit=SPREAD_LIMIT) -> bool:
    """Whether a job has been timed enough, in the manner of torch.utils.benchmark's adaptive
    autorange: `repeats` runs when given; else the minimum (`minimum_met`), and then on until the
    spread is small (p90/p10 ≤ `spread_limit`) or `max_time_s` of timed work is spent (or
    MAX_REPEATS runs)."""
    count = len(samples)
    if repeats is not None:
        return count >= repeats
    if count >= MAX_REPEATS:
        return True
    if not minimum_met(samples, min_time_s):
        return False
    if max_time_s is not None and sum(samples) >= max_time_s * 1e3:
        return True
    return spread_ratio(summarize(samples)) <= spread_limit


def _thread_pool(backend) -> str:
    """Which pool a backend computes with: "torch" for PyTorch's peers, "blas" for the rest."""
    return getattr(backend, "thread_pool", "blas")


def profile_events(spec, backends=None, algorithms=None, dtype="float32", repeats=None, min_time_s=0.2,
                   include_peers=False, cancel=None, seed=0, roofline_peaks=True, settle_s=SETTLE_S,
                   threads=None, peer_threads=None, max_time_s=None, spread_limit=SPREAD_LIMIT):
    """Check and time `spec` on each backend: a generator of Progress, Skipped and Measurement
    events (see convviz.profiling.events) that returns the records, one per (backend,
    algorithm, kind), each yielded as soon as its timing is complete.

    backends: names (None: every convviz backend, plus the peers if `include_peers`);
    'torch' and 'scipy' stand for both of their peers. Unavailable backends, and
    backends that cannot do this spec (`Backend.supports`), are left out, each with a
    Skipped event. algorithms: None (what each backend times by default,
    `Backend.default_algorithms`), "all", or names. When `cancel` (a threading.Event) is set,
    Cancelled is raised between runs, during the pause between backends, and at each step;
    closing the generator stops it at its next event.

    threads: BLAS threads for convviz's backends and SciPy (None: machine.default_threads());
    peer_threads: PyTorch's intra-op threads (None: the same as `threads`). Timing stops as
    `timing_done` says (`max_time_s` None: BUDGET_FACTOR × `min_time_s`); each record carries its
    thread count, the load around it and a verdict (stats.judge) against `spread_limit`.
    """
    conv_plan = make_plan(spec)
    dtype = np.dtype(dtype)
    names = expand_names(backends) if backends is not None else default_names(include_peers)
    threads = default_threads() if threads is None else threads
    peer_threads = threads if peer_threads is None else peer_threads
    if max_time_s is None:
        max_time_s = BUDGET_FACTOR * min_time_s

    chosen = []
    for name in names:
        backend = resolve(name)
        status = backend.available()
        if not status:
            yield Skipped(name, status.reason or "not available")
            continue
        reason = backend.supports(conv_plan)
        if reason:
            yield Skipped(name, reason)
            continue
        names_here = _algorithms_for(backend, conv_plan, dtype, algorithms)
        if not names_here:
            yield Skipped(name, f"has none of the algorithms asked for ({', '.join(algorithms)}); "
                                f"it has {', '.join(backend.algorithms)}")
        for algorithm in names_here:
            chosen.append((backend, algorithm))

    if not chosen:
        return []
    # every allocation of the run is counted before the first: refuse what cannot fit, in words
    probe = roofline.probe_bytes(dtype, threads) if roofline_peaks else 0
    memory.check_run(conv_plan, dtype, (), probe)
    fitting = []
    for backend, algorithm in chosen:
        try:
            memory.check_run(conv_plan, dtype, [(backend, algorithm)], probe)
        except ConvSpecError as refusal:
            yield Skipped(backend.name, str(refusal), algorithm)
            continue
        fitting.append((backend, algorithm))
    chosen = fitting
    if not chosen:
        return []
    uses_torch = any(_thread_pool(backend) == "torch" for backend, _ in chosen)
    counts_by_pool = {"blas": threads, "torch": peer_threads}
    with thread_limits(threads, peer_threads if uses_torch else None):
        found = yield from _check_and_time(
            conv_plan, dtype, chosen, counts_by_pool, repeats=repeats, min_time_s=min_time_s,
            max_time_s=max_time_s, spread_limit=spread_limit, cancel=cancel, seed=seed,
            roofline_peaks=roofline_peaks, settle_s=settle_s)
    return found


def _check_and_time(conv_plan, dtype, chosen, counts_by_pool, repeats, min_time_s, max_time_s, spread_limit,
                    cancel, seed, roofline_peaks, settle_s):
    """profile_events' work once the backends are chosen and the thread limits are in force."""
    threads = counts_by_pool["blas"]
    if roofline_peaks:
        # measured first, on quiet cores, and cached for the process
        if not roofline.peaks_known(dtype, threads):
            yield tick(cancel, 0, 1, f"measuring the CPU's matmul and copy peaks with {threads} BLAS threads "
                                     "(once per process)")
        roofline.measure_cpu_peaks(dtype, threads)
        if any(not backend.host for backend, _ in chosen):
            roofline.measure_gpu_peaks(dtype)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(conv_plan.spec.input_shape).astype(dtype)
    w = None if conv_plan.spec.weight_shape is None else rng.standard_normal(conv_plan.spec.weight_shape).astype(dtype)
    devices = list(dict.fromkeys(backend for backend, _ in chosen if not backend.host))
    job_count = sum(1 if backend.host else 2 for backend, _ in chosen) + len(COPY_KINDS) * len(devices)
    passes = PASSES if job_count > 1 else 1
    total = 1 + len(chosen) + passes * job_count
    yield tick(cancel, 0, total, f"computing the float64 reference for {conv_plan.spec.describe()}")
    oracle = check.make_oracle(x, w, conv_plan, seed)

    jobs, outcomes = [], {}
    done = 1
    for backend, algorithm in chosen:
        yield tick(cancel, done, total, f"checking {backend.name} {algorithm}")
        try:
            backend.check_memory(conv_plan, dtype, algorithm)
            result = backend.to_host(backend.convolve(backend.to_device(x), backend.to_device(w), conv_plan,
                                                      algorithm=algorithm))
            backend.synchronize()
            error = check.relative_error(result, oracle.expected)
        except (ConvSpecError, *backend.failures) as refusal:
            yield Skipped(backend.name, str(refusal), algorithm)
            done += 1
            total -= passes * (1 if backend.host else 2)
            continue
        if backend in devices and (backend.name, COPY_ALGORITHM) not in outcomes:
            outcomes[(backend.name, COPY_ALGORITHM)] = _round_trip(backend, x)
            jobs.extend(_copy_jobs(backend, x, w, conv_plan, algorithm))
        outcomes[(backend.name, algorithm)] = (error, error <= check.tolerance(dtype, algorithm))
        done += 1
        x_device, w_device = backend.to_device(x), backend.to_device(w)
        backend.synchronize()
        if backend.host:
            # to_device of a host backend is a view (torch.from_numpy) or the array itself
            jobs.append(_Job(backend, algorithm, "kernel",
                             _kernel_run(backend, x_device, w_device, conv_plan, algorithm), ("kernel", "end-to-end")))
        else:
            jobs.append(_Job(backend, algorithm, "kernel",
                             _kernel_run(backend, x_device, w_device, conv_plan, algorithm), ("kernel",)))
            jobs.append(_Job(backend, algorithm, "end-to-end", _end_to_end_run(backend, x, w, conv_plan, algorithm),
                             ("end-to-end",)))

    def finished(job) -> bool:
        return timing_done(job.samples, repeats, min_time_s, max_time_s, spread_limit)

    def block_full(job, first_count, first_spent, number) -> bool:
        """A block ends with its pass's share of the runs and of the time; the last planned pass
        as soon as the minimum is met; any block once the budget is spent."""
        count = len(job.samples)
        if repeats is not None:
            return count >= repeats or count - first_count >= -(-repeats // passes)
        if count >= MAX_REPEATS:
            return True
        if count > first_count and minimum_met(job.samples, min_time_s) and (
                number == passes - 1 or job.spent_ms >= max_time_s * 1e3):
            return True
        return (count - first_count >= -(-MIN_REPEATS // passes)
                and job.spent_ms - first_spent >= min_time_s * 1e3 / passes)

    made: dict[_Job, list[Measurement]] = {}

    def report(job) -> list[Measurement]:
        """The job's records, the first time it is reported; nothing after that."""
        if job in made:
            return []
        job.load_after = load_1min()
        made[job] = _records([job], outcomes, conv_plan, dtype, roofline_peaks, counts_by_pool, spread_limit)
        return made[job]

    previous = chosen[-1][0] if len(chosen) > 1 else None
    number = 0
    pending = [job for job in jobs if not finished(job)]
    while pending:
        if number >= passes:
            total += len(pending)  # more blocks than planned: the spread is still large
        for job in pending:
            if previous is not None and previous is not job.backend and settle_s > 0:
                # another library's worker threads may still be spinning on the cores
                sleep(settle_s, cancel)
            previous = job.backend
            if job.load_before is None:
                job.load_before = load_1min()
            # every block starts warm: caches, thread pools and (first time) JIT or plan caches
            yield tick(cancel, done, total, f"warming up {job.backend.name} {job.algorithm} ({job.kind})")
            for _ in range(WARMUP_RUNS):
                job.run()
                check_cancel(cancel)
            what = f"pass {number + 1}/{passes}" if number < passes else \
                f"pass {number + 1}: spread still p90/p10 {spread_ratio(summarize(job.samples)):.2g}×"
            yield tick(cancel, done, total, f"timing {job.backend.name} {job.algorithm} ({job.kind}), {what}")
            first_count, first_spent = len(job.samples), job.spent_ms
            while not block_full(job, first_count, first_spent, number):
                job.samples.append(job.run())
                check_cancel(cancel)
            done += 1
            if finished(job):
                yield from report(job)
        number += 1
        pending = [job for job in jobs if job not in made and not finished(job)]
    for job in jobs:
        yield from report(job)
    yield tick(cancel, total, total, f"timed {conv_plan.spec.describe()}")
    return [record for job in jobs for record in made[job]]


def profile(spec, backends=None, algorithms=None, dtype="float32", repeats=None, min_time_s=0.2,
            include_peers=False, progress=None, cancel=None, seed=0, skipped=None,
            roofline_peaks=True, settle_s=SETTLE_S, on_record=None, threads=None, peer_threads=None,
            max_time_s=None, spread_limit=SPREAD_LIMIT) -> list[Measurement]:
    """Check and time `spec` on each backend; one Measurement per (backend, algorithm, kind).

    The arguments are those of `profile_events`, plus callbacks for its events: progress(done,
    total, message) is called from the calling thread at each step; pass a list as `skipped`
    to receive a `Skipped` for each backend left out, with the reason; on_record(measurement),
    also from the calling thread, gets each record as soon as its timing is complete, while
    the rest are still being timed (the list returned holds the same records). When `cancel`
    (a threading.Event) is set, Cancelled is raised between runs.
    """
    events = profile_events(spec, backends=backends, algorithms=algorithms, dtype=dtype, repeats=repeats,
                            min_time_s=min_time_s, include_peers=include_peers, cancel=cancel, seed=seed,
                            roofline_peaks=roofline_peaks, settle_s=settle_s, threads=threads,
                            peer_threads=peer_threads, max_time_s=max_time_s, spread_limit=spread_limit)
    return drive(events, progress=progress, skipped=skipped, on_record=on_record)


def _records(jobs, outcomes, conv_plan, dtype, roofline_peaks, counts_by_pool, spread_limit) -> list[Measurement]:
    flops = counts.conv_flops(conv_plan)
    moved = counts.minimal_bytes(conv_plan, dtype)
    threads = thread_counts()  # inside the limits: what the libraries say they use
    cpus = available_cpus()
    records = []
    for job in jobs:
        summary = summarize(job.samples)
        verdict = judge(summary, job.load_before, job.load_after, cpus, spread_limit)
        about = dict(threads=threads, thread_count=counts_by_pool[_thread_pool(job.backend)],
                     load_before=job.load_before, load_after=job.load_after, stable=verdict.stable,
                     stability=verdict.brief)
        if job.kind in COPY_KINDS:
            records.append(_copy_record(job, summary, conv_plan, dtype, outcomes, about))
            continue
        gflops = counts.rate_per_second(flops, summary.median_ms)
        gbps = counts.rate_per_second(moved, summary.median_ms)
        peaks = None
        if roofline_peaks:
            peaks = (roofline.measure_cpu_peaks(dtype, counts_by_pool["blas"]) if job.backend.host
                     else roofline.measure_gpu_peaks(dtype))
        error, correct = outcomes[(job.backend.name, job.algorithm)]
        for kind in job.record_kinds:
            records.append(Measurement(
                backend=job.backend.name, algorithm=job.algorithm, kind=kind, device=job.backend.device,
                spec=conv_plan.spec.to_dict(), dtype=dtype.name, repeats=summary.count,
                median_ms=summary.median_ms, p10_ms=summary.p10_ms, p90_ms=summary.p90_ms,
                min_ms=summary.min_ms, max_ms=summary.max_ms, flops=flops, bytes=moved,
                gflops=gflops, gbps=gbps,
                roofline_fraction=roofline.roofline_fraction(peaks, gflops, flops, moved),
                correct=bool(correct), max_error=error, shape=conv_plan.spec.describe(),
                note=HOST_NOTE if len(job.record_kinds) > 1 else "", host=job.backend.host,
                family=job.backend.family, **about,
            ))
    return records


def _copy_record(job, summary, conv_plan, dtype, outcomes, about) -> Measurement:
    moved = counts.copy_bytes(conv_plan, dtype, job.kind)
    error, correct = outcomes[(job.backend.name, COPY_ALGORITHM)]
    return Measurement(
        backend=job.backend.name, algorithm=COPY_ALGORITHM, kind=job.kind, device=job.backend.device,
        spec=conv_plan.spec.to_dict(), dtype=dtype.name, repeats=summary.count,
        median_ms=summary.median_ms, p10_ms=summary.p10_ms, p90_ms=summary.p90_ms,
        min_ms=summary.min_ms, max_ms=summary.max_ms, flops=0, bytes=moved,
        gflops=float("nan"), gbps=counts.rate_per_second(moved, summary.median_ms),
        roofline_fraction=None, correct=bool(correct), max_error=error,
        shape=conv_plan.spec.describe(), host=job.backend.host, family=job.backend.family, **about,
    )
