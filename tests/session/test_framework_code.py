"""Generated PyTorch and TensorFlow code computes exactly what convviz computes.

The PyTorch code is executed with PyTorch (skipped where it is not installed); the TensorFlow
code, TensorFlow not being installed, runs on a NumPy translation of tf.pad and tf.nn.conv2d
(tests/helpers/tf_semantics.py), checked here against TensorFlow's documented examples.
"""

import ast

import numpy as np
import pytest
from helpers.strategies import conv_specs, operation_specs
from helpers.tf_semantics import conv2d, pad, run_tensorflow_code
from hypothesis import given, settings

from convviz.core import ConvSpec, plan, reference_conv2d
from convviz.session.framework_code import framework_code


def _torch_missing() -> str | None:
    try:
        import torch  # noqa: F401
    except ImportError as error:
        return f"PyTorch is not importable ({error}); pip install -e '.[peers]' to run the generated code"
    return None


TORCH_MISSING = _torch_missing()
needs_torch = pytest.mark.skipif(TORCH_MISSING is not None, reason=TORCH_MISSING or "")
pytestmark = pytest.mark.filterwarnings(
    "ignore:Using padding='same' with even kernel lengths:UserWarning")  # PyTorch's note on speed only


def _arrays(spec, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(spec.input_shape), rng.standard_normal(spec.weight_shape)


LAYERS = {"conv": "Conv2d", "conv_transpose": "ConvTranspose2d", "max_pool": "MaxPool2d", "avg_pool": "AvgPool2d"}


def run_pytorch_code(code, x, w, operation="conv"):
    """Exec the snippet, load `w` into `layer.weight` (no weight for pooling), run `forward(x)`."""
    import torch

    namespace = {}
    exec(compile(code, "<pytorch snippet>", "exec"), namespace)
    layer = namespace["layer"].double()
    assert type(layer) is getattr(torch.nn, LAYERS[operation])
    with torch.no_grad():
        if w is None:
            assert not hasattr(layer, "weight")
        else:
            assert layer.bias is None and tuple(layer.weight.shape) == w.shape
            layer.weight.copy_(torch.from_numpy(w))
        return namespace["forward"](torch.from_numpy(x)).numpy()


@needs_torch
@settings(max_examples=80, deadline=None)
@given(conv_specs(max_size=9))
def test_pytorch_code_reproduces_the_reference(spec):
    x, w = _arrays(spec)
    generated = framework_code(spec, "pytorch")
    assert generated.problem is None
    y = run_pytorch_code(generated.code, x, w)
    np.testing.assert_allclose(y, reference_conv2d(x, w, plan(spec)), rtol=1e-12, atol=1e-12)


@needs_torch
@pytest.mark.parametrize("spec", [
    ConvSpec((1, 2, 8, 7), 3, 3, stride=2, padding="same"),                 # uneven SAME at stride 2
    ConvSpec((1, 1, 7, 7), 1, 3, stride=2, padding="same"),                 # even SAME at stride 2
    ConvSpec((2, 1, 6, 6), 2, 4, padding="same", padding_mode="reflect"),   # odd pixel after, stride 1
    ConvSpec((1, 1, 5, 6), 1, (2, 3), padding=(0, 1, 2, 0), padding_mode="circular"),
    ConvSpec((1, 1, 5, 5), 1, 3, padding="full", dilation=2, padding_mode="replicate"),
    ConvSpec((1, 1, 4, 4), 1, 3, padding="valid", padding_mode="reflect"),
])
def test_pytorch_code_for_each_padding_path(spec):
    x, w = _arrays(spec, seed=1)
    y = run_pytorch_code(framework_code(spec, "pytorch").code, x, w)
    np.testing.assert_allclose(y, reference_conv2d(x, w, plan(spec)), rtol=1e-12, atol=1e-12)


def _operation_arrays(spec, seed=0):
    rng = np.random.default_rng(seed)
    weight = None if spec.weight_shape is None else rng.standard_normal(spec.weight_shape)
    return rng.standard_normal(spec.input_shape), weight


@needs_torch
@settings(max_examples=80, deadline=None)
@given(operation_specs())
def test_pytorch_code_for_every_operation_reproduces_the_reference(spec):
    """Transposed convolution, pooling and groups: the generated layer is PyTorch's own for it."""
    x, w = _operation_arrays(spec)
    generated = framework_code(spec, "pytorch")
    assert generated.problem is None
    y = run_pytorch_code(generated.code, x, w, spec.operation)
    np.testing.assert_allclose(y, reference_conv2d(x, w, plan(spec)), rtol=1e-12, atol=1e-12)


@settings(max_examples=150, deadline=None)
@given(operation_specs())
def test_tensorflow_code_for_groups_and_refusal_of_other_operations(spec):
    generated = framework_code(spec, "tensorflow")
    compile(generated.code, "<tensorflow snippet>", "exec")
    assert all(len(line) <= 100 for line in generated.code.splitlines())
    if spec.operation != "conv":
        assert "convolution only" in generated.problem and "\n" not in generated.problem
        assert "def forward" not in generated.code
        return
    assert generated.problem is None
    assert ("tf.split" in generated.code) == (spec.groups > 1)
    x, w = _operation_arrays(spec, seed=4)
    y = run_tensorflow_code(generated.code)["forward"](x.transpose(0, 2, 3, 1), w.transpose(2, 3, 1, 0))
    np.testing.assert_allclose(y.transpose(0, 3, 1, 2), reference_conv2d(x, w, plan(spec)), rtol=1e-12, atol=1e-12)


def _names(code):
    tree = ast.parse(code)
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef)} | {
        target.id for node in tree.body if isinstance(node, ast.Assign) for target in node.targets}


@settings(max_examples=100, deadline=None)
@given(conv_specs(max_size=9))
def test_pytorch_code_structure(spec):
    """Without PyTorch: the snippet compiles, defines layer and forward, and pads as the plan says."""
    code = framework_code(spec, "pytorch").code
    compile(code, "<pytorch snippet>", "exec")
    assert {"layer", "forward"} <= _names(code)
    top, bottom, left, right = plan(spec).pads
    uneven = top != bottom or left != right
    stride_one_same = spec.padding == "same" and spec.stride == (1, 1)
    if uneven and not stride_one_same:
        assert f"F.pad(x, ({left}, {right}, {top}, {bottom})" in code
        assert "padding=0," in code
    else:
        assert "F.pad" not in code
    if spec.padding == "same" and spec.stride != (1, 1) and any(plan(spec).pads):
        assert "PyTorch refuses padding='same' with stride > 1" in code
    assert "bias=False" in code
    assert all(len(line) <= 100 for line in code.splitlines())


@settings(max_examples=200, deadline=None)
@given(conv_specs(max_size=9))
def test_tensorflow_code_reproduces_the_reference(spec):
    generated = framework_code(spec, "tensorflow")
    compile(generated.code, "<tensorflow snippet>", "exec")
    pads = plan(spec).pads
    if generated.problem is not None:
        assert spec.padding_mode in ("circular", "replicate") and any(pads)
        assert spec.padding_mode == "circular" or max(pads) > 1
        assert "def forward" not in generated.code and "Not expressible" in generated.code
        return
    x, w = _arrays(spec, seed=2)
    forward = run_tensorflow_code(generated.code)["forward"]
    y = forward(x.transpose(0, 2, 3, 1), w.transpose(2, 3, 1, 0))
    np.testing.assert_allclose(y.transpose(0, 3, 1, 2), reference_conv2d(x, w, plan(spec)), rtol=1e-12, atol=1e-12)


def test_tensorflow_same_uses_tensorflows_own_word():
    code = framework_code(ConvSpec((1, 1, 8, 8), 1, 3, stride=2, padding="same"), "tensorflow").code
    assert 'padding="SAME"' in code and "tf.pad" not in code
    code = framework_code(ConvSpec((1, 1, 8, 8), 1, 3, padding=(0, 1, 0, 1)), "tensorflow").code
    assert "tf.pad(x, [[0, 0], [0, 1], [0, 1], [0, 0]], mode='CONSTANT')" in code


def test_tensorflow_refuses_what_tf_pad_cannot_do():
    circular = framework_code(ConvSpec((1, 1, 7, 7), 1, 3, padding=1, padding_mode="circular"), "tensorflow")
    assert "no circular mode" in circular.problem and "\n" not in circular.problem
    replicate = framework_code(ConvSpec((1, 1, 7, 7), 1, 5, padding=2, padding_mode="replicate"), "tensorflow")
    assert "no replicate mode" in replicate.problem
    by_one = framework_code(ConvSpec((1, 1, 7, 7), 1, 3, padding=1, padding_mode="replicate"), "tensorflow")
    assert by_one.problem is None and "mode='SYMMETRIC'" in by_one.code


# the translation itself, against TensorFlow's documented examples ------------------------------
def test_tf_pad_translation_matches_the_documented_examples():
    t = np.array([[1, 2, 3], [4, 5, 6]])
    paddings = [[1, 1], [2, 2]]
    assert pad(t, paddings).tolist() == [[0, 0, 0, 0, 0, 0, 0], [0, 0, 1, 2, 3, 0, 0],
                                         [0, 0, 4, 5, 6, 0, 0], [0, 0, 0, 0, 0, 0, 0]]
    assert pad(t, paddings, "REFLECT").tolist() == [[6, 5, 4, 5, 6, 5, 4], [3, 2, 1, 2, 3, 2, 1],
                                                    [6, 5, 4, 5, 6, 5, 4], [3, 2, 1, 2, 3, 2, 1]]
    assert pad(t, paddings, "SYMMETRIC").tolist() == [[2, 1, 1, 2, 3, 3, 2], [2, 1, 1, 2, 3, 3, 2],
                                                      [5, 4, 4, 5, 6, 6, 5], [5, 4, 4, 5, 6, 6, 5]]
    with pytest.raises(ValueError):
        pad(t, [[2, 0], [0, 0]], "REFLECT")  # REFLECT pads at most size − 1


def test_tf_conv2d_translation_same_padding_by_hand():
    x = np.arange(1.0, 9.0).reshape(1, 1, 8, 1)  # one row of 8
    ones = np.ones((1, 3, 1, 1))
    # SAME, stride 2 over 8: ⌈8/2⌉ = 4 outputs, total pad (4−1)·2 + 3 − 8 = 1, after
    y = conv2d(x, ones, strides=[1, 2, 2, 1], padding="SAME")
    assert y[0, 0, :, 0].tolist() == [1 + 2 + 3, 3 + 4 + 5, 5 + 6 + 7, 7 + 8 + 0]
    y = conv2d(x, ones, strides=1, padding="VALID", dilations=[1, 1, 2, 1])
    assert y[0, 0, :, 0].tolist() == [1 + 3 + 5, 2 + 4 + 6, 3 + 5 + 7, 4 + 6 + 8]
