"""What `convviz bench` prints: peaks measured once, one row per CPU timing, threads and stability
beside each figure, × fastest against the fastest stable row, and "no GPU here: <reason>"."""

import json
from dataclasses import replace

import pytest

from convviz.backends import get_backend
from convviz.cli import main
from convviz.cli.bench_report import fastest_ratios, shown
from convviz.profiling import profile, roofline
from convviz.profiling.roofline import Peaks

SMALL = ["--input", "10", "--channels", "2", "--out-channels", "3", "--kernel", "3"]
QUIET_FAST = ["--repeats", "2", "--min-time", "0", "--threads", "1"]


@pytest.fixture
def counted_peaks(monkeypatch):
    """A fresh peak cache and a count of the measurements (the real one takes seconds)."""
    measured = []

    def measure(dtype):
        measured.append(dtype)
        return Peaks(100.0, 10.0, "test")

    monkeypatch.setattr(roofline, "_cache", {})
    monkeypatch.setattr(roofline, "_measure_cpu", measure)
    return measured


def test_peaks_are_measured_once_per_run_and_said_once(counted_peaks, capsys):
    status = main(["bench", "--backends", "numpy", *SMALL, *QUIET_FAST, "--sweep", "input-size",
                   "--values", "8,10,12"])
    assert status == 0
    err = capsys.readouterr().err
    assert len(counted_peaks) == 1
    assert err.count("measuring the CPU's matmul and copy peaks") == 1
    assert "once for this run" in err


def test_one_row_per_cpu_timing_with_threads_and_stability(capsys):
    assert main(["bench", "--backends", "numpy", *SMALL, *QUIET_FAST, "--no-roofline", "--quiet"]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith("1×2×10×10")]
    assert len(rows) == 1 and "kernel = end-to-end" in rows[0]  # kernel and end-to-end are one timing here
    assert "threads" in out.splitlines()[3] and "stability" in out.splitlines()[3]
    assert ("  stable  " in rows[0]) or ("UNSTABLE: " in rows[0])
    assert "chosen: 1 BLAS" in out and "blas_threads 1" in out  # chosen, and as the library reported it inside
    assert "1-minute load average" in out and "on " in out


def test_without_a_gpu_the_line_says_why(capsys):
    reason = get_backend("cupy").available()
    if reason:
        pytest.skip("a GPU is here")
    main(["bench", "--backends", "numpy,cupy", *SMALL, *QUIET_FAST, "--no-roofline", "--quiet",
          "--sweep", "input-size", "--values", "8,10"])
    out = capsys.readouterr().out
    assert f"no GPU here: {reason.reason}" in out and "crossover" not in out
    main(["bench", "--backends", "numpy", *SMALL, *QUIET_FAST, "--no-roofline", "--quiet"])
    assert "no GPU here: " in capsys.readouterr().out


def test_times_fastest_is_against_the_fastest_stable_row():
    spec_records = profile(__import__("convviz.core", fromlist=["ConvSpec"]).ConvSpec(
        input_shape=(1, 2, 10, 10), out_channels=3, kernel_size=3), backends=["numpy"], algorithms="all",
        repeats=2, roofline_peaks=False, settle_s=0)
    rows = shown(spec_records)
    assert len(rows) >= 3 and all(row.kind == "kernel" for row in rows)
    fast, middle, slow = rows[0], rows[1], rows[2]
    rows = [replace(fast, median_ms=1.0, stable=False, stability="busy"),  # fastest, but not to be trusted
            replace(middle, median_ms=2.0, stable=True), replace(slow, median_ms=3.0, stable=True)]
    ratios = fastest_ratios(rows)
    assert [ratios[id(row)] for row in rows] == ["0.50", "1.00", "1.50"]
    nothing_stable = [replace(row, stable=False) for row in rows]
    ratios = fastest_ratios(nothing_stable)
    assert [ratios[id(row)] for row in nothing_stable] == ["(1.00)", "(2.00)", "(3.00)"]
    alone = fastest_ratios(rows[:1])
    assert alone[id(rows[0])] == "—"  # nothing to compare with: not a meaningless 1.00


def test_bad_thread_counts_are_refused_in_one_line(capsys):
    for flag, value in (("--threads", "0"), ("--peer-threads", "100000")):
        assert main(["bench", "--backends", "numpy", *SMALL, "--quiet", flag, value]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and flag in err and "Traceback" not in err


def test_markdown_and_json_carry_the_machine_threads_and_load(tmp_path, capsys):
    markdown, saved = tmp_path / "t.md", tmp_path / "t.json"
    assert main(["bench", "--backends", "numpy", *SMALL, *QUIET_FAST, "--no-roofline", "--quiet",
                 "--markdown", str(markdown), "--json", str(saved)]) == 0
    text = markdown.read_text()
    assert "| threads |" in text and "| stability |" in text and "kernel = end-to-end" in text
    assert "1-minute load average" in text and "chosen: 1 BLAS" in text
    machine = json.loads(saved.read_text())["machine"]
    assert machine["chosen_threads"] == {"blas": 1, "torch": 1} and machine["threads"]["blas_threads"] == 1
    assert machine["load_before"] and machine["load_average"]


def test_gpu_lines_name_the_crossover_from_stable_records_or_why_there_is_none():
    from convviz.backends.base import CONVVIZ
    from convviz.cli.bench_report import gpu_lines
    from convviz.profiling import Measurement

    def record(backend, host, value, median, stable=True):
        return Measurement(
            backend=backend, algorithm="a", kind="end-to-end", device="d", spec={}, dtype="float32", repeats=3,
            median_ms=median, p10_ms=median, p90_ms=median, min_ms=median, max_ms=median, flops=1, bytes=1,
            gflops=1.0, gbps=1.0, roofline_fraction=None, correct=True, max_error=0.0, shape=f"s{value}",
            sweep_parameter="input-size", sweep_value=value, host=host, family=CONVVIZ, stable=stable)

    class Gone:
        host, family = False, CONVVIZ

        def available(self):
            from convviz.backends.base import Availability

            return Availability(False, "no CUDA device")

    cpu_only = [record("cpu", True, 16, 1.0)]
    assert gpu_lines(cpu_only, "input-size", backends=[Gone()]) == ["no GPU here: no CUDA device"]
    both = cpu_only + [record("gpu", False, 16, 0.5, stable=False), record("cpu", True, 64, 4.0),
                       record("gpu", False, 64, 1.0)]
    assert gpu_lines(both, "input-size")[0] == "crossover (end-to-end): GPU (gpu) first beats CPU (cpu) at input-size 64"
