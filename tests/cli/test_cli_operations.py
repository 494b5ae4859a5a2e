"""Spec flags and spec files for transposed convolution, pooling and groups: the same words as the spec."""

import json

import pytest

from convviz.cli import main


def _record(capsys, argv):
    assert main(["plan", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_transposed_flags(capsys):
    record = _record(capsys, ["--operation", "conv_transpose", "--input", "4", "--kernel", "3", "--stride", "2",
                              "--padding", "1", "--output-padding", "1", "--channels", "4", "--out-channels", "6",
                              "--groups", "2"])
    assert record["output_shape"] == [1, 6, 8, 8]
    assert record["output_formula"][0] == "(4−1)·2 − 2·1 + 1·(3−1) + 1 + 1 = 8"
    assert record["spec"]["output_padding"] == [1, 1] and record["spec"]["groups"] == 2


def test_pooling_flags_keep_channels_and_stride_by_kernel(capsys):
    record = _record(capsys, ["--operation", "avg_pool", "--input", "7", "--kernel", "2", "--channels", "3",
                              "--ceil-mode", "--no-count-include-pad"])
    assert record["output_shape"] == [1, 3, 4, 4]
    assert record["spec"]["stride"] == [2, 2]
    assert record["spec"]["ceil_mode"] is True and record["spec"]["count_include_pad"] is False
    assert record["output_formula"][1] == "⌈(7 + 0 + 0 − 2)/2⌉ + 1 = 4"


def test_pooling_coverage_counts_windows(capsys):
    assert main(["plan", "--operation", "max_pool", "--input", "5", "--kernel", "3", "--stride", "2"]) == 0
    out = capsys.readouterr().out
    assert "windows that include each input cell" in out
    assert "   1 1 2 1 1" in out


def test_spec_file_with_operation_fields(tmp_path, capsys):
    spec_file = tmp_path / "pool.json"
    spec_file.write_text(json.dumps({"input_shape": [1, 2, 9, 9], "operation": "max_pool", "kernel_size": 3,
                                     "stride": 2, "padding": 1, "ceil_mode": True}))
    record = _record(capsys, ["--spec", str(spec_file)])
    assert record["output_shape"] == [1, 2, 5, 5]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--operation", "conv_transpose", "--output-padding", "1"],
         "output padding (height) 1 must be smaller than the stride 1 or the dilation 1"),
        (["--operation", "max_pool", "--kernel", "3", "--padding", "2"], "pooling padding must be at most half"),
        (["--channels", "3", "--groups", "2", "--out-channels", "2"], "must both be divisible by groups 2"),
        (["--ceil-mode"], "ceil mode applies to pooling only"),
        (["--operation", "avg_pool", "--kernel", "2", "--padding-mode", "reflect"], "pads with zeros only"),
    ],
)
def test_refusals_are_one_line(argv, message, capsys):
    assert main(["plan", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err


@pytest.mark.parametrize("argv", [
    ["--operation", "max_pool", "--kernel", "2", "--stride", "2", "--ceil-mode"],
    ["--operation", "conv_transpose", "--stride", "2", "--padding", "1", "--output-padding", "1"],
    ["--groups", "2", "--channels", "2", "--out-channels", "2"],
])
def test_the_window_draws_every_operation(argv, tmp_path, capsys):
    shot = tmp_path / "shot.png"
    assert main([*argv, "--screenshot", str(shot)]) == 0, capsys.readouterr().err
    assert shot.stat().st_size > 0


def test_the_solver_refuses_other_operations(capsys):
    assert main(["solve", "--operation", "avg_pool", "--kernel", "2", "--target", "3"]) == 2
    assert "the padding solver solves convolution" in capsys.readouterr().err
