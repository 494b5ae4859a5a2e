"""Table tests from the literature: the conv-arithmetic guide and TensorFlow's SAME padding."""

import pytest

from convviz import ConvSpec, plan


def size_of(n, k, p=0, s=1, d=1):
    return plan(ConvSpec((1, 1, n, n), 1, k, stride=s, padding=p, dilation=d)).output_size[0]


@pytest.mark.parametrize(
    "n, k, p, s, d, expected",
    [
        (4, 3, 0, 1, 1, 2),
        (5, 4, 2, 1, 1, 6),
        (5, 3, 1, 1, 1, 5),
        (5, 3, 2, 1, 1, 7),
        (5, 3, 0, 2, 1, 2),
        (5, 3, 1, 2, 1, 3),
        (6, 3, 1, 2, 1, 3),
        (7, 3, 0, 1, 2, 3),
    ],
)
def test_conv_arithmetic_guide(n, k, p, s, d, expected):
    assert size_of(n, k, p, s, d) == expected


@pytest.mark.parametrize(
    "n, k, s, d, pads, out",
    [
        (7, 3, 2, 1, (1, 1), 4),
        (6, 3, 2, 1, (0, 1), 3),
        (5, 4, 1, 1, (1, 2), 5),
        (8, 2, 1, 1, (0, 1), 8),
        (10, 3, 3, 1, (1, 1), 4),
        (224, 7, 2, 1, (2, 3), 112),
        (5, 3, 1, 2, (2, 2), 5),
        (6, 1, 2, 1, (0, 0), 3),
        (4, 5, 1, 1, (2, 2), 4),
    ],
)
def test_tensorflow_same(n, k, s, d, pads, out):
    conv_plan = plan(ConvSpec((1, 1, n, n), 1, k, stride=s, padding="same", dilation=d))
    assert conv_plan.pads == pads * 2
    assert conv_plan.output_size == (out, out)


def test_full_pads_the_dilated_kernel_minus_one():
    conv_plan = plan(ConvSpec((1, 1, 5, 6), 1, (3, 2), padding="full", dilation=(2, 3)))
    assert conv_plan.pads == (4, 4, 3, 3)
    assert conv_plan.output_size == (5 + 4, 6 + 3)


def test_padding_forms():
    spec = ConvSpec((1, 1, 9, 9), 1, 3, padding=(1, 2))
    assert plan(spec).pads == (1, 1, 2, 2)
    spec = ConvSpec((1, 1, 9, 9), 1, 3, padding=(0, 1, 2, 3))
    assert plan(spec).pads == (0, 1, 2, 3)
    assert plan(spec).output_shape == (1, 1, 8, 12)


def test_output_formula_text():
    conv_plan = plan(ConvSpec((1, 1, 7, 7), 1, 3, stride=2, padding="same"))
    assert conv_plan.rows.formula() == "⌊(7 + 1 + 1 − 3)/2⌋ + 1 = 4"


def test_stride_larger_than_kernel_leaves_unread_cells():
    conv_plan = plan(ConvSpec((1, 1, 7, 7), 1, 2, stride=3))
    assert conv_plan.unread_rows == (2, 5, 6)
    assert conv_plan.unread_cols == (2, 5, 6)
    assert (conv_plan.coverage[2] == 0).all()


def test_valid_padding_reads_borders_less_than_same():
    """The seed's point: without padding the border is used less than the centre."""
    valid = plan(ConvSpec((1, 1, 8, 8), 1, 3, padding="valid")).coverage
    assert valid[0, 0] == 1 and valid[4, 4] == 9
    reflect = plan(ConvSpec((1, 1, 8, 8), 1, 3, padding="same", padding_mode="reflect")).coverage
    assert reflect[0, 0] > valid[0, 0]


def test_plan_accepts_a_plan_and_derives_lazily():
    spec = ConvSpec((1, 1, 4000, 4000), 1, 3)
    conv_plan = plan(spec)
    assert plan(conv_plan) is conv_plan
    assert "coverage" not in conv_plan.__dict__
    assert conv_plan.coverage.shape == (4000, 4000)


def test_spec_round_trips_through_dict():
    spec = ConvSpec((2, 3, 9, 8), 4, (3, 5), stride=(1, 2), padding=(0, 1, 2, 3), dilation=2, padding_mode="reflect")
    assert ConvSpec.from_dict(spec.to_dict()) == spec
