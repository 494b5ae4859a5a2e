"""Window flags on the command line: --window-size (also the screenshot's size), --presentation,
and unknown options named in one line instead of argparse's blame on their value."""

import os
import subprocess
import sys

import pytest
from helpers import ROOT

from convviz.cli import main
from convviz.cli.windowargs import parse_window_size
from convviz.core import ConvSpecError

ENV = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}


@pytest.mark.parametrize("flag, named", [("--strde", "--stride"), ("--zoom", None), ("--stepp", "--step"),
                                         ("--presentaton", "--presentation")])
def test_an_unknown_option_is_named_with_the_nearest_known_one(capsys, flag, named):
    assert main([flag, "3", "--input", "7"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and f"unknown option {flag}" in err and "invalid choice" not in err
    assert (f"did you mean {named}?" in err) if named else ("did you mean" not in err)


def test_an_abbreviation_of_one_known_option_is_not_unknown(capsys):
    assert main(["--wind", "abc"]) == 2  # argparse takes --wind for --window-size
    err = capsys.readouterr().err
    assert "unknown option" not in err and "window size" in err


@pytest.mark.parametrize("text, size", [("1024x768", (1024, 768)), ("1280×800", (1280, 800)), ("1920,1080", (1920, 1080))])
def test_window_sizes(text, size):
    assert parse_window_size(text) == size


@pytest.mark.parametrize("text", ["1024", "10x10", "1024x", "big", "99999x768"])
def test_a_bad_window_size_is_refused_in_words(text):
    with pytest.raises(ConvSpecError, match="window size"):
        parse_window_size(text)


def test_a_presentation_screenshot_has_the_size_asked_for(tmp_path):
    from PyQt6 import QtGui

    shot = tmp_path / "p.png"
    result = subprocess.run([sys.executable, "main.py", "--presentation", "--window-size", "1024x768", "--input", "7",
                             "--padding", "same", "--screenshot", str(shot)],
                            capture_output=True, text=True, timeout=90, cwd=ROOT, env=ENV)
    assert result.returncode == 0, result.stderr
    image = QtGui.QImage(str(shot))
    assert (image.width(), image.height()) == (1024, 768)
