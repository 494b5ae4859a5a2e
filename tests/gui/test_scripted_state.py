"""--step and --select on the command line, with --screenshot: the window shows that step and
that pinned cell; a step or cell that does not exist exits 2 with one line naming what exists."""

import os
import subprocess
import sys

import pytest
from helpers import ROOT

from convviz.cli import main
from convviz.gui.window import MainWindow
from convviz.session import SelectionTarget


@pytest.fixture
def shown(monkeypatch):
    """What each screenshot's window showed: (step, pinned target, marks on the output grid)."""
    seen = []
    original = MainWindow.save_screenshot

    def recording(window, path):
        session = window.session
        seen.append((session.step, session.selection_target, len(window.view.output.picked.cells)))
        return original(window, path)

    monkeypatch.setattr(MainWindow, "save_screenshot", recording)
    return seen


def test_step_and_select_reach_the_screenshot(qapp, tmp_path, shown, capsys):
    path = tmp_path / "shot.png"
    assert main(["--screenshot", str(path), "--input", "7", "--kernel", "3", "--step", "3",
                 "--select", "input:2,2"]) == 0
    assert path.stat().st_size > 1000
    step, target, marks = shown[-1]
    assert step == 2 and target == SelectionTarget("input", 2, 2)
    assert marks == 9  # a 3×3 kernel over a 7×7 input: input (2, 2) is read by 9 outputs
    assert main(["--screenshot", str(path), "--input", "7", "--kernel", "3", "--select", "weight:0,1"]) == 0
    step, target, marks = shown[-1]
    assert step == 12 and target == SelectionTarget("weight", 0, 1) and marks == 25


@pytest.mark.parametrize("argv, message", [
    (["--step", "26"], "step 26 does not exist: this spec has steps 1–25"),
    (["--step", "0"], "steps are counted from 1 (got 0)"),
    (["--step", "three"], "a step is a whole number"),
    (["--select", "output:5,0"], "output cell 5,0 is outside the 5×5 output: rows go 0–4, columns 0–4"),
    (["--select", "weight:0,3"], "weight cell 0,3 is outside the 3×3 kernel"),
    (["--select", "bias:1,1"], "'bias' is not one of output, input, weight"),
    (["--select", "middle"], "a selection is written output:I,J, input:R,C or weight:R,C"),
])
def test_a_step_or_cell_that_does_not_exist_exits_2_with_one_line(tmp_path, argv, message):
    shot = tmp_path / "x.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    result = subprocess.run([sys.executable, "main.py", "--screenshot", str(shot), "--input", "7", "--kernel", "3",
                             *argv], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert not shot.exists()
