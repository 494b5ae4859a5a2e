"""The plan is the spec's two axes plus N, C, K: built once per spec, memoised, read-only."""

import numpy as np
import pytest
from helpers.strategies import conv_specs
from hypothesis import given, settings

from convviz.core import ConvSpec, plan
from convviz.core.plan import ConvPlan


def test_the_spec_resolves_its_axes_once_outside_its_fields():
    spec = ConvSpec((2, 3, 7, 9), 4, (3, 5), stride=(2, 1), padding="same", dilation=(1, 2), padding_mode="reflect")
    rows, cols = spec.axes
    assert (rows.name, rows.size, rows.kernel, rows.stride, rows.dilation, rows.before, rows.after, rows.mode) == (
        "height", 7, 3, 2, 1, 1, 1, "reflect")
    assert (cols.name, cols.size, cols.kernel, cols.before, cols.after) == ("width", 9, 5, 4, 4)
    assert spec.axes is spec.axes
    assert "axes" not in spec.to_dict() and "_axes" not in spec.to_dict()
    same = ConvSpec.from_dict(spec.to_dict())
    assert same == spec and hash(same) == hash(spec) and same.axes == spec.axes
    assert "_axes" not in repr(spec)


def test_plan_is_memoised_by_spec():
    spec = ConvSpec((1, 2, 11, 10), 3, 3, padding=1)
    conv_plan = plan(spec)
    assert plan(ConvSpec((1, 2, 11, 10), 3, 3, padding=1)) is conv_plan
    assert plan(spec.replace(padding=2)) is not conv_plan
    assert conv_plan.axes is spec.axes and conv_plan.rows is spec.axes[0] and conv_plan.cols is spec.axes[1]


def test_single_channel_keeps_the_geometry():
    conv_plan = plan(ConvSpec((4, 3, 12, 9), 8, (3, 2), stride=2, padding="same", padding_mode="circular"))
    single = conv_plan.single_channel
    assert single.spec.input_shape == (1, 1, 12, 9) and single.spec.out_channels == 1
    assert single.axes == conv_plan.axes and single.pads == conv_plan.pads
    assert conv_plan.single_channel is single and single.single_channel is single


@settings(max_examples=100, deadline=None)
@given(spec=conv_specs())
def test_plan_attributes_are_the_axes_answers(spec):
    conv_plan = plan(spec)
    rows, cols = conv_plan.axes
    assert conv_plan.pads == (rows.before, rows.after, cols.before, cols.after)
    assert conv_plan.padded_shape == (rows.padded_size, cols.padded_size)
    assert conv_plan.dilated_kernel_size == tuple(d * (k - 1) + 1 for k, d in zip(spec.kernel_size, spec.dilation))
    np.testing.assert_array_equal(conv_plan.row_source, rows.source)
    top, _, left, _ = conv_plan.pads
    height, width = spec.input_size
    expected = np.ones(conv_plan.padded_shape, dtype=bool)
    expected[top:top + height, left:left + width] = False
    np.testing.assert_array_equal(conv_plan.padding_mask, expected)


def test_cached_maps_are_read_only():
    conv_plan = plan(ConvSpec((1, 1, 6, 6), 1, 3, padding=1))
    for array in (conv_plan.coverage, conv_plan.padding_mask, conv_plan.row_source, *conv_plan.tap_offsets):
        with pytest.raises(ValueError):
            array[0] = 1


def test_a_plan_built_directly_equals_the_memoised_one():
    spec = ConvSpec((1, 1, 8, 5), 1, 2, stride=3)
    assert ConvPlan(spec).output_shape == plan(spec).output_shape
