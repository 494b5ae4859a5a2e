"""The `plan` command: text, JSON, and one-line errors with exit status 2."""

import json
import subprocess
import sys

import pytest
from helpers import ROOT  # noqa: E402

from convviz.cli import main


def test_plan_text(capsys):
    assert main(["plan", "--input", "7x7", "--kernel", "3", "--stride", "2", "--padding", "same"]) == 0
    out = capsys.readouterr().out
    assert "top 1, bottom 1, left 1, right 1" in out
    assert "⌊(7 + 1 + 1 − 3)/2⌋ + 1 = 4" in out
    assert "1×1×4×4" in out
    assert "   1 2 1 2 1 2 1" in out


def test_plan_json_matches_the_plan(capsys):
    assert main(["plan", "--input", "5x6", "--kernel", "3", "--stride", "3", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["pads"] == [0, 0, 0, 0]
    assert record["output_shape"] == [1, 1, 1, 2]
    assert record["unread_rows"] == [3, 4]
    assert record["unread_cols"] == []
    assert len(record["coverage"]) == 5 and len(record["coverage"][0]) == 6


def test_plan_reads_a_spec_file_and_flags_override(tmp_path, capsys):
    spec_file = tmp_path / "lesson.json"
    spec_file.write_text(json.dumps({"input_shape": [1, 1, 9, 9], "kernel_size": 5, "padding": "same"}))
    assert main(["plan", "--spec", str(spec_file), "--stride", "2", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["output_shape"] == [1, 1, 5, 5]
    assert record["spec"]["kernel_size"] == [5, 5]


def test_large_input_prints_a_summary_not_a_grid(capsys):
    assert main(["plan", "--input", "100", "--kernel", "3"]) == 0
    assert "min 1, max 9" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["plan", "--input", "5", "--kernel", "3", "--dilation", "3"], "padded input 5×5 is smaller than the dilated kernel 7×7"),
        (["plan", "--input", "5x"], "input size must be a number or HxW"),
        (["plan", "--stride", "0"], "stride (height) must be at least 1"),
        (["plan", "--padding", "1,2,3"], "padding takes one number, two"),
        (["plan", "--padding", "wide"], "padding 'wide' is not one of"),
        (["plan", "--padding-mode", "mirror"], "invalid choice"),
        (["plan", "--channels", "two"], "expected a whole number"),
        (["plan", "--spec", "/nonexistent/spec.json"], "cannot read spec file"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(argv, message):
    result = subprocess.run([sys.executable, "main.py", *argv], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert message in lines[0]
    assert "Traceback" not in result.stderr


def test_bad_spec_files(tmp_path, capsys):
    cases = {
        "broken.json": "{not json",
        "list.json": "[1, 2]",
        "unknown.json": json.dumps({"input_shape": [1, 1, 5, 5], "kernal": 3}),
        "missing.json": json.dumps({"kernel_size": 3}),
        "deep.json": "[" * 100_000 + "]" * 100_000,
        "deep-field.json": '{"padding": ' + "[" * 100_000 + "]" * 100_000 + "}",
    }
    for name, text in cases.items():
        path = tmp_path / name
        path.write_text(text)
        assert main(["plan", "--spec", str(path)]) == 2
        error = capsys.readouterr().err
        assert error.startswith("convviz: ") and error.count("\n") == 1, error
    assert main(["plan", "--spec", "bad\x00name.json"]) == 2
    error = capsys.readouterr().err
    assert "NUL" in error and error.count("\n") == 1, error
