"""Property tests: shapes follow the formula, the NumPy backend equals the reference, coverage its definition."""

import numpy as np
import pytest
from helpers.brute_force import all_reads, rows_of
from helpers.strategies import LOAD_TOLERANT, conv_specs
from hypothesis import given, settings
from hypothesis import strategies as st

from convviz import convolve, plan
from convviz.backends import get_backend
from convviz.backends.numpy_backend import unsupported
from convviz.core import reference_conv2d

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=LOAD_TOLERANT)


def random_arrays(spec, dtype, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(spec.input_shape).astype(dtype)
    w = rng.standard_normal(spec.weight_shape).astype(dtype)
    bias = rng.standard_normal(spec.out_channels).astype(dtype)
    return x, w, bias


def formula_size(size, before, after, kernel, stride, dilation):
    return (size + before + after - dilation * (kernel - 1) - 1) // stride + 1


@SETTINGS
@given(spec=conv_specs())
def test_output_shape_follows_the_formula(spec):
    conv_plan = plan(spec)
    top, bottom, left, right = conv_plan.pads
    height, width = spec.input_size
    expected = (
        spec.batch,
        spec.out_channels,
        formula_size(height, top, bottom, spec.kernel_size[0], spec.stride[0], spec.dilation[0]),
        formula_size(width, left, right, spec.kernel_size[1], spec.stride[1], spec.dilation[1]),
    )
    assert conv_plan.output_shape == expected
    assert conv_plan.padded_shape == (height + top + bottom, width + left + right)
    if spec.padding == "same":
        assert conv_plan.output_size == tuple(-(-n // s) for n, s in zip(spec.input_size, spec.stride))
    for i, j in [(0, 0), (conv_plan.output_size[0] - 1, conv_plan.output_size[1] - 1)]:
        rows, cols = conv_plan.taps(i, j)
        assert rows.max() < conv_plan.padded_shape[0] and cols.max() < conv_plan.padded_shape[1]


@SETTINGS
@given(spec=conv_specs(), dtype=st.sampled_from([np.float64, np.float32]), seed=st.integers(0, 2**32 - 1))
def test_numpy_backend_equals_reference(spec, dtype, seed):
    x, w, bias = random_arrays(spec, dtype, seed)
    conv_plan = plan(spec)
    expected = reference_conv2d(x, w, conv_plan, bias)
    backend = get_backend("numpy")
    for algorithm in backend.algorithms:
        if unsupported(conv_plan, algorithm):
            continue
        y = convolve(x, w, conv_plan, bias=bias, algorithm=algorithm)
        assert y.dtype == np.dtype(dtype)
        assert y.shape == conv_plan.output_shape
        scale = max(1.0, float(np.abs(expected).max()))
        tolerance = 1e-12 if dtype == np.float64 else 1e-5
        np.testing.assert_allclose(y, expected, rtol=tolerance, atol=tolerance * scale, err_msg=algorithm)


def coverage_by_definition(conv_plan):
    """Count reads cell by cell, mapping padding through its mode written out again (helpers.brute_force)."""
    counts = np.zeros(conv_plan.spec.input_size, dtype=np.int64)
    for _, _, _, source in all_reads(conv_plan):
        if source != (-1, -1):
            counts[source] += 1
    return counts


@SETTINGS
@given(spec=conv_specs())
def test_coverage_matches_its_definition(spec):
    conv_plan = plan(spec)
    expected = coverage_by_definition(conv_plan)
    np.testing.assert_array_equal(conv_plan.coverage, expected)
    assert conv_plan.unread_rows == tuple(np.flatnonzero(expected.sum(axis=1) == 0))
    assert conv_plan.unread_cols == tuple(np.flatnonzero(expected.sum(axis=0) == 0))


@SETTINGS
@given(spec=conv_specs(max_channels=1))
def test_coverage_is_the_gradient_of_the_output_sum(spec):
    """Σ y with all-ones weights, differentiated by finite differences per input cell (exact: linear)."""
    spec = spec.replace(input_shape=(1, 1, *spec.input_size), out_channels=1)
    conv_plan = plan(spec)
    ones = np.ones(spec.weight_shape)
    base = np.zeros(spec.input_shape)
    height, width = spec.input_size
    gradient = np.zeros((height, width))
    for row in range(height):
        for col in range(width):
            probe = base.copy()
            probe[0, 0, row, col] = 1.0
            gradient[row, col] = reference_conv2d(probe, ones, conv_plan).sum()
    np.testing.assert_array_equal(conv_plan.coverage, gradient.astype(np.int64))


@SETTINGS
@given(spec=conv_specs(max_channels=1), data=st.data())
def test_reads_of_input_inverts_taps(spec, data):
    """Every output whose taps hold input (row, col), found by brute force, and each read of it."""
    conv_plan = plan(spec)
    height, width = spec.input_size
    row = data.draw(st.integers(0, height - 1))
    col = data.draw(st.integers(0, width - 1))
    readers = set()
    for i in range(conv_plan.output_size[0]):
        for j in range(conv_plan.output_size[1]):
            rows, cols = conv_plan.taps(i, j)
            sources = {conv_plan.source_of(int(r), int(c)) for r in rows for c in cols}
            if (row, col) in sources:
                readers.add((i, j))
    reads = conv_plan.reads_of_input(row, col)
    assert {tuple(cell) for cell in reads.cells("output").tolist()} == readers
    assert sorted(rows_of(reads)) == sorted(read for read in all_reads(conv_plan) if read[3] == (row, col))


def test_padding_modes_agree_with_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 3, 6, 5))
    w = rng.standard_normal((4, 3, 3, 2))
    from convviz import ConvSpec

    for mode in ("reflect", "replicate", "circular"):
        spec = ConvSpec(x.shape, 4, (3, 2), padding=(2, 1, 1, 3), padding_mode=mode)
        padded = torch.nn.functional.pad(torch.from_numpy(x), (1, 3, 2, 1), mode=mode)
        expected = torch.nn.functional.conv2d(padded, torch.from_numpy(w)).numpy()
        np.testing.assert_allclose(reference_conv2d(x, w, plan(spec)), expected, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(convolve(x, w, spec), expected, rtol=1e-12, atol=1e-12)
