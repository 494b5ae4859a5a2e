"""Coverage for every operation: for (transposed) convolution, the gradient of the sum of the outputs
with respect to each input cell when every weight is 1; for pooling, how many windows include each
cell; for max pooling also how many windows each cell wins on the current input."""

import numpy as np
import pytest
from helpers.strategies import LOAD_TOLERANT, operation_specs
from hypothesis import given, settings
from hypothesis import strategies as st

from convviz import ConvSpec, plan
from convviz.core.reference import reference_conv2d
from convviz.core.wins import win_counts

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=LOAD_TOLERANT)


def _one_channel(spec):
    return plan(spec.replace(input_shape=(1, 1, *spec.input_size), out_channels=None if spec.is_pooling else 1,
                             groups=1))


@SETTINGS
@given(operation_specs(max_size=6))
def test_coverage_is_the_gradient_of_the_summed_output_or_the_windows_that_include_the_cell(spec):
    conv_plan = _one_channel(spec)
    # average pooling's windows are max pooling's (it has no dilation): count them with a max
    windows = _one_channel(spec.replace(operation="max_pool", count_include_pad=True)) if spec.is_pooling else None
    height, width = spec.input_size
    expected = np.zeros((height, width))
    for row in range(height):
        for col in range(width):
            if spec.is_pooling:
                # −1 everywhere but the cell: a window's max is 1 exactly when a tap lands on the cell
                x = -np.ones((1, 1, height, width))
                x[0, 0, row, col] = 1
                expected[row, col] = (reference_conv2d(x, None, windows) == 1).sum()
            else:
                # the output is linear in x: the gradient of its sum at the cell is the sum for a unit input there
                x = np.zeros((1, 1, height, width))
                x[0, 0, row, col] = 1
                expected[row, col] = reference_conv2d(x, np.ones((1, 1, *spec.kernel_size)), conv_plan).sum()
    np.testing.assert_array_equal(conv_plan.coverage, expected)


def _brute_wins(conv_plan, image):
    """PyTorch's rule, window by window: the first largest input tap in row-major order wins."""
    spec = conv_plan.spec
    (sh, sw), (dh, dw) = spec.stride, spec.dilation
    height, width = spec.input_size
    counts = np.zeros((height, width), dtype=int)
    for i in range(conv_plan.output_size[0]):
        for j in range(conv_plan.output_size[1]):
            best, winner = -np.inf, None
            for r in range(spec.kernel_size[0]):
                for s in range(spec.kernel_size[1]):
                    row, col = i * sh - conv_plan.rows.padding + r * dh, j * sw - conv_plan.cols.padding + s * dw
                    if 0 <= row < height and 0 <= col < width and (winner is None or image[row, col] > best):
                        best, winner = image[row, col], (row, col)
            if winner is not None:
                counts[winner] += 1
    return counts


@SETTINGS
@given(operation_specs("max_pool", max_size=8), st.integers(0, 2**32 - 1))
def test_max_pool_wins_follow_pytorchs_first_maximum(spec, seed):
    conv_plan = _one_channel(spec)
    image = np.random.default_rng(seed).integers(0, 3, spec.input_size).astype(float)  # ties on purpose
    wins = win_counts(conv_plan, image)
    np.testing.assert_array_equal(wins, _brute_wins(conv_plan, image))
    assert (wins <= conv_plan.coverage).all()


@SETTINGS
@given(operation_specs("max_pool", max_size=8), st.integers(0, 2**32 - 1))
def test_max_pool_wins_match_pytorchs_indices(spec, seed):
    torch = pytest.importorskip("torch", reason="PyTorch is not installed: the comparison with it is skipped")
    conv_plan = _one_channel(spec)
    image = np.random.default_rng(seed).integers(0, 3, spec.input_size).astype(float)
    values, indices = torch.nn.functional.max_pool2d(
        torch.from_numpy(image)[None, None], spec.kernel_size, spec.stride,
        (conv_plan.rows.padding, conv_plan.cols.padding), spec.dilation, ceil_mode=spec.ceil_mode,
        return_indices=True)
    found = indices.numpy().ravel()[np.isfinite(values.numpy().ravel())]
    expected = np.bincount(found, minlength=image.size).reshape(image.shape)
    np.testing.assert_array_equal(win_counts(conv_plan, image), expected)


def test_transposed_coverage_shows_the_checkerboard_of_uneven_overlap():
    coverage = plan(ConvSpec((1, 1, 5, 5), 1, 3, stride=2, operation="conv_transpose")).coverage
    # every input cell's kernel lands whole in the output: uniform reads ...
    assert (coverage == 9).all()
    # ... while the outputs get 1, 2 or 4 products each (kernel 3 not divisible by stride 2)
    x, w = np.ones((1, 1, 5, 5)), np.ones((1, 1, 3, 3))
    counts = reference_conv2d(x, w, plan(ConvSpec((1, 1, 5, 5), 1, 3, stride=2, operation="conv_transpose")))
    assert set(np.unique(counts[0, 0, 1:-1, 1:-1])) == {1.0, 2.0, 4.0}
