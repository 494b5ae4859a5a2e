"""The session draws every operation: its shown output and each step's arithmetic equal the float64
reference (built from the full PyTorch-shaped weight), max pooling's winner is the first largest of
its window, average pooling's divisor follows count_include_pad, groups feed the right channels."""

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convviz.core import ConvSpec, ConvSpecError, plan, reference_conv2d
from convviz.session import Session
from convviz.session.frame import PoolTerms, StepTerms
from convviz.session.operation import fed_channels, feeding_channels
from tests.helpers.strategies import LOAD_TOLERANT, operation_specs

CHECKED_STEPS = 12
PRODUCT = re.compile(r"\(?−?\d+(?:\.\d+)?\)?·\(?−?\d+(?:\.\d+)?\)?")


def full_weight(session: Session) -> np.ndarray | None:
    """PyTorch's weight tensor holding the session's slices of the shown output channel (others zero)."""
    spec = session.spec
    if spec.is_pooling:
        return None
    weight = np.zeros(spec.weight_shape)
    k = session.out_channel
    for c in session.feeding:
        if spec.operation == "conv_transpose":
            weight[c, k % (spec.out_channels // spec.groups)] = session.kernels[c]
        else:
            weight[k, c % (spec.in_channels // spec.groups)] = session.kernels[c]
    return weight


def reference_map(session: Session) -> np.ndarray:
    spec = session.spec
    one = spec.replace(input_shape=(1, *spec.input_shape[1:]))
    bias = None
    if session.bias is not None:
        bias = np.zeros(spec.out_channels)
        bias[session.out_channel] = session.bias
    return reference_conv2d(session.inputs[None], full_weight(session), plan(one), bias)[0, session.out_channel]


def checked_steps(steps: int, rng) -> list[int]:
    return sorted({0, steps - 1, *rng.integers(0, steps, size=min(CHECKED_STEPS, steps)).tolist()})


@settings(max_examples=40, deadline=None, suppress_health_check=LOAD_TOLERANT)
@given(spec=operation_specs(max_size=8, max_channels=4), pick=st.integers(0, 15), seed=st.integers(0, 50),
       preset=st.sampled_from(["random", "sobel x"]))
def test_output_and_every_checked_step_equal_the_reference(spec, pick, seed, preset):
    session = Session(spec, preset=preset, seed=seed)
    session.show_channels(out_channel=pick % spec.out_channels)
    if not spec.is_pooling and pick % 3 == 0:
        session.set_bias(0.5 * pick - 3)
    expected = reference_map(session)
    np.testing.assert_allclose(session.output, expected, rtol=1e-9, atol=1e-9)
    for step in checked_steps(session.steps, np.random.default_rng(seed)):
        terms = session.frame(step).terms
        assert terms.total == pytest.approx(expected[terms.position], rel=1e-9, abs=1e-9)
        text = terms.text()
        assert text.startswith("y[")


def test_transposed_terms_use_the_flipped_kernel_over_inserted_zeros():
    spec = ConvSpec((1, 1, 3, 3), 1, (3, 3), stride=2, padding=1, operation="conv_transpose", output_padding=1)
    session = Session(spec, preset="random", seed=3)
    terms = session.frame(0).terms
    assert isinstance(terms, StepTerms)
    np.testing.assert_array_equal(terms.weights[0], session.weights[::-1, ::-1])
    kernel = session.frame().kernel
    assert kernel.flipped and kernel.row_labels == ["2", "1", "0"]
    assert kernel.weight_of(0, 0) == (2, 2)
    np.testing.assert_array_equal(kernel.values, session.weights[::-1, ::-1])


def windows(spec: ConvSpec):
    """PyTorch's pooling windows, from the user's numbers: (i, j) -> [(row, col) on the input or None]."""
    (sh, sw), (dh, dw), (kh, kw) = spec.stride, spec.dilation, spec.kernel_size
    ph, pw = spec.padding if not isinstance(spec.padding, str) else (0, 0)
    height, width = spec.input_size
    ho, wo = plan(spec).output_size
    for i in range(ho):
        for j in range(wo):
            taps = []
            for r in range(kh):
                for s in range(kw):
                    row, col = i * sh - ph + r * dh, j * sw - pw + s * dw
                    taps.append((row, col) if 0 <= row < height and 0 <= col < width else None)
            yield (i, j), taps


@settings(max_examples=30, deadline=None, suppress_health_check=LOAD_TOLERANT)
@given(spec=operation_specs("max_pool", max_size=8, max_channels=2), seed=st.integers(0, 20))
def test_max_pool_winner_is_the_first_largest_of_its_window(spec, seed):
    session = Session(spec, pattern="random integers", seed=seed)  # integers: ties happen
    image = session.inputs[session.out_channel]
    for (i, j), taps in windows(spec):
        terms = session.frame(plan(spec).step_of(i, j)).terms
        assert isinstance(terms, PoolTerms)
        values = [image[tap] if tap is not None else -np.inf for tap in taps]
        first = int(np.argmax(values))
        if all(tap is None for tap in taps):  # dilation can make a window of padding alone
            assert terms.winner is None and terms.total == -np.inf
            continue
        assert terms.winner == divmod(first, spec.kernel_size[1])
        assert terms.total == values[first]


@settings(max_examples=30, deadline=None, suppress_health_check=LOAD_TOLERANT)
@given(spec=operation_specs("avg_pool", max_size=8, max_channels=2))
def test_avg_pool_divisor_follows_count_include_pad(spec):
    session = Session(spec)
    (sh, sw), (kh, kw) = spec.stride, spec.kernel_size
    ph, pw = spec.padding
    height, width = spec.input_size
    for (i, j), taps in windows(spec):
        terms = session.frame(plan(spec).step_of(i, j)).terms
        if spec.count_include_pad:  # the window clipped to the padded input, never the overhang
            top, left = i * sh - ph, j * sw - pw
            expected = (min(top + kh, height + ph) - top) * (min(left + kw, width + pw) - left)
        else:
            expected = sum(tap is not None for tap in taps)
        assert terms.divisor == expected
        assert f"divisor {expected} " in terms.text()


def test_max_pool_padding_is_minus_infinity():
    session = Session(ConvSpec((1, 1, 4, 4), None, (3, 3), stride=2, padding=1, operation="max_pool"))
    grid = session.frame().input
    assert np.isneginf(grid.values[grid.padding]).all()
    assert "−∞" in session.frame(0).terms.text()


@pytest.mark.parametrize("operation, groups, c, k", [("conv", 2, 4, 6), ("conv", 4, 4, 4),
                                                     ("conv_transpose", 2, 4, 2), ("max_pool", 1, 3, 3)])
def test_groups_feed_the_channels_of_their_group(operation, groups, c, k):
    spec = ConvSpec((1, c, 5, 5), k, (2, 2), operation=operation, groups=groups)
    for out in range(k):
        feeding = feeding_channels(spec, out)
        for channel in range(c):
            if spec.is_pooling:
                feeds = channel == out
            else:  # PyTorch: output k of group k // (K/g) reads inputs of group c // (C/g)
                feeds = out // (k // groups) == channel // (c // groups)
            assert (channel in feeding) == feeds
            assert (out in fed_channels(spec, channel)) == feeds


def test_shown_input_channel_always_feeds_the_shown_output_channel():
    session = Session(ConvSpec((1, 4, 5, 5), 4, (3, 3), groups=2))
    session.show_channels(out_channel=3)
    assert session.in_channel in (2, 3) and session.feeding == range(2, 4)
    session.show_channels(in_channel=0)
    assert session.out_channel in (0, 1)
    terms = session.frame().terms
    assert terms.channel_numbers == (0, 1)


def test_pooling_refuses_weights_and_bias_in_words():
    session = Session(ConvSpec((1, 1, 4, 4), None, (2, 2), operation="avg_pool"))
    with pytest.raises(ConvSpecError, match="no weights"):
        session.set_weight(0, 0, 1.0)
    with pytest.raises(ConvSpecError, match="no bias"):
        session.set_bias(1.0)


def test_transposed_view_is_a_session_setting_that_notifies():
    session = Session(ConvSpec((1, 1, 3, 3), 1, (3, 3), stride=2, operation="conv_transpose"))
    heard = []
    session.subscribe(heard.append)
    assert session.transposed_view == "direct"
    session.set_transposed_view("scatter")
    assert session.transposed_view == "scatter" and len(heard) == 1 and "transposed_view" in heard[0]
    with pytest.raises(ConvSpecError, match="direct or scatter"):
        session.set_transposed_view("sideways")


@settings(max_examples=25, deadline=None, suppress_health_check=LOAD_TOLERANT)
@given(spec=operation_specs("conv_transpose", max_size=6, max_channels=2), data=st.data())
def test_a_transposed_weight_multiplies_the_inputs_it_scatters_to_the_output(spec, data):
    """weight (r, s) multiplies input (a, b) when a·s − p + r·d lands inside the output (both axes)."""
    session = Session(spec)
    r = data.draw(st.integers(0, spec.kernel_size[0] - 1))
    s = data.draw(st.integers(0, spec.kernel_size[1] - 1))
    session.select(f"weight:{r},{s}")
    picked = session.frame().selection
    (sh, sw), (dh, dw) = spec.stride, spec.dilation
    ph, pw = spec.padding
    ho, wo = plan(spec).output_size
    height, width = spec.input_size
    expected = {(a, b) for a in range(height) for b in range(width)
                if 0 <= a * sh - ph + r * dh < ho and 0 <= b * sw - pw + s * dw < wo}
    assert {tuple(map(int, cell)) for cell in picked.cells("input")} == expected
    outputs = {(a * sh - ph + r * dh, b * sw - pw + s * dw) for a, b in expected}
    assert set(picked.readers) >= outputs


@settings(max_examples=25, deadline=None, suppress_health_check=LOAD_TOLERANT)
@given(spec=operation_specs("conv_transpose", max_size=6, max_channels=1))
def test_transposed_grid_marks_the_inserted_zeros_apart_from_the_border(spec):
    """From the user's numbers: padded index q holds input index (q − e)/s when that is whole and
    inside, with e = d·(k−1) − p; an inserted zero lies between two input indices."""
    session = Session(spec)
    grid = session.frame().input
    marks = []
    for n, k, s, d, p, length in zip(spec.input_size, spec.kernel_size, spec.stride, spec.dilation, spec.padding,
                                     grid.values.shape):
        edge = d * (k - 1) - p
        logical = np.arange(length) - edge
        marks.append(((logical > 0) & (logical < (n - 1) * s) & (logical % s != 0),
                      (logical >= 0) & (logical <= (n - 1) * s)))
    (row_inserted, row_inside), (col_inserted, col_inside) = marks
    expected = (row_inserted[:, None] & col_inside[None, :]) | (row_inside[:, None] & col_inserted[None, :])
    np.testing.assert_array_equal(grid.inserted, expected)
    rows, cols = grid.inserted_lines  # what the panel dots: those rows and columns across the input
    np.testing.assert_array_equal(rows, np.flatnonzero(row_inserted))
    np.testing.assert_array_equal(cols, np.flatnonzero(col_inserted))
    assert not (grid.inserted & grid.padding).any()
    assert (grid.values[grid.inserted] == 0).all()


@settings(max_examples=25, deadline=None, suppress_health_check=LOAD_TOLERANT)
@given(spec=operation_specs("conv_transpose", max_size=6, max_channels=1), data=st.data())
def test_transposed_arithmetic_lists_the_real_products_and_counts_the_zeros(spec, data):
    session = Session(spec, preset="random")
    step = data.draw(st.integers(0, session.steps - 1))
    terms = session.frame(step).terms
    text = terms.text()
    zeros = int((~terms.real).sum())
    assert len(PRODUCT.findall(text)) == int(terms.real.sum()) * len(terms.inputs)
    if zeros:
        assert f"{zeros} of {terms.real.size} taps read inserted zeros or padding" in text
    assert (terms.inputs[0][~terms.real] == 0).all()


@settings(max_examples=25, deadline=None, suppress_health_check=LOAD_TOLERANT)
@given(spec=operation_specs("max_pool", max_size=8, max_channels=1), seed=st.integers(0, 20))
def test_pooling_coverage_counts_windows_and_max_pooling_wins(spec, seed):
    session = Session(spec, seed=seed)
    image = session.inputs[0]
    windows_of = np.zeros(spec.input_size, int)
    wins = np.zeros(spec.input_size, int)
    for _, taps in windows(spec):
        inside = [tap for tap in taps if tap is not None]
        for tap in inside:
            windows_of[tap] += 1
        if inside:
            wins[max(inside, key=lambda tap: (image[tap], -taps.index(tap)))] += 1
    coverage = session.frame().coverage
    np.testing.assert_array_equal(coverage.counts, windows_of)
    assert coverage.kind == "reads" and coverage.wins_available
    session.set_coverage_view("wins")
    coverage = session.frame().coverage
    assert coverage.kind == "wins"
    np.testing.assert_array_equal(coverage.counts, wins)
    with pytest.raises(ConvSpecError, match="reads or wins"):
        session.set_coverage_view("losses")


def test_wins_apply_to_max_pooling_only():
    session = Session(ConvSpec((1, 1, 6, 6), None, (2, 2), operation="avg_pool"))
    session.set_coverage_view("wins")
    coverage = session.frame().coverage
    assert coverage.kind == "reads" and not coverage.wins_available


@pytest.mark.parametrize("c, k, groups", [(4, 6, 2), (3, 3, 3), (6, 12, 3), (2, 2, 1)])
def test_group_ranges_say_which_inputs_feed_which_outputs(c, k, groups):
    spec = ConvSpec((1, c, 4, 4), k, (3, 3), groups=groups)
    frame = Session(spec).frame()
    if groups == 1:
        assert frame.group_ranges == () and frame.groups_text == ""
        return
    # PyTorch: output k belongs to group k // (K/g) and reads the inputs c with c // (C/g) equal to it
    assert frame.in_groups == [channel // (c // groups) for channel in range(c)]
    assert frame.out_groups == [out // (k // groups) for out in range(k)]
    assert frame.groups_text.startswith(f"{groups} groups" + (", depthwise" if c == groups else ""))
