"""Every bad input is refused with ConvSpecError and a message in the user's terms."""

import numpy as np
import pytest

from convviz import ConvSpec, ConvSpecError, convolve, plan


def refused(match, **values):
    values.setdefault("input_shape", (1, 1, 7, 7))
    with pytest.raises(ConvSpecError, match=match):
        ConvSpec(**values)


def test_conv_spec_error_is_a_value_error():
    assert issubclass(ConvSpecError, ValueError)


@pytest.mark.parametrize(
    "values, match",
    [
        (dict(input_shape=(0, 1, 7, 7)), "batch must be at least 1"),
        (dict(input_shape=(1, 0, 7, 7)), "input channels must be at least 1"),
        (dict(input_shape=(1, 1, -3, 7)), "input height must be at least 1"),
        (dict(input_shape=(1, 1, 7)), "4 numbers"),
        (dict(input_shape="7x7"), "batch, channels, height, width"),
        (dict(out_channels=0), "output channels must be at least 1"),
        (dict(kernel_size=0), "kernel height must be at least 1"),
        (dict(kernel_size=(3, 3, 3)), "one number or two"),
        (dict(stride=0), r"stride \(height\) must be at least 1"),
        (dict(stride=(1, -1)), r"stride \(width\) must be at least 1"),
        (dict(dilation=0), r"dilation \(height\) must be at least 1"),
        (dict(padding=-1), "padding must not be negative"),
        (dict(padding=(1, 2, 3)), "one number, two"),
        (dict(padding="sam"), "padding 'sam' is not one of valid, same, full"),
        (dict(padding_mode="mirror"), "padding mode 'mirror' is not one of"),
        (dict(stride=1.5), "whole number"),
        (dict(stride=True), "whole number"),
        (dict(kernel_size="3"), "whole number"),
    ],
)
def test_bad_fields(values, match):
    refused(match, **values)


def test_kernel_larger_than_padded_input_names_both_sizes():
    with pytest.raises(ConvSpecError) as caught:
        ConvSpec((1, 1, 5, 5), 1, 3, dilation=3)
    assert str(caught.value) == "padded input 5×5 is smaller than the dilated kernel 7×7 (3×3, dilation 3)"
    with pytest.raises(ConvSpecError, match="padded input 4×6 is smaller than the kernel 5×5"):
        ConvSpec((1, 1, 2, 4), 1, 5, padding=1)


def test_reflect_padding_must_be_smaller_than_the_input():
    with pytest.raises(ConvSpecError, match="reflect padding must be smaller than the input: 3 on the top"):
        ConvSpec((1, 1, 3, 8), 1, 3, padding=3, padding_mode="reflect")
    ConvSpec((1, 1, 3, 8), 1, 3, padding=2, padding_mode="reflect")


def test_circular_padding_cannot_exceed_the_input():
    with pytest.raises(ConvSpecError, match="circular padding cannot exceed the input: 4 on the left"):
        ConvSpec((1, 1, 8, 3), 1, 3, padding=(0, 0, 4, 0), padding_mode="circular")
    ConvSpec((1, 1, 8, 3), 1, 3, padding=3, padding_mode="circular")


def test_same_padding_is_checked_against_reflect():
    with pytest.raises(ConvSpecError, match="reflect padding"):
        ConvSpec((1, 1, 2, 2), 1, 5, padding="same", padding_mode="reflect")


SPEC = ConvSpec((2, 3, 6, 6), 4, 3, padding=1)


def arrays(x_shape=SPEC.input_shape, w_shape=SPEC.weight_shape, dtype=np.float64):
    rng = np.random.default_rng(1)
    return rng.standard_normal(x_shape).astype(dtype), rng.standard_normal(w_shape).astype(dtype)


def test_input_shape_must_match_the_spec():
    x, w = arrays(x_shape=(2, 3, 6, 7))
    with pytest.raises(ConvSpecError, match="input x is 2×3×6×7 but the spec says 2×3×6×6"):
        convolve(x, w, SPEC)


def test_weight_shape_must_match_the_spec():
    x, w = arrays(w_shape=(4, 2, 3, 3))
    with pytest.raises(ConvSpecError, match="weights w are 4×2×3×3 but the spec needs 4×3×3×3"):
        convolve(x, w, SPEC)


def test_bias_shape_must_match():
    x, w = arrays()
    with pytest.raises(ConvSpecError, match="bias has shape 3 but the spec has 4 output channels"):
        convolve(x, w, SPEC, bias=np.ones(3))


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.bool_, np.complex128, np.float16])
def test_non_float_dtypes_are_refused(dtype):
    x, w = arrays()
    with pytest.raises(ConvSpecError, match="float32 or float64"):
        convolve(x.astype(dtype), w, SPEC)
    with pytest.raises(ConvSpecError, match="float32 or float64"):
        convolve(x, w.astype(dtype), SPEC)


def test_lists_are_refused_with_a_message():
    x, w = arrays()
    with pytest.raises(ConvSpecError, match="must be an array"):
        convolve(x.tolist(), w, SPEC)


def test_unknown_backend_and_algorithm():
    x, w = arrays()
    with pytest.raises(ConvSpecError, match="unknown backend 'fortran'"):
        convolve(x, w, SPEC, backend="fortran")
    with pytest.raises(ConvSpecError, match="no algorithm 'winograd'"):
        convolve(x, w, SPEC, algorithm="winograd")


def test_plan_refuses_what_is_not_a_spec():
    with pytest.raises(ConvSpecError, match="expected a ConvSpec"):
        plan({"input_shape": (1, 1, 3, 3)})


def test_mixed_float_dtypes_compute_in_float64():
    x, w = arrays()
    y = convolve(x.astype(np.float32), w, SPEC)
    assert y.dtype == np.float64
