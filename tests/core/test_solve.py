"""The padding solver against a brute-force count of windows over every total padding."""

import numpy as np
import pytest
from helpers.strategies import conv_specs
from hypothesis import given, settings
from hypothesis import strategies as st

from convviz.core import ConvSpec, ConvSpecError, plan, reference_conv2d
from convviz.core.solve import solve_padding, split

MAX_TOTAL = 80


def windows(size, kernel, stride, dilation, total):
    """Window starts w·stride whose last tap w·stride + dilation·(kernel−1) lies inside size + total."""
    return sum(1 for start in range(0, size + total, stride) if start + dilation * (kernel - 1) < size + total)


def mode_allows(mode, size, total):
    before, after = total // 2, total - total // 2
    if mode == "reflect":
        return max(before, after) < size
    if mode == "circular":
        return max(before, after) <= size
    return True


def reachable(spec, axis_index):
    """{output size: least total padding} along one axis, by enumeration."""
    size = spec.input_size[axis_index]
    kernel, stride, dilation = (spec.kernel_size[axis_index], spec.stride[axis_index],
                                spec.dilation[axis_index])
    least = {}
    for total in range(MAX_TOTAL):
        if not mode_allows(spec.padding_mode, size, total):
            break
        count = windows(size, kernel, stride, dilation, total)
        if count:
            least.setdefault(count, total)
    return least


@settings(max_examples=300, deadline=None)
@given(conv_specs(max_size=12), st.integers(1, 14), st.integers(1, 14))
def test_solved_spec_gives_the_target_with_the_least_padding(spec, height, width):
    rows, cols = reachable(spec, 0), reachable(spec, 1)
    if height in rows and width in cols:
        solved = solve_padding(spec, (height, width))
        assert plan(solved.spec).output_shape == (spec.batch, spec.out_channels, height, width)
        assert solved.output_shape == plan(solved.spec).output_shape
        assert solved.pads == (*split(rows[height]), *split(cols[width]))
        assert solved.spec.replace(padding=spec.padding) == spec  # nothing else changed
    else:
        with pytest.raises(ConvSpecError) as raised:
            solve_padding(spec, (height, width))
        message = str(raised.value)
        assert "\n" not in message
        missed, least = (height, rows) if height not in rows else (width, cols)
        if missed < min(least):
            assert f"the smallest reachable is {min(least)}" in message
        else:
            assert spec.padding_mode in message
            assert f"reaches is {max(least)}" in message


@settings(max_examples=200, deadline=None)
@given(conv_specs(max_size=12))
def test_every_size_from_the_smallest_up_is_reached(spec):
    """Stride never skips a size: each padded index adds at most one window."""
    for axis in (0, 1):
        sizes = sorted(reachable(spec, axis))
        assert sizes == list(range(sizes[0], sizes[-1] + 1))


def test_odd_padding_goes_after_as_in_tensorflow():
    spec = ConvSpec((1, 1, 7, 8), 1, 4, stride=1)
    solved = solve_padding(spec, (7, 8))
    assert solved.pads == (1, 2, 1, 2)
    assert solved.spec.padding == (1, 2, 1, 2)
    same = ConvSpec((1, 1, 7, 8), 1, 4, padding="same")
    assert plan(same).pads == solved.pads


def test_solved_spec_computes_the_target_shape():
    rng = np.random.default_rng(3)
    spec = ConvSpec((2, 2, 6, 5), 3, (3, 2), stride=(2, 3), dilation=(2, 1), padding_mode="reflect")
    solved = solve_padding(spec, (4, 3))
    x = rng.standard_normal(spec.input_shape)
    w = rng.standard_normal(spec.weight_shape)
    assert reference_conv2d(x, w, plan(solved.spec)).shape == (2, 3, 4, 3)


@pytest.mark.parametrize("target, words", [
    ((2, 4), "smallest reachable is 3"),
    ((0, 4), "at least 1"),
    ((4,), "(height, width)"),
    ("4x4", "(height, width)"),
    ((4, 3_000_000), "limit"),
])
def test_unreachable_targets_are_refused_in_words(target, words):
    with pytest.raises(ConvSpecError, match=words.replace("(", r"\(").replace(")", r"\)")):
        solve_padding(ConvSpec((1, 1, 7, 7), 1, 3, stride=2), target)


def test_reflect_limit_is_explained():
    with pytest.raises(ConvSpecError) as raised:
        solve_padding(ConvSpec((1, 1, 7, 7), 1, 3, padding_mode="reflect"), (18, 5))
    message = str(raised.value)
    assert "reflect padding must be smaller than the input" in message
    assert "largest output height reflect padding reaches is 17" in message
