"""The command line under hostile arguments: ranges on every numeric flag (the sub-commands'
too, whoever adds them), spec flags on either side of the command, quiet broken pipes, and a
screenshot that never opens the window."""

import argparse
import json
import os
import subprocess
import sys

import pytest
from helpers import ROOT

from convviz.cli import build_parser, main
from convviz.cli.numbers import WIDEST, NumberType, parser_tree
from convviz.cli.specargs import SPEC_FLAGS

HOSTILE_NUMBERS = ["nan", "NaN", "inf", "-inf", "1e400", "9" * 5000, "0x10", "", "1" + "0" * 20, "--"]


def _numeric_flags():
    """(argv prefix, flag, NumberType) for every numeric flag of every parser."""
    parser = build_parser()
    found = []
    for sub in parser_tree(parser):
        command = sub.prog.split()[1:]  # "convviz bench" → ["bench"]
        for action in sub._actions:
            if isinstance(action.type, NumberType) and action.option_strings:
                found.append((command, action.option_strings[-1], action.type))
    return found


def test_every_numeric_flag_has_its_own_range():
    flags = _numeric_flags()
    assert len(flags) >= 8
    unbounded = [f"{' '.join(command)} {flag}" for command, flag, kind in flags
                 if kind.low in (None, -WIDEST, -1e300) and kind.high in (None, WIDEST, 1e300)]
    assert unbounded == [], "give these flags a range with convviz.cli.numbers.whole/real"
    plain = [action for sub in parser_tree(build_parser()) for action in sub._actions if action.type in (int, float)]
    assert plain == []


@pytest.mark.parametrize("command, flag, kind", _numeric_flags(), ids=lambda value: str(value))
def test_hostile_numbers_are_refused_in_one_line(command, flag, kind, capsys):
    values = list(HOSTILE_NUMBERS)
    if kind.low is not None:
        values.append(str(kind.low - 1))
    if kind.high is not None:
        values.append(str(kind.high * 10 + 1))
    for value in values:
        assert main([*command, f"{flag}={value}"]) == 2, value
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "Traceback" not in err[0], (value, err)


@pytest.mark.parametrize("flag, value", [("--input", "12x9"), ("--kernel", "5"), ("--stride", "2"),
                                         ("--padding", "1,2"), ("--dilation", "2"), ("--padding-mode", "reflect"),
                                         ("--channels", "3"), ("--out-channels", "4"), ("--batch", "2")])
def test_spec_flags_count_before_or_after_the_command(flag, value, capsys):
    assert main(["plan", "--input", "12", "--json", flag, value]) == 0
    after = json.loads(capsys.readouterr().out)
    assert main(["--input", "12", flag, value, "plan", "--json"]) == 0
    before = json.loads(capsys.readouterr().out)
    assert before == after
    assert main(["plan", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) != after


def test_every_spec_flag_is_shared_with_every_command():
    parser = build_parser()
    top = {action.dest for action in parser._actions}
    assert set(SPEC_FLAGS) <= top
    for sub in list(parser_tree(parser))[1:]:
        shared = [action for action in sub._actions if action.dest in SPEC_FLAGS]
        assert all(action.default is argparse.SUPPRESS for action in shared), sub.prog


def test_window_flags_with_a_command_are_refused_in_words(capsys):
    assert main(["--step", "3", "plan"]) == 2
    assert "belong(s) to the window" in capsys.readouterr().err


@pytest.mark.parametrize("arguments, words", [
    (["--backends", ""], "names no backend"),
    (["--backends", ",, ,"], "names no backend"),
    (["--backends", "numpy,nosuch"], "unknown backend 'nosuch'"),
    (["--values", "8,nan"], "--values takes"),
    (["--values", ","], "names no value"),
    (["--json", "/nonexistent-folder/x.json"], "does not exist"),
])
def test_bench_refuses_before_timing_anything(arguments, words, capsys):
    assert main(["bench", "--input", "8", "--quiet", *(["--sweep", "input-size"] if "--values" in arguments else []),
                 *arguments]) == 2
    err = capsys.readouterr().err
    assert words in err and len(err.strip().splitlines()) == 1


def test_a_broken_pipe_ends_quietly():
    reader = subprocess.Popen([sys.executable, "main.py", "plan", "--input", "300", "--json"], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    reader.stdout.read(10)
    reader.stdout.close()
    err = reader.stderr.read().decode()
    reader.wait(timeout=60)
    assert err == ""


@pytest.mark.parametrize("name", ["", "   "])
def test_screenshot_without_a_name_never_opens_the_window(name):
    env = {key: value for key, value in os.environ.items() if key != "QT_QPA_PLATFORM"}
    result = subprocess.run([sys.executable, "main.py", "--screenshot", name], cwd=ROOT, capture_output=True,
                            text=True, timeout=30, env=env)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "file name" in result.stderr or "folder" in result.stderr
