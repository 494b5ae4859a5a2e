"""What records say (profiling.results), on records built by hand: backends told apart by what they
declared, never by name; rates with their units; one bar per timing; the lines the timing panel shows."""

import pytest

from convviz.backends.base import CONVVIZ, PEER, Availability
from convviz.profiling import Measurement, Skipped
from convviz.profiling import results as R

NAN = float("nan")


def _record(backend, kind="end-to-end", median=1.0, host=True, family=CONVVIZ, algorithm="a", correct=True,
            gflops=1.0, gbps=1.0, sweep_value=None, note=""):
    return Measurement(
        backend=backend, algorithm=algorithm, kind=kind, device="d", spec={}, dtype="float32", repeats=3,
        median_ms=median, p10_ms=median * 0.9, p90_ms=median * 1.2, min_ms=median * 0.8, max_ms=median * 1.5,
        flops=1, bytes=1, gflops=gflops, gbps=gbps, roofline_fraction=None, correct=correct, max_error=0.0,
        note=note, sweep_parameter=None if sweep_value is None else "input-size", sweep_value=sweep_value,
        host=host, family=family, shape="1×1×8×8 → 1 k3×3",
    )


def _copy(backend, kind, median, gbps, family=CONVVIZ):
    return _record(backend, kind, median, host=False, family=family, algorithm="copy", gflops=NAN, gbps=gbps)


# names that are neither "numpy" nor "cupy": only the declarations tell host from device
HOST, DEVICE, PEER_DEVICE = "own-host", "own-device", "peer-device"


def _run():
    return [
        _record(HOST, "kernel", 4.0, algorithm="x"), _record(HOST, "end-to-end", 4.0, algorithm="x"),
        _record(HOST, "kernel", 3.0, algorithm="y"), _record(HOST, "end-to-end", 3.0, algorithm="y"),
        _record(HOST, "end-to-end", 0.5, algorithm="wrong", correct=False),
        _record(DEVICE, "kernel", 0.25, host=False), _record(DEVICE, "end-to-end", 2.0, host=False),
        _copy(DEVICE, "copy-in", 0.5, 12.5), _copy(DEVICE, "copy-out", 0.25, 3.0),
        _record(PEER_DEVICE, "kernel", 0.01, host=False, family=PEER),
        _record(PEER_DEVICE, "end-to-end", 0.1, host=False, family=PEER),
        _copy(PEER_DEVICE, "copy-in", 0.09, 1.0, family=PEER), _copy(PEER_DEVICE, "copy-out", 0.005, 1.0, family=PEER),
    ]


def test_gpu_against_cpu_by_what_the_backends_declared():
    records = _run()
    assert (R.own_backend(records, host=True), R.own_backend(records, host=False)) == (HOST, DEVICE)
    ratios = R.gpu_cpu_ratios(records)
    assert [(ratio.kind, ratio.device_ms, ratio.host_ms) for ratio in ratios] == [("end-to-end", 2.0, 3.0),
                                                                                   ("kernel", 0.25, 3.0)]
    assert ratios[0].value == pytest.approx(2 / 3)
    assert R.gpu_cpu_ratios([r for r in records if r.backend != DEVICE]) == []  # a peer is not "the GPU"


def test_the_copy_share_is_that_of_convvizs_device_backend():
    share = R.device_copy_share(_run())
    assert (share.copy_in_ms, share.copy_out_ms, share.share) == (0.5, 0.25, pytest.approx(0.375))
    assert R.device_copy_share([r for r in _run() if r.backend != DEVICE]) is None


def test_comparison_lines_say_ratios_and_copies():
    assert R.comparison_lines(_run(), backends=[]) == [
        "GPU/CPU time (end-to-end): 0.667× (GPU faster)",
        "GPU/CPU time (kernel): 0.0833× (GPU faster)",
        "GPU copies: in 0.5 ms + out 0.25 ms, 38% of the GPU's end-to-end time",
    ]
    slow_gpu = [_record(HOST, median=1.0), _record(DEVICE, median=5.0, host=False)]
    assert R.comparison_lines(slow_gpu, backends=[]) == ["GPU/CPU time (end-to-end): 5× (CPU faster)"]


class _Declared:
    def __init__(self, host, family, reason=None):
        self.host, self.family, self.reason = host, family, reason

    def available(self):
        return Availability(self.reason is None, self.reason or "")


def test_no_gpu_here_asks_the_unavailable_device_backend_why():
    backends = [_Declared(True, CONVVIZ), _Declared(False, PEER, "PyTorch is not installed"),
                _Declared(False, CONVVIZ, "no CUDA device")]
    assert R.no_device_reason(backends) == "no CUDA device"
    assert R.comparison_lines([_record(HOST)], backends) == ["GPU/CPU ratio: no GPU here — no CUDA device"]
    ready = [_Declared(True, CONVVIZ), _Declared(False, CONVVIZ), _Declared(False, PEER, "not installed")]
    assert R.no_device_reason(ready) is None and R.comparison_lines([_record(HOST)], ready) == []
    assert R.comparison_lines(_run(), backends)[0].startswith("GPU/CPU time")  # a ratio: no excuse needed


def test_rates_have_their_units_from_one_function():
    timed = _record(HOST, gflops=1.2345)
    copy = _copy(DEVICE, "copy-in", 0.5, 12.5)
    assert timed.rate() == (1.2345, "GFLOP/s") and copy.rate() == (12.5, "GB/s")
    assert R.rate_label(timed) == "1.23 GFLOP/s" and R.rate_label(copy) == "12.5 GB/s"
    nothing = _record(DEVICE, "kernel", host=False, gflops=NAN, gbps=5.0)  # not a copy: GB/s is not its rate
    assert nothing.rate() is None and R.rate_label(nothing) == "" and nothing.rate_text() == "—"
    assert timed.rate_text(".3g") == "1.23" and copy.rate_text(".3g") == "12.5 GB/s"


def test_one_bar_per_timing_host_records_merged_by_declaration_not_by_note():
    bars = R.bars(_run())
    labels = [bar.label for bar in bars]
    assert labels == [
        "own-device a (end-to-end) · 1 GFLOP/s",
        "own-host wrong (kernel = end-to-end) · 1 GFLOP/s ✗ WRONG",
        "own-host x (kernel = end-to-end) · 1 GFLOP/s",
        "own-host y (kernel = end-to-end) · 1 GFLOP/s",
        "peer-device a (end-to-end) · 1 GFLOP/s",
        "own-device a (kernel) · 1 GFLOP/s",
        "own-device copy (copy-in) · 12.5 GB/s",
        "own-device copy (copy-out) · 3 GB/s",
        "peer-device a (kernel) · 1 GFLOP/s",
        "peer-device copy (copy-in) · 1 GB/s",
        "peer-device copy (copy-out) · 1 GB/s",
    ]
    assert [bar.record.median_ms for bar in bars[1:4]] == [0.5, 4.0, 3.0]
    # a live run that has reported only a host backend's kernel record: still its one bar
    assert [bar.label for bar in R.bars([_record(HOST, "kernel")])] == ["own-host a (kernel = end-to-end) · 1 GFLOP/s"]
    # a note is only words: a device record that has one is not merged
    noted = [_record(DEVICE, "kernel", host=False, note="x"), _record(DEVICE, host=False, note="x")]
    assert len(R.bars(noted)) == 2


def test_table_rows_in_table_order():
    records = R.table_order([_record(HOST, "kernel", 4.0), _record(DEVICE, host=False, correct=False)])
    assert [(r.backend, r.kind) for r in records] == [(DEVICE, "end-to-end"), (HOST, "kernel")]
    assert R.table_row(records[0]) == [DEVICE, "a", "end-to-end", "1", "0.9–1.2", "", "", "1", "", "NO (error 0)"]
    assert R.table_row(_copy(DEVICE, "copy-in", 0.5, 12.5))[7] == "12.5 GB/s"
    assert len(R.TABLE_COLUMNS) == len(R.table_row(records[1]))


def test_run_summary_names_each_skip_once():
    skipped = [Skipped("cupy", "no CUDA device"), Skipped("cupy", "no CUDA device", "direct"),
               Skipped("scipy-signal", "one channel only")]
    two = [_record(HOST), _record(DEVICE)]
    assert R.run_summary(two, skipped) == ("done: 2 timings for 1×1×8×8 → 1 k3×3 · skipped cupy: no CUDA device; "
                                           "scipy-signal: one channel only")
    assert R.run_summary([], []) == "done: 0 timings"


def test_sweep_series_and_crossover_by_declaration():
    records = [
        _record(HOST, median=0.1, sweep_value=16), _record(DEVICE, median=0.5, host=False, sweep_value=16),
        _record(HOST, median=1.0, sweep_value=64), _record(DEVICE, median=0.9, host=False, sweep_value=64),
        _record(HOST, median=0.7, sweep_value=64, algorithm="b"),
        _record(HOST, "kernel", 0.01, sweep_value=64),
        _record(PEER_DEVICE, median=0.01, host=False, family=PEER, sweep_value=16),
    ]
    assert R.sweep_series(records) == {HOST: [(16, 0.1, True), (64, 0.7, True)],
                                       DEVICE: [(16, 0.5, True), (64, 0.9, True)], PEER_DEVICE: [(16, 0.01, True)]}
    assert R.sweep_crossover(records) is None  # 0.9 against the CPU's fastest, 0.7; the peer does not count
    records.append(_record(DEVICE, median=0.6, host=False, sweep_value=64, algorithm="b"))
    assert R.sweep_crossover(records) == 64 and R.crossover_mark(64) == "GPU faster from 64"
    assert R.input_size_sweep_lines(records, backends=[]) == ["crossover: the GPU wins end to end from input 64×64"]
    assert R.input_size_sweep_lines(records[:1], backends=[_Declared(False, CONVVIZ, "no CUDA device")]) == [
        "GPU/CPU ratio: no GPU here — no CUDA device"]


def test_ratios_and_crossovers_use_stable_records_only():
    from dataclasses import replace

    records = _run()
    shaky = [replace(record, stable=False, stability="busy (load 9.0)") if record.backend == DEVICE else record
             for record in records]
    assert R.gpu_cpu_ratios(shaky) == [] and R.device_copy_share(shaky) is None
    assert R.comparison_lines(shaky, backends=[]) == [
        "GPU/CPU ratio: none — no stable, correct timing on both sides (see the stability column)"]
    sweep = [
        _record(HOST, median=1.0, sweep_value=16), _record(DEVICE, median=0.5, host=False, sweep_value=16),
        _record(HOST, median=4.0, sweep_value=64), _record(DEVICE, median=1.0, host=False, sweep_value=64),
    ]
    assert R.sweep_crossover(sweep) == 16
    sweep[1] = replace(sweep[1], stable=False, stability="spread 3×")  # the GPU's win at 16 is not to be trusted
    assert R.sweep_crossover(sweep) == 64
    assert R.input_size_sweep_lines(sweep, backends=[]) == [
        "crossover: the GPU wins end to end from input 64×64",
        "sizes 16: unstable timings, left out of the crossover"]
    points = R.sweep_series(sweep)[DEVICE]
    assert [(point.value, point.stable) for point in points] == [(16, False), (64, True)]


def test_the_stability_line_counts_each_timing_once_and_names_the_causes():
    from dataclasses import replace

    host = [_record(HOST, "kernel", 2.0), _record(HOST, "end-to-end", 2.0)]  # one timing, two records
    stable = [replace(record, stable=True, thread_count=1, load_before=0.5, load_after=0.7) for record in host]
    assert R.stability_line(stable) == "all 1 timings stable (1 thread, load 0.50–0.70)"
    busy = [replace(record, stable=False, stability="busy (load 9.0), spread 3×", p10_ms=1.0, p90_ms=3.0)
            for record in stable]
    line = R.stability_line(busy + [replace(_record(DEVICE, host=False), stable=True, thread_count=1)])
    assert line.startswith("⚠ 1 of 2 timings unstable (1 thread, load 0.50–0.70): 1 ran while the machine was busy, "
                           "1 spread up to 3× (p90/p10)")
    assert R.stability_line(_run()) == ""  # records without verdicts say nothing
