"""The profiler: statistics, FLOP/byte arithmetic, records, the reference check, cancellation, sweeps."""

import csv
import io
import json
import threading

import numpy as np
import pytest

from convviz.core import ConvSpec, plan, reference_conv2d
from convviz.profiling import (
    Cancelled,
    Measurement,
    check,
    counts,
    crossover,
    machine_info,
    percentile,
    profile,
    records_from_json,
    records_to_csv,
    records_to_json,
    roofline,
    summarize,
    sweep,
    sweep_values,
    vary,
)
from convviz.profiling.records import CSV_COLUMNS

FAST = dict(repeats=2, min_time_s=0.0, roofline_peaks=False, settle_s=0.0)
SMALL = ConvSpec(input_shape=(2, 3, 9, 8), out_channels=4, kernel_size=3, padding=1)


# statistics -------------------------------------------------------------------------------------

def test_percentile_interpolates_like_numpy():
    samples = [5.0, 1.0, 4.0, 2.0, 3.0, 10.0]
    for fraction in (0.0, 0.1, 0.25, 0.5, 0.9, 1.0):
        assert percentile(samples, fraction) == pytest.approx(np.percentile(samples, 100 * fraction))


def test_summary_of_known_samples():
    summary = summarize([3.0, 1.0, 2.0, 4.0, 100.0])
    assert summary.count == 5
    assert summary.median_ms == 3.0
    assert summary.min_ms == 1.0 and summary.max_ms == 100.0
    assert summary.p10_ms == pytest.approx(1.4)
    assert summary.p90_ms == pytest.approx(61.6)
    assert summary.spread_ms == pytest.approx(60.2)
    one = summarize([7.5])
    assert one.median_ms == one.p10_ms == one.p90_ms == 7.5


def test_summary_refuses_nothing():
    with pytest.raises(ValueError):
        summarize([])
    with pytest.raises(ValueError):
        percentile([1.0], 1.5)


# FLOPs and bytes ------------------------------------------------------------------------------------

def test_flops_and_bytes_by_hand():
    spec = ConvSpec(input_shape=(2, 3, 10, 12), out_channels=5, kernel_size=(3, 2), stride=2, padding=1)
    conv_plan = plan(spec)
    n, k, ho, wo = conv_plan.output_shape
    assert (ho, wo) == ((10 + 2 - 3) // 2 + 1, (12 + 2 - 2) // 2 + 1)
    assert counts.conv_flops(spec) == 2 * 2 * 5 * ho * wo * 3 * 3 * 2
    elements = 2 * 3 * 10 * 12 + 5 * 3 * 3 * 2 + n * k * ho * wo
    assert counts.minimal_bytes(spec, "float32") == 4 * elements
    assert counts.minimal_bytes(spec, "float64") == 8 * elements


def test_rates_and_roofline():
    assert counts.rate_per_second(2e9, 1000.0) == pytest.approx(2.0)
    assert counts.rate_per_second(5e6, 1.0) == pytest.approx(5.0)
    assert counts.arithmetic_intensity(100, 50) == 2
    peaks = roofline.Peaks(gflops=100.0, gbps=10.0, source="test")
    # intensity 2 flop/byte: memory bound at 20 GFLOP/s
    assert roofline.attainable_gflops(peaks, 200, 100) == pytest.approx(20.0)
    assert roofline.roofline_fraction(peaks, 10.0, 200, 100) == pytest.approx(0.5)
    # intensity 100: compute bound
    assert roofline.roofline_fraction(peaks, 50.0, 10000, 100) == pytest.approx(0.5)
    assert roofline.roofline_fraction(None, 50.0, 1, 1) is None


def test_peaks_measured_while_busy_give_no_fraction_and_are_measured_again_when_quiet(monkeypatch):
    loads = iter([5.0, 5.0])
    monkeypatch.setattr(roofline, "busy_load_now", lambda: next(loads, None))
    monkeypatch.setattr(roofline, "_cache", {})
    monkeypatch.setattr(roofline, "MATMUL_SHAPES", ((64, 64, 64),))
    monkeypatch.setattr(roofline, "COPY_BYTES", 2**20)
    busy = roofline.measure_cpu_peaks("float32", 1)
    assert busy.busy and "busy (load 5.0" in busy.source
    assert roofline.roofline_fraction(busy, 1.0, 200, 100) is None
    quiet = roofline.measure_cpu_peaks("float32", 1)  # the loads ran out: quiet now
    assert quiet is not busy and not quiet.busy and "busy" not in quiet.source
    assert roofline.roofline_fraction(quiet, 1.0, 200, 100) is not None
    assert roofline.measure_cpu_peaks("float32", 1) is quiet


# records ------------------------------------------------------------------------------------------

def _complete(record: Measurement, roofline_expected=False):
    values = record.to_dict()
    for name in ("backend", "algorithm", "kind", "device", "spec", "dtype", "repeats", "median_ms", "p10_ms",
                 "p90_ms", "min_ms", "max_ms", "flops", "bytes", "gflops", "gbps", "correct", "max_error",
                 "threads", "shape"):
        assert values[name] not in (None, ""), name
    assert record.min_ms <= record.p10_ms <= record.median_ms <= record.p90_ms <= record.max_ms
    assert record.kind in ("kernel", "end-to-end")
    assert record.gflops == pytest.approx(record.flops / record.median_ms / 1e6)
    assert record.gbps == pytest.approx(record.bytes / record.median_ms / 1e6)
    assert "cpu_count" in record.threads
    if roofline_expected:
        assert record.roofline_fraction is not None and record.roofline_fraction > 0


def test_profile_numpy_gives_complete_records():
    records = profile(SMALL, backends=["numpy"], **FAST)
    assert [(r.backend, r.kind) for r in records] == [("numpy", "kernel"), ("numpy", "end-to-end")]
    for record in records:
        _complete(record)
        assert record.correct and record.max_error < 1e-5
        assert record.repeats == 2
        assert record.spec == SMALL.to_dict()
        assert record.algorithm == "shifted"
        assert "same timing" in record.note


def test_profile_every_algorithm_and_roofline(monkeypatch):
    monkeypatch.setattr(roofline, "busy_load_now", lambda: None)  # peaks taken under load give no fraction
    records = profile(SMALL, backends=["numpy"], algorithms="all", dtype="float64", repeats=1, min_time_s=0,
                      settle_s=0)
    # toeplitz (one channel) and pointwise (1×1) cannot run this spec: skipped, with the reason
    assert {r.algorithm for r in records} == {"shifted", "im2col", "im2col-chunked"}
    for record in records:
        _complete(record, roofline_expected=True)
        assert record.dtype == "float64" and record.max_error < 1e-12


def test_records_round_trip_json_and_csv():
    records = profile(SMALL, backends=["numpy"], **FAST)
    machine = machine_info()
    document = json.loads(records_to_json(records, machine))
    assert document["machine"]["logical_cpus"] >= 1
    assert len(document["records"]) == 2
    again = records_from_json(records_to_json(records))
    assert again[0] == records[0]
    rows = list(csv.DictReader(io.StringIO(records_to_csv(records))))
    assert list(rows[0]) == CSV_COLUMNS
    assert float(rows[0]["median_ms"]) == pytest.approx(records[0].median_ms)
    assert json.loads(rows[0]["spec"]) == SMALL.to_dict()
    assert rows[0]["correct"] == "True"


def test_machine_info_states_threads():
    info = machine_info()
    for key in ("cpu", "logical_cpus", "date_utc", "numpy", "threads"):
        assert info[key]
    assert info["threads"]["cpu_count"] == info["logical_cpus"]


# the reference check -------------------------------------------------------------------------------

def test_oracle_full_and_sampled_agree_with_reference():
    rng = np.random.default_rng(1)
    spec = ConvSpec(input_shape=(1, 2, 70, 140), out_channels=2, kernel_size=3, stride=(1, 2), padding="same",
                    padding_mode="reflect")
    conv_plan = plan(spec)
    assert conv_plan.steps > check.FULL_REFERENCE_POSITIONS
    x = rng.standard_normal(spec.input_shape)
    w = rng.standard_normal(spec.weight_shape)
    oracle = check.make_oracle(x, w, conv_plan)
    assert "sampled" in oracle.method or "positions" in oracle.method
    np.testing.assert_allclose(oracle.expected, reference_conv2d(x, w, conv_plan), atol=1e-12)
    positions = check.sample_positions(conv_plan, 10)
    assert (0, 0) in positions and (conv_plan.output_size[0] - 1, conv_plan.output_size[1] - 1) in positions


def test_relative_error():
    expected = np.array([[1.0, -4.0]])
    assert check.relative_error(expected, expected) == 0
    assert check.relative_error(np.array([[1.0, -3.0]]), expected) == pytest.approx(0.25)
    assert check.relative_error(np.zeros((2, 1)), expected) == float("inf")
    assert check.relative_error(np.array([[np.nan, 0]]), expected) == float("inf")


# cancellation and progress -----------------------------------------------------------------------------

def test_cancel_before_start_raises():
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        profile(SMALL, backends=["numpy"], cancel=cancel, **FAST)


def test_cancel_from_progress_stops_timing():
    cancel = threading.Event()
    seen = []

    def progress(done, total, message):
        seen.append((done, total, message))
        if message.startswith("timing"):
            cancel.set()

    with pytest.raises(Cancelled):
        profile(SMALL, backends=["numpy"], progress=progress, cancel=cancel, repeats=10**6, min_time_s=0,
                roofline_peaks=False)
    assert any(message.startswith("checking") for _, _, message in seen)
    assert all(0 <= done <= total for done, total, _ in seen)


def test_cancel_from_another_thread():
    cancel = threading.Event()
    result = {}

    def work():
        try:
            profile(SMALL, backends=["numpy"], cancel=cancel, min_time_s=60, roofline_peaks=False)
        except Cancelled:
            result["cancelled"] = True

    worker = threading.Thread(target=work)
    worker.start()
    cancel.set()
    worker.join(timeout=30)
    assert not worker.is_alive() and result == {"cancelled": True}


# skipping ------------------------------------------------------------------------------------------------

def test_unavailable_and_unsupported_are_skipped_with_reasons():
    skipped = []
    records = profile(SMALL, backends=["numpy", "cupy", "scipy"], skipped=skipped, **FAST)
    assert {r.backend for r in records} == {"numpy"}
    reasons = {item.backend: item.reason for item in skipped}
    assert "scipy-ndimage" in reasons and "scipy-signal" in reasons
    from convviz.backends import get_backend

    if not get_backend("cupy").available():
        assert reasons["cupy"]


def test_unknown_backend_is_refused():
    from convviz.core import ConvSpecError

    with pytest.raises(ConvSpecError, match="unknown backend"):
        profile(SMALL, backends=["numpy", "tensorflow"], **FAST)


# sweeps and the crossover ----------------------------------------------------------------------------------

def test_vary_each_parameter():
    spec = ConvSpec(input_shape=(1, 2, 16, 16), out_channels=2, kernel_size=3, padding=1)
    assert vary(spec, "input-size", 32).input_shape == (1, 2, 32, 32)
    varied = vary(spec, "channels", 8)
    assert varied.in_channels == 8 and varied.out_channels == 8
    assert vary(spec, "kernel-size", 5).kernel_size == (5, 5)
    assert vary(spec, "stride", 2).stride == (2, 2)
    assert vary(spec, "batch", 4).batch == 4
    assert sweep_values("input-size", 16, 100) == [16, 32, 64, 100]
    assert sweep_values("kernel-size", 1, 4) == [1, 2, 3, 4]


def test_sweep_records_carry_the_value_and_skip_impossible_values():
    spec = ConvSpec(input_shape=(1, 1, 8, 8), out_channels=1, kernel_size=5)
    skipped, messages = [], []
    records = sweep(spec, "input-size", [2, 8, 12], backends=["numpy"], skipped=skipped,
                    progress=lambda done, total, message: messages.append((done, total, message)), **FAST)
    assert sorted({r.sweep_value for r in records}) == [8, 12]
    assert all(r.sweep_parameter == "input-size" and r.correct for r in records)
    assert any("input-size=2" == item.backend for item in skipped)
    assert all(done <= total for done, total, _ in messages)


def _record(backend, value, median, kind="end-to-end"):
    return Measurement(
        backend=backend, algorithm="a", kind=kind, device="d", spec={}, dtype="float32", repeats=1,
        median_ms=median, p10_ms=median, p90_ms=median, min_ms=median, max_ms=median, flops=1, bytes=1,
        gflops=1.0, gbps=1.0, roofline_fraction=None, correct=True, max_error=0.0,
        sweep_parameter="input-size", sweep_value=value,
    )


def test_crossover_is_the_smallest_value_where_the_gpu_wins():
    records = [
        _record("numpy", 16, 0.1), _record("cupy", 16, 0.5),
        _record("numpy", 64, 1.0), _record("cupy", 64, 0.9),
        _record("numpy", 256, 10.0), _record("cupy", 256, 1.0),
        _record("numpy", 16, 0.1, kind="kernel"), _record("cupy", 16, 0.01, kind="kernel"),
    ]
    assert crossover(records, "cupy", "numpy") == 64
    assert crossover(records, "cupy", "numpy", kind="kernel") == 16
    assert crossover(records[:2], "cupy", "numpy") is None
    assert crossover([], "cupy", "numpy") is None


def test_sweep_refuses_an_unknown_parameter():
    from convviz.core import ConvSpecError

    with pytest.raises(ConvSpecError):
        sweep(SMALL, "colour", [1], backends=["numpy"], **FAST)


# the profiler never imports Qt ----------------------------------------------------------------------------

def test_profiling_does_not_import_qt():
    import subprocess
    import sys

    code = ("import sys; import convviz.profiling, convviz.cli.bench; "
            "bad=[m for m in sys.modules if m.split('.')[0] in ('PyQt6','pyqtgraph')]; assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_compare_numpy_with_a_peer():
    from convviz.profiling import compare

    records = [_record("numpy", None, 2.0), _record("torch-cpu", None, 1.0), _record("numpy", None, 3.0)]
    records[0].shape, records[1].shape, records[2].shape = "a", "a", "b"
    found = compare(records, "numpy", "torch-cpu")
    assert found.ratios == {"a": 2.0} and found.median == 2.0 and found.worst == 2.0
    assert compare(records, "numpy", "scipy-ndimage").median is None


def test_work_over_the_memory_limit_is_refused(monkeypatch):
    from convviz.core import ConvSpecError

    monkeypatch.setenv("CONVVIZ_MEMORY_LIMIT", "1K")
    with pytest.raises(ConvSpecError, match="limit"):
        profile(SMALL, backends=["numpy"], **FAST)


def test_algorithms_a_backend_lacks_are_skipped():
    skipped = []
    records = profile(SMALL, backends=["numpy"], algorithms=["winograd"], skipped=skipped, **FAST)
    assert records == []
    assert "none of the algorithms" in skipped[0].reason and "shifted" in skipped[0].reason


def test_each_record_is_reported_as_soon_as_it_is_timed():
    events = []
    records = profile(SMALL, backends=["numpy"], algorithms="all", progress=lambda *args: events.append(args[2]),
                      on_record=events.append, **FAST)
    reported = [event for event in events if isinstance(event, Measurement)]
    assert len(reported) == len(records) == 6
    assert {id(record) for record in reported} == {id(record) for record in records}
    first_record = next(index for index, event in enumerate(events) if isinstance(event, Measurement))
    last_timing = max(index for index, event in enumerate(events) if isinstance(event, str) and event.startswith("timing"))
    assert first_record < last_timing  # the first algorithm's records came while others were still timed
    pairs = [(record.algorithm, record.kind) for record in reported]
    assert pairs[:2] == [(reported[0].algorithm, "kernel"), (reported[0].algorithm, "end-to-end")]


def test_copy_share_uses_each_kinds_fastest_correct_record():
    from dataclasses import replace

    from convviz.profiling.compare import copy_share, fastest_median

    records = [_record("cupy", None, 4.0), _record("cupy", None, 2.0), _record("cupy", None, 0.6, kind="copy-in"),
               _record("cupy", None, 0.4, kind="copy-out"), replace(_record("cupy", None, 0.1, kind="copy-out"),
                                                                   correct=False)]
    assert fastest_median(records, "cupy", "end-to-end") == 2.0
    assert fastest_median(records, "numpy", "end-to-end") is None
    share = copy_share(records, "cupy")
    assert (share.copy_in_ms, share.copy_out_ms) == (0.6, 0.4) and share.share == pytest.approx(0.5)
    assert copy_share(records[:2], "cupy") is None
