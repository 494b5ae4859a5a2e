"""`convviz bench`: the quick suite through the CLI, its JSON and CSV, and a wrong backend failing it."""

import csv
import json

import numpy as np
import pytest

from convviz.backends import BACKEND_CLASSES, get_backend
from convviz.backends.numpy_backend import NumpyBackend
from convviz.cli import main
from convviz.cli.bench import QUICK_SUITE, STANDARD_SUITE

FAST = ["--repeats", "1", "--min-time", "0", "--no-roofline", "--quiet"]


class WrongBackend(NumpyBackend):
    """A deliberately wrong backend: right shape, one output value off."""

    name = "wrong"
    device = "CPU (wrong on purpose)"

    def convolve(self, x, w, conv_plan, bias=None, algorithm=None):
        y = super().convolve(x, w, conv_plan, bias=bias, algorithm=algorithm)
        y.flat[-1] += 1.0
        return y


@pytest.fixture
def wrong_backend(monkeypatch):
    monkeypatch.setitem(BACKEND_CLASSES, "wrong", (__name__, "WrongBackend"))
    get_backend.cache_clear()
    yield
    get_backend.cache_clear()


def test_suites_as_the_issue_lists_them():
    described = [spec.describe() for spec in STANDARD_SUITE]
    assert described[0].startswith("1×1×512×512 → 1 k3×3")
    assert described[7] == "1×32×64×64 → 32 k5×5 s1,1 p4,4 d2,2"
    assert len(STANDARD_SUITE) == 8
    assert set(QUICK_SUITE) < set(STANDARD_SUITE)


def test_quick_suite_numpy_json_and_csv(tmp_path, capsys):
    json_file, csv_file = tmp_path / "bench.json", tmp_path / "bench.csv"
    status = main(["bench", "--suite", "quick", "--backends", "numpy,cupy", *FAST,
                   "--json", str(json_file), "--csv", str(csv_file)])
    assert status == 0
    out = capsys.readouterr().out
    assert "median ms" in out and "× fastest" in out and "threads" in out
    if not get_backend("cupy").available():
        assert "skipped   cupy:" in out
    document = json.loads(json_file.read_text())
    records = document["records"]
    assert len(records) == 2 * len(QUICK_SUITE)
    assert {record["shape"] for record in records} == {spec.describe() for spec in QUICK_SUITE}
    for record in records:
        assert record["backend"] == "numpy" and record["correct"] is True
        assert record["median_ms"] > 0 and record["flops"] > 0 and record["bytes"] > 0
        assert record["repeats"] == 1 and record["threads"]["cpu_count"] >= 1
    assert document["machine"]["cpu"]
    rows = list(csv.DictReader(csv_file.open()))
    assert len(rows) == len(records)
    assert {row["kind"] for row in rows} == {"kernel", "end-to-end"}


def test_a_wrong_backend_fails_the_bench(wrong_backend, tmp_path, capsys):
    json_file = tmp_path / "bench.json"
    status = main(["bench", "--backends", "numpy,wrong", "--input", "12", "--channels", "2", "--out-channels", "3",
                   "--kernel", "3", *FAST, "--json", str(json_file)])
    assert status == 1
    captured = capsys.readouterr()
    assert "WRONG" in captured.out
    assert "disagree with the reference" in captured.err and "wrong" in captured.err
    records = json.loads(json_file.read_text())["records"]
    verdicts = {record["backend"]: record["correct"] for record in records}
    assert verdicts == {"numpy": True, "wrong": False}


def test_the_wrong_backend_really_is_wrong(wrong_backend):
    from convviz.core import ConvSpec, plan, reference_conv2d

    spec = ConvSpec(input_shape=(1, 1, 5, 5))
    x = np.random.default_rng(0).standard_normal(spec.input_shape)
    w = np.ones(spec.weight_shape)
    assert not np.allclose(get_backend("wrong").convolve(x, w, plan(spec)), reference_conv2d(x, w, plan(spec)))


def test_single_spec_every_algorithm(capsys):
    assert main(["bench", "--input", "20x17", "--channels", "3", "--out-channels", "2", "--kernel", "3",
                 "--stride", "2", "--padding", "same", "--backends", "numpy", "--algorithms", "all", *FAST]) == 0
    out = capsys.readouterr().out
    for algorithm in ("im2col", "im2col-chunked"):
        assert f" {algorithm} " in out


def test_sweep_through_the_cli(tmp_path, capsys):
    json_file = tmp_path / "sweep.json"
    assert main(["bench", "--input", "8", "--kernel", "3", "--backends", "numpy", "--sweep", "input-size",
                 "--from", "8", "--to", "32", *FAST, "--json", str(json_file)]) == 0
    out = capsys.readouterr().out
    assert "no GPU here: " in out or "crossover (end-to-end)" in out
    values = sorted({record["sweep_value"] for record in json.loads(json_file.read_text())["records"]})
    assert values == [8, 16, 32]


@pytest.mark.parametrize("arguments", [
    ["--backends", "numpy,tensorflow"],
    ["--sweep", "input-size"],
    ["--sweep", "colour", "--from", "1", "--to", "2"],
    ["--repeats", "0"],
])
def test_bad_arguments_exit_2(arguments, capsys):
    assert main(["bench", "--input", "8", *FAST, *arguments]) == 2
    assert "convviz" in capsys.readouterr().err


def test_progress_goes_to_stderr(capsys):
    assert main(["bench", "--input", "8", "--backends", "numpy", "--repeats", "1", "--min-time", "0",
                 "--no-roofline"]) == 0
    captured = capsys.readouterr()
    assert "checking numpy" in captured.err
    assert "checking" not in captured.out


def test_markdown_table(tmp_path, capsys):
    markdown = tmp_path / "bench.md"
    assert main(["bench", "--input", "8", "--channels", "2", "--backends", "numpy", *FAST,
                 "--markdown", str(markdown)]) == 0
    text = markdown.read_text()
    assert text.startswith("Command: `python ")
    assert "| 1×2×8×8 → 1 k3×3 s1,1 valid | numpy | shifted | kernel = end-to-end |" in text
