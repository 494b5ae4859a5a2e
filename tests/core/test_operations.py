"""Transposed convolution, pooling and groups: the spec accepts what PyTorch accepts, with
PyTorch's output and weight shapes, and refuses the rest in words."""

import numpy as np
import pytest
from helpers.strategies import LOAD_TOLERANT, operation_specs, operation_values
from helpers.torch_ops import torch_forward, torch_weight_shape
from hypothesis import given, settings
from hypothesis import strategies as st

from convviz import ConvSpec, ConvSpecError, plan
from convviz.core.reference import reference_conv2d


def _convviz(values):
    try:
        return ConvSpec(**values)
    except ConvSpecError as error:
        return error


def _pool_size(n, k, s, p, d, ceil_mode):
    """PyTorch's pooling_output_shape, transcribed."""
    numerator = n + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)
    size = numerator // s + 1
    if ceil_mode and (size - 1) * s >= n + p:
        size -= 1
    return size


@settings(max_examples=150, deadline=None, suppress_health_check=LOAD_TOLERANT)
@given(operation_specs())
def test_output_size_follows_the_operations_formula(spec):
    rows, cols = plan(spec).axes
    for axis, n, k, s, p, d in zip((rows, cols), spec.input_size, spec.kernel_size, spec.stride,
                                   (rows.padding, cols.padding), spec.dilation):
        if spec.operation == "conv_transpose":
            extra = axis.output_padding
            expected = (n - 1) * s - 2 * p + d * (k - 1) + extra + 1
        elif spec.is_pooling:
            expected = _pool_size(n, k, s, p, d, spec.ceil_mode)
        else:
            expected = (n + axis.before + axis.after - d * (k - 1) - 1) // s + 1
        assert axis.output_size == expected
        assert axis.formula().endswith(f"= {expected}") or "dropped" in axis.formula()


@settings(max_examples=300, deadline=None, suppress_health_check=LOAD_TOLERANT)
@given(operation_values())
def test_convviz_accepts_what_pytorch_accepts(values):
    pytest.importorskip("torch", reason="PyTorch is not installed: the comparison with it is skipped")
    ours = _convviz(values)
    groups, k = values.get("groups", 1), values.get("out_channels", 1)
    if values["operation"] == "conv_transpose" and k % groups:
        # PyTorch's weight (C, K/g, ...) cannot say K; convviz refuses it in words
        assert isinstance(ours, ConvSpecError) and "divisible by groups" in str(ours)
        return
    x = np.zeros(values["input_shape"])
    shape = torch_weight_shape(values)
    w = None if shape is None else np.zeros(shape)
    try:
        expected = torch_forward(x, w, values).shape
    except (RuntimeError, ValueError) as refusal:
        assert isinstance(ours, ConvSpecError), f"PyTorch refuses ({refusal}) but convviz accepts {values}"
        return
    assert not isinstance(ours, ConvSpecError), f"PyTorch accepts {values} but convviz says: {ours}"
    assert plan(ours).output_shape == tuple(expected)
    assert ours.weight_shape == shape


@settings(max_examples=120, deadline=None, suppress_health_check=LOAD_TOLERANT)
@given(operation_specs(max_size=7, max_channels=4), st.integers(0, 2**32 - 1))
def test_reference_matches_pytorch(spec, seed):
    pytest.importorskip("torch", reason="PyTorch is not installed: the comparison with it is skipped")
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(spec.input_shape)
    w = None if spec.weight_shape is None else rng.standard_normal(spec.weight_shape)
    values = spec.to_dict()
    values["padding"] = (plan(spec).rows.padding, plan(spec).cols.padding)
    np.testing.assert_allclose(reference_conv2d(x, w, plan(spec)), torch_forward(x, w, values), rtol=0, atol=1e-9)


def test_weight_shapes_are_pytorchs():
    assert ConvSpec((1, 6, 8, 8), 4, 3, groups=2).weight_shape == (4, 3, 3, 3)
    assert ConvSpec((1, 6, 8, 8), 4, 3, groups=2, operation="conv_transpose").weight_shape == (6, 2, 3, 3)
    assert ConvSpec((1, 6, 8, 8), kernel_size=2, operation="max_pool").weight_shape is None


def test_pooling_defaults_keep_the_channels_and_stride_by_the_kernel():
    spec = ConvSpec((1, 3, 8, 8), kernel_size=2, operation="avg_pool")
    assert spec.out_channels == 3 and spec.stride == (2, 2)
    assert plan(spec).output_shape == (1, 3, 4, 4)
    assert ConvSpec((1, 3, 8, 8), kernel_size=2).stride == (1, 1)


def test_spec_round_trips_through_its_dict():
    spec = ConvSpec((2, 4, 7, 6), 6, (3, 2), stride=2, padding=1, operation="conv_transpose", groups=2,
                    output_padding=(1, 0))
    assert ConvSpec.from_dict(spec.to_dict()) == spec
    pool = ConvSpec((1, 2, 7, 7), kernel_size=3, stride=2, padding=1, operation="avg_pool", ceil_mode=True,
                    count_include_pad=False)
    assert ConvSpec.from_dict(pool.to_dict()) == pool


@pytest.mark.parametrize(
    "values, message",
    [
        (dict(operation="conv_transpose", stride=1, output_padding=1),
         r"output padding \(height\) 1 must be smaller than the stride 1 or the dilation 1"),
        (dict(operation="max_pool", kernel_size=3, padding=2),
         r"pooling padding must be at most half of the kernel \(as PyTorch\): 2 on the top is more than 3/2"),
        (dict(operation="max_pool", kernel_size=2, dilation=3, padding=2), "2 on the top is more than 2/2"),
        (dict(operation="avg_pool", kernel_size=2, dilation=2), "average pooling has no dilation"),
        (dict(input_shape=(1, 6, 7, 7), out_channels=4, groups=4),
         "input channels 6 and output channels 4 must both be divisible by groups 4"),
        (dict(input_shape=(1, 4, 7, 7), out_channels=6, groups=4, operation="conv_transpose"),
         "divisible by groups 4"),
        (dict(operation="max_pool", kernel_size=8), r"max pooling output height would be .* = 0, less than 1"),
        (dict(operation="conv_transpose", kernel_size=1, padding=4),
         r"transposed convolution output height would be \(7−1\)·1 − 2·4 \+ 1·\(1−1\) \+ 0 \+ 1 = -1"),
        (dict(operation="conv_transpose", padding=1, padding_mode="reflect"),
         "transposed convolution pads with zeros only"),
        (dict(operation="avg_pool", kernel_size=2, padding_mode="circular"), "average pooling pads with zeros only"),
        (dict(operation="max_pool", kernel_size=3, padding="same"), "max pooling takes padding as numbers"),
        (dict(operation="conv_transpose", padding=(1, 2, 1, 1)), "pads both sides of an axis alike"),
        (dict(operation="max_pool", kernel_size=2, out_channels=2), "output channels must equal input channels 1"),
        (dict(operation="max_pool", kernel_size=2, groups=2), "max pooling has no groups"),
        (dict(output_padding=1), "output padding applies to transposed convolution only"),
        (dict(ceil_mode=True), "ceil mode applies to pooling only"),
        (dict(operation="max_pool", kernel_size=2, count_include_pad=False),
         "count_include_pad applies to average pooling only"),
        (dict(operation="dconv"), "operation 'dconv' is not one of conv, conv_transpose, max_pool, avg_pool"),
        (dict(groups=0), "groups must be at least 1"),
        (dict(operation="conv_transpose", stride=2, output_padding=-1), r"output padding \(height\) must not be negative"),
        (dict(operation="avg_pool", kernel_size=2, ceil_mode="yes"), "ceil mode must be true or false"),
    ],
)
def test_refusals_say_what_is_wrong(values, message):
    values.setdefault("input_shape", (1, 1, 7, 7))
    with pytest.raises(ConvSpecError, match=message):
        ConvSpec(**values)
