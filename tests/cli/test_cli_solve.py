"""The `solve` command: text, JSON, and one-line refusals with exit status 2."""

import json
import subprocess
import sys

import pytest
from helpers import ROOT

from convviz.cli import main
from convviz.core import ConvSpec, plan


def test_solve_json_has_pads_and_output_shape(capsys):
    assert main(["solve", "--input", "7x9", "--kernel", "4", "--stride", "2", "--target", "4x6", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["pads"] == [1, 2, 2, 3]
    assert record["output_shape"] == [1, 1, 4, 6]
    solved = ConvSpec.from_dict(record["spec"])
    assert list(plan(solved).pads) == record["pads"]
    assert list(plan(solved).output_shape) == record["output_shape"]


def test_solve_text_gives_the_flags_to_use(capsys):
    assert main(["solve", "--input", "7", "--kernel", "3", "--target", "7"]) == 0
    out = capsys.readouterr().out
    assert "top 1, bottom 1, left 1, right 1" in out
    assert "--padding 1,1,1,1" in out
    assert "⌊(7 + 1 + 1 − 3)/1⌋ + 1 = 7" in out


def test_solve_keeps_the_other_flags(capsys):
    argv = ["solve", "--input", "6", "--kernel", "3", "--dilation", "2", "--padding-mode", "replicate",
            "--channels", "2", "--out-channels", "3", "--target", "6x3", "--json"]
    assert main(argv) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["spec"]["padding_mode"] == "replicate"
    assert record["spec"]["dilation"] == [2, 2]
    assert record["output_shape"] == [1, 3, 6, 3]
    assert record["pads"] == [2, 2, 0, 1]


@pytest.mark.parametrize("argv, message", [
    (["--input", "7", "--stride", "2", "--target", "2x4"], "the smallest reachable is 3"),
    (["--input", "7", "--padding-mode", "reflect", "--target", "18"],
     "the largest output height reflect padding reaches is 17"),
    (["--input", "7", "--target", "4x"], "target output size must be a number or HxW"),
    (["--input", "7", "--target", "0"], "at least 1"),
    (["--input", "7"], "the following arguments are required: --target"),
])
def test_unreachable_targets_exit_2_with_one_line(argv, message):
    result = subprocess.run([sys.executable, "main.py", "solve", *argv], cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert message in lines[0]
    assert result.stdout == ""
