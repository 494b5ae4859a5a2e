"""One axis of windows over a padded grid, against hand-worked cases and its definitions."""

import numpy as np
import pytest
from helpers.brute_force import source_by_definition as source_of_logical
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from convviz.core.axis import Axis, resolve_pads

MODES = ("zeros", "reflect", "replicate", "circular")


@st.composite
def axes(draw, max_size=9):
    size = draw(st.integers(1, max_size))
    kernel, stride, dilation = draw(st.integers(1, 4)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    mode = draw(st.sampled_from(MODES))
    pair = st.tuples(st.integers(0, 4), st.integers(0, 4))
    padding = draw(st.one_of(st.sampled_from(["valid", "same", "full"]), pair))
    axis = Axis.padded_by(padding, size, kernel, stride, dilation, mode, "height")
    assume(axis.padding_problem() is None and axis.window_fits)
    return axis


def source_by_definition(padded, axis):
    return source_of_logical(padded - axis.before, axis.size, axis.mode)


def pairs_by_definition(axis):
    """Every (window, tap, padded) triple: window w's tap t reads w·stride + t·dilation."""
    return [(w, t, w * axis.stride + t * axis.dilation) for w in range(axis.output_size) for t in range(axis.kernel)]


def as_triples(reads):
    assert len(reads.window) == len(reads.tap) == len(reads.padded) == len(reads.source)
    return sorted(zip(reads.window.tolist(), reads.tap.tolist(), reads.padded.tolist()))


@pytest.mark.parametrize(
    "padding, size, kernel, stride, dilation, pads",
    [
        ("valid", 7, 3, 2, 1, (0, 0)),
        ("full", 5, 3, 1, 2, (4, 4)),
        ("same", 7, 3, 2, 1, (1, 1)),
        ("same", 6, 3, 2, 1, (0, 1)),
        ("same", 224, 7, 2, 1, (2, 3)),
        ("same", 6, 1, 2, 1, (0, 0)),
        ((1, 3), 5, 3, 1, 1, (1, 3)),
        (2, 5, 3, 1, 1, (2, 2)),
    ],
)
def test_resolve_pads(padding, size, kernel, stride, dilation, pads):
    assert resolve_pads(padding, size, kernel, stride, dilation) == pads


def test_sizes_and_formulas_with_the_numbers():
    axis = Axis.padded_by("same", 7, 3, 2, name="height")
    assert (axis.before, axis.after, axis.padded_size, axis.reach, axis.output_size) == (1, 1, 9, 3, 4)
    assert axis.formula() == "⌊(7 + 1 + 1 − 3)/2⌋ + 1 = 4"
    dilated = Axis(9, 3, 1, 2)
    assert dilated.reach == 5 and dilated.reach_formula() == "2·(3−1)+1 = 5"


def test_windows_taps_and_span():
    axis = Axis(9, 3, stride=2, dilation=2, before=2, after=2)
    assert axis.window_start(3) == 6
    assert axis.tap_offsets.tolist() == [0, 2, 4]
    assert axis.taps(1).tolist() == [2, 4, 6]
    assert axis.span(1) == axis.reach == 5
    assert axis.span(4) == 3 * 2 + 5
    assert list(range(13))[axis.tap_slice(1)] == [2 + 2 * w for w in range(axis.output_size)]
    assert list(range(13))[axis.tap_slice(2, first=1, count=2)] == [6, 8]
    with pytest.raises(IndexError, match="height window 5 is outside 0..4"):
        Axis(9, 3, 2, 2, 2, 2, name="height").taps(5)


@pytest.mark.parametrize(
    "mode, expected",
    [
        ("zeros", [-1, -1, 0, 1, 2, 3, -1]),
        ("reflect", [2, 1, 0, 1, 2, 3, 2]),
        ("replicate", [0, 0, 0, 1, 2, 3, 3]),
        ("circular", [2, 3, 0, 1, 2, 3, 0]),
    ],
)
def test_source_follows_pytorch(mode, expected):
    axis = Axis(4, 3, before=2, after=1, mode=mode)
    assert axis.source.tolist() == expected
    assert axis.is_padding.tolist() == [True, True, False, False, False, False, True]


def test_copies_are_the_index_and_its_padding_copies():
    axis = Axis(4, 3, before=2, after=1, mode="reflect")
    assert axis.copies(1).tolist() == [1, 3]
    assert axis.copies(3).tolist() == [5]
    with pytest.raises(IndexError):
        axis.copies(4)


def test_padding_problems_name_the_side_and_axis():
    assert Axis(5, 3, before=9, mode="reflect", name="height").padding_problem() == (
        "reflect padding must be smaller than the input: 9 on the top is not less than the input height 5"
    )
    assert Axis(3, 3, after=4, mode="circular", name="width").padding_problem() == (
        "circular padding cannot exceed the input: 4 on the right is more than the input width 3"
    )
    assert Axis(3, 3, before=3, after=3, mode="circular").padding_problem() is None
    assert Axis(3, 3, before=9, after=9).padding_problem() is None


def test_derived_arrays_are_cached_and_read_only():
    axis = Axis(6, 3, before=1, after=1, mode="reflect")
    assert axis.source is axis.source
    for array in (axis.source, axis.reads, axis.coverage, axis.tap_offsets, axis.is_padding):
        with pytest.raises(ValueError):
            array[0] = 7


@settings(max_examples=300, deadline=None)
@given(axis=axes())
def test_source_reads_and_coverage_match_their_definitions(axis):
    assert axis.source.tolist() == [source_by_definition(p, axis) for p in range(axis.padded_size)]
    pairs = pairs_by_definition(axis)
    reads = np.zeros(axis.padded_size, dtype=int)
    coverage = np.zeros(axis.size, dtype=int)
    for _, _, padded in pairs:
        reads[padded] += 1
        if source_by_definition(padded, axis) >= 0:
            coverage[source_by_definition(padded, axis)] += 1
    assert axis.reads.tolist() == reads.tolist()
    assert axis.coverage.tolist() == coverage.tolist()
    assert axis.unread == tuple(np.flatnonzero(coverage == 0).tolist())
    reach = axis.dilation * (axis.kernel - 1) + 1
    assert axis.output_size == (axis.size + axis.before + axis.after - reach) // axis.stride + 1


@settings(max_examples=300, deadline=None)
@given(axis=axes(), data=st.data())
def test_per_axis_reads_match_their_definitions(axis, data):
    pairs = pairs_by_definition(axis)
    window = data.draw(st.integers(0, axis.output_size - 1))
    tap = data.draw(st.integers(0, axis.kernel - 1))
    padded = data.draw(st.integers(0, axis.padded_size - 1))
    index = data.draw(st.integers(0, axis.size - 1))
    by_window = axis.reads_of_window(window)
    assert list(zip(by_window.window.tolist(), by_window.tap.tolist(), by_window.padded.tolist())) == [
        pair for pair in pairs if pair[0] == window
    ]
    assert as_triples(axis.reads_of_tap(tap)) == sorted(pair for pair in pairs if pair[1] == tap)
    assert as_triples(axis.reads_of_padded(padded)) == sorted(pair for pair in pairs if pair[2] == padded)
    of_input = axis.reads_of_input(index)
    assert as_triples(of_input) == sorted(pair for pair in pairs if source_by_definition(pair[2], axis) == index)
    assert set(of_input.source.tolist()) <= {index}
    for reads in (by_window, axis.reads_of_padded(padded)):
        assert reads.source.tolist() == [source_by_definition(p, axis) for p in reads.padded.tolist()]
