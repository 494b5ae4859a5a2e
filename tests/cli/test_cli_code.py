"""The `code` command: the snippet on stdout, or one line and exit status 2."""

import subprocess
import sys

import numpy as np
import pytest
from helpers import ROOT
from helpers.tf_semantics import run_tensorflow_code

from convviz.cli import main
from convviz.core import ConvSpec, plan, reference_conv2d


def test_pytorch_is_the_default_and_compiles(capsys):
    assert main(["code", "--input", "8", "--kernel", "3", "--stride", "2", "--padding", "same"]) == 0
    code = capsys.readouterr().out
    compile(code, "<stdout>", "exec")
    assert "torch.nn.Conv2d(" in code
    assert "F.pad(x, (0, 1, 0, 1))" in code
    assert "PyTorch refuses padding='same' with stride > 1" in code


def test_tensorflow_output_runs_as_the_spec(capsys):
    argv = ["code", "--input", "6x7", "--channels", "2", "--out-channels", "3", "--kernel", "3x2",
            "--padding", "1,2,0,1", "--padding-mode", "reflect", "--dilation", "2x1", "--framework", "tensorflow"]
    assert main(argv) == 0
    code = capsys.readouterr().out
    spec = ConvSpec((1, 2, 6, 7), 3, (3, 2), padding=(1, 2, 0, 1), dilation=(2, 1), padding_mode="reflect")
    rng = np.random.default_rng(5)
    x, w = rng.standard_normal(spec.input_shape), rng.standard_normal(spec.weight_shape)
    y = run_tensorflow_code(code)["forward"](x.transpose(0, 2, 3, 1), w.transpose(2, 3, 1, 0))
    np.testing.assert_allclose(y.transpose(0, 3, 1, 2), reference_conv2d(x, w, plan(spec)), atol=1e-12)


@pytest.mark.parametrize("argv, message", [
    (["--padding", "1", "--padding-mode", "circular", "--framework", "tensorflow"], "tf.pad has no circular mode"),
    (["--kernel", "5", "--padding", "2", "--padding-mode", "replicate", "--framework", "tensorflow"],
     "tf.pad has no replicate mode"),
    (["--framework", "jax"], "invalid choice: 'jax'"),
    (["--operation", "max_pool", "--kernel", "2", "--framework", "tensorflow"],
     "TensorFlow code for convolution only, not max pooling"),
    (["--operation", "conv_transpose", "--stride", "2", "--framework", "tensorflow"],
     "not transposed convolution"),
    (["--kernel", "9"], "smaller than the"),
])
def test_what_cannot_be_written_exits_2_with_one_line(argv, message):
    result = subprocess.run([sys.executable, "main.py", "code", *argv], cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert message in lines[0]
    assert result.stdout == ""


def test_pytorch_code_of_other_operations(capsys):
    assert main(["code", "--input", "7", "--operation", "conv_transpose", "--stride", "2", "--channels", "2",
                 "--out-channels", "4", "--groups", "2", "--output-padding", "1"]) == 0
    code = capsys.readouterr().out
    assert "torch.nn.ConvTranspose2d(" in code and "output_padding=(1, 1)" in code and "groups=2" in code
    assert main(["code", "--input", "7", "--operation", "avg_pool", "--kernel", "3", "--padding", "1",
                 "--no-count-include-pad"]) == 0
    code = capsys.readouterr().out
    assert "torch.nn.AvgPool2d(" in code and "count_include_pad=False" in code
