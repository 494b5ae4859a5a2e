"""The scatter view of transposed convolution: partial outputs add up to the float64 reference (and
to PyTorch), overlap counts and inverse queries agree with brute force and with the direct view."""

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convviz.core import ConvSpec, plan, reference_conv2d
from convviz.session.scatter import ScatterPlan
from tests.helpers.strategies import LOAD_TOLERANT, operation_specs

transposed_specs = operation_specs("conv_transpose", max_size=6)


def random_operands(spec, seed):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(spec.input_shape), rng.standard_normal(spec.weight_shape)


def feeding(spec, x, w, n, k):
    """The input channels (C', H, W) of image n feeding output channel k and their kernel slices."""
    per_in, per_out = spec.in_channels // spec.groups, spec.out_channels // spec.groups
    group = k // per_out
    channels = slice(group * per_in, (group + 1) * per_in)
    return x[n, channels], w[channels, k - group * per_out]


def brute_partial(spec, x_channels, kernels, done):
    """The output after the first `done` input cells scatter, from the definition, cell by cell."""
    conv_plan = plan(spec)
    (sh, sw), (dh, dw) = spec.stride, spec.dilation
    ph, pw = conv_plan.rows.padding, conv_plan.cols.padding
    height, width = conv_plan.output_size
    kh, kw = spec.kernel_size
    output = np.zeros((height, width))
    for step in range(done):
        a, b = divmod(step, spec.input_size[1])
        for r in range(kh):
            for s in range(kw):
                i, j = a * sh - ph + r * dh, b * sw - pw + s * dw
                if 0 <= i < height and 0 <= j < width:
                    output[i, j] += float(np.sum(x_channels[:, a, b] * kernels[:, r, s]))
    return output


@settings(max_examples=40, deadline=None, suppress_health_check=LOAD_TOLERANT)
@given(transposed_specs, st.integers(0, 2**16))
def test_after_the_last_step_the_scatter_is_the_reference_for_every_channel_and_image(spec, seed):
    x, w = random_operands(spec, seed)
    scatter = ScatterPlan(plan(spec))
    expected = reference_conv2d(x, w, plan(spec))
    for n in range(spec.batch):
        for k in range(spec.out_channels):
            made = scatter.partial_output(scatter.contributions(*feeding(spec, x, w, n, k)), scatter.steps)
            np.testing.assert_allclose(made, expected[n, k], rtol=0, atol=1e-9)


@settings(max_examples=40, deadline=None, suppress_health_check=LOAD_TOLERANT)
@given(transposed_specs, st.integers(0, 2**16), st.data())
def test_a_partial_output_holds_exactly_the_first_steps_contributions(spec, seed, data):
    x, w = random_operands(spec, seed)
    scatter = ScatterPlan(plan(spec))
    k = data.draw(st.integers(0, spec.out_channels - 1))
    channels, kernels = feeding(spec, x, w, 0, k)
    contributions = scatter.contributions(channels, kernels)
    done = data.draw(st.integers(0, scatter.steps))
    before = scatter.partial_output(contributions, done)
    np.testing.assert_allclose(before, brute_partial(spec, channels, kernels, done), rtol=0, atol=1e-9)
    if done < scatter.steps:
        # one more step adds the step's products at the output cells its terms name
        terms = scatter.step_terms(channels, kernels, done)
        added = scatter.partial_output(contributions, done + 1) - before
        expected = np.zeros(scatter.output_size)
        for r, s in zip(*np.nonzero(terms.inside)):
            expected[terms.rows[r], terms.cols[s]] += terms.products[r, s]
        np.testing.assert_allclose(added, expected, rtol=0, atol=1e-9)


@settings(max_examples=40, deadline=None, suppress_health_check=LOAD_TOLERANT)
@given(transposed_specs, st.data())
def test_writes_so_far_count_the_first_steps_input_cells_writing_each_output(spec, data):
    scatter = ScatterPlan(plan(spec))
    done = data.draw(st.integers(0, scatter.steps))
    ones = np.ones((1, *spec.input_size)), np.ones((1, *spec.kernel_size))
    expected = brute_partial(spec, *ones, done)
    np.testing.assert_array_equal(scatter.written(done), expected)
    if done == scatter.steps:
        np.testing.assert_array_equal(scatter.written(done), scatter.overlap)


def test_the_first_partial_is_zero_and_the_last_is_not():
    spec = ConvSpec((1, 1, 4, 4), 1, 3, stride=2, padding=1, output_padding=1, operation="conv_transpose")
    x, w = random_operands(spec, 1)
    scatter = ScatterPlan(plan(spec))
    contributions = scatter.contributions(x[0], w[:, 0])
    assert not scatter.partial_output(contributions, 0).any()
    assert np.abs(scatter.partial_output(contributions, scatter.steps)).min() > 0


@settings(max_examples=30, deadline=None, suppress_health_check=LOAD_TOLERANT)
@given(transposed_specs, st.integers(0, 2**16))
def test_the_scatter_matches_pytorch(spec, seed):
    pytest.importorskip("torch", reason="PyTorch is not installed")
    from tests.helpers.torch_ops import torch_forward

    x, w = random_operands(spec, seed)
    expected = torch_forward(x, w, spec.to_dict())
    scatter = ScatterPlan(plan(spec))
    for k in range(spec.out_channels):
        made = scatter.partial_output(scatter.contributions(*feeding(spec, x, w, 0, k)), scatter.steps)
        np.testing.assert_allclose(made, expected[0, k], rtol=0, atol=1e-9)


def brute_overlap(spec):
    """How many input cells write each output cell, by trying every input cell and tap."""
    scatter = ScatterPlan(plan(spec))
    writers = [[set() for _ in range(scatter.output_size[1])] for _ in range(scatter.output_size[0])]
    for a in range(spec.input_size[0]):
        for b in range(spec.input_size[1]):
            top, left, _, _ = scatter.window(a, b)
            for r in range(spec.kernel_size[0]):
                for s in range(spec.kernel_size[1]):
                    i, j = top + r * spec.dilation[0], left + s * spec.dilation[1]
                    if 0 <= i < scatter.output_size[0] and 0 <= j < scatter.output_size[1]:
                        writers[i][j].add((a, b))
    return np.array([[len(cell) for cell in row] for row in writers])


@settings(max_examples=60, deadline=None, suppress_health_check=LOAD_TOLERANT)
@given(transposed_specs)
def test_overlap_counts_are_the_brute_force_count_of_input_cells_writing_each_output(spec):
    scatter = ScatterPlan(plan(spec))
    expected = brute_overlap(spec)
    np.testing.assert_array_equal(scatter.overlap, expected)
    assert scatter.overlap_range == (expected.min(), expected.max())


def test_kernel_3_at_stride_2_overlaps_in_a_checkerboard_and_kernel_4_evenly():
    uneven = ScatterPlan(plan(ConvSpec((1, 1, 4, 4), 1, 3, stride=2, operation="conv_transpose")))
    assert uneven.rows.overlap.tolist() == [1, 1, 2, 1, 2, 1, 2, 1, 1]
    assert uneven.overlap[2, 2] == 4 and uneven.overlap[1, 1] == 1 and uneven.overlap[1, 2] == 2
    even = ScatterPlan(plan(ConvSpec((1, 1, 4, 4), 1, 4, stride=2, padding=1, operation="conv_transpose")))
    assert set(even.overlap[1:-1, 1:-1].ravel().tolist()) == {4}


def rows_of(reads, flip=None):
    weight = reads.weight if flip is None else flip - 1 - reads.weight
    return {(*o, *wt, *p, *i) for o, wt, p, i in zip(reads.output.tolist(), weight.tolist(),
                                                    reads.padded.tolist(), reads.input.tolist())}


def real_reads(reads):
    keep = reads.input[:, 0] >= 0
    return type(reads)(reads.output[keep], reads.weight[keep], reads.padded[keep], reads.input[keep])


@settings(max_examples=40, deadline=None, suppress_health_check=LOAD_TOLERANT)
@given(transposed_specs, st.data())
def test_who_wrote_an_output_cell_is_what_the_direct_view_reads_there(spec, data):
    conv_plan = plan(spec)
    scatter = ScatterPlan(conv_plan)
    i = data.draw(st.integers(0, scatter.output_size[0] - 1))
    j = data.draw(st.integers(0, scatter.output_size[1] - 1))
    flip = np.array(spec.kernel_size)
    direct = real_reads(conv_plan.reads_of_output(i, j))
    writers = scatter.writers_of_output(i, j)
    assert rows_of(writers) == rows_of(direct, flip)
    assert len(writers) == scatter.overlap[i, j] == len(writers.cells("input"))
    assert all(tuple(cell) == (i, j) for cell in writers.output.tolist())


@settings(max_examples=40, deadline=None, suppress_health_check=LOAD_TOLERANT)
@given(transposed_specs, st.data())
def test_what_an_input_cell_writes_is_every_direct_read_of_it(spec, data):
    conv_plan = plan(spec)
    scatter = ScatterPlan(conv_plan)
    step = data.draw(st.integers(0, scatter.steps - 1))
    a, b = scatter.step_cell(step)
    assert scatter.step_of(a, b) == step
    targets = scatter.targets(a, b)
    assert rows_of(targets) == rows_of(conv_plan.reads_of_input(a, b), np.array(spec.kernel_size))
    terms = scatter.step_terms(np.zeros((1, *spec.input_size)), np.zeros((1, *spec.kernel_size)), step)
    inside = {(int(terms.rows[r]), int(terms.cols[s]), int(r), int(s)) for r, s in zip(*np.nonzero(terms.inside))}
    assert inside == {(*o, *wt) for o, wt in zip(targets.output.tolist(), targets.weight.tolist())}


def test_step_text_lists_each_product_where_it_lands_and_the_cropped_taps():
    spec = ConvSpec((1, 1, 3, 3), 1, 3, stride=2, padding=1, operation="conv_transpose")
    scatter = ScatterPlan(plan(spec))
    x = np.arange(9.0).reshape(1, 3, 3) - 2
    w = np.arange(9.0).reshape(1, 3, 3) * 0.5
    terms = scatter.step_terms(x, w, 0)
    text = terms.text()
    assert text.splitlines()[0] == "x[0,0] = −2 scatters x·w into 4 output cells:"
    assert "  w[1,1]: y[0,0] += (−2)·2 = −4" in text
    assert "  w[2,2]: y[1,1] += (−2)·4 = −8" in text
    assert "cropped (outside the output): w[0,0], w[0,1], w[0,2], w[1,0], w[2,0]" in text
    several = scatter.step_terms(np.stack([x[0], x[0] + 1]), np.stack([w[0], w[0]]), 4)
    line = next(line for line in several.text().splitlines() if line.startswith("  w[0,0]: "))
    assert line.startswith("  w[0,0]: y[1,1] += ")
    factors = [float(value.replace("−", "-")) for value in re.findall(r"−?\d+(?:\.\d+)?", line.split("+=")[1])]
    assert factors[0] * factors[1] + factors[2] * factors[3] == factors[4]


def test_products_shown_with_decimals_add_up_as_shown():
    spec = ConvSpec((1, 1, 2, 2), 1, 2, stride=2, operation="conv_transpose")
    scatter = ScatterPlan(plan(spec))
    x = np.array([[[1 / 3, 0.25], [2.0, 1.0]]])
    w = np.array([[[0.123, 1.0], [2.5, -0.7]]])
    for line in scatter.step_terms(x, w, 0).text().splitlines()[1:]:
        numbers = [float(text.replace("−", "-")) for text in re.findall(r"−?\d+(?:\.\d+)?", line.split("+=")[1])]
        x_shown, w_shown, total, *_ = numbers
        assert abs(x_shown * w_shown - total) < 0.01


def test_only_transposed_convolution_is_drawn_as_a_scatter():
    with pytest.raises(ValueError, match="not conv"):
        ScatterPlan(plan(ConvSpec((1, 1, 5, 5), 1, 3)))


@settings(max_examples=30, deadline=None, suppress_health_check=LOAD_TOLERANT)
@given(transposed_specs, st.integers(0, 2**16), st.lists(st.integers(0, 400), min_size=1, max_size=12))
def test_progress_from_the_last_answer_is_the_fresh_sum_whatever_the_order_of_steps(spec, seed, moves):
    x, w = random_operands(spec, seed)
    scatter = ScatterPlan(plan(spec))
    contributions = scatter.contributions(*feeding(spec, x, w, 0, 0))
    cache = {}
    done = 0
    for move in moves:
        done = (done + move) % (scatter.steps + 1) if move % 7 else move % (scatter.steps + 1)
        partial, written = scatter.progress(contributions, done, cache)
        np.testing.assert_allclose(partial, scatter.partial_output(contributions, done), rtol=0, atol=1e-12)
        np.testing.assert_array_equal(written, scatter.written(done))
        assert not partial.flags.writeable and not written.flags.writeable
