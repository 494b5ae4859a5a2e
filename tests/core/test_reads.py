"""The plan's inverse queries against brute force: every (i, j, r, s), its padded cell and source."""

import time
from collections import Counter

import numpy as np
import pytest
from helpers.brute_force import all_reads, rows_of
from helpers.strategies import LOAD_TOLERANT, conv_specs
from hypothesis import given, settings
from hypothesis import strategies as st

from convviz.core import ConvSpec, plan
from convviz.core.reads import Reads

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=LOAD_TOLERANT)


def counted(cells):
    return dict(Counter(cell for cell in cells if cell != (-1, -1)))


@SETTINGS
@given(spec=conv_specs(), data=st.data())
def test_every_query_returns_exactly_the_brute_force_rows(spec, data):
    conv_plan = plan(spec)
    everything = all_reads(conv_plan)
    (ho, wo), (hp, wp), (kh, kw) = conv_plan.output_size, conv_plan.padded_shape, spec.kernel_size
    height, width = spec.input_size
    output = (data.draw(st.integers(0, ho - 1)), data.draw(st.integers(0, wo - 1)))
    weight = (data.draw(st.integers(0, kh - 1)), data.draw(st.integers(0, kw - 1)))
    padded = (data.draw(st.integers(0, hp - 1)), data.draw(st.integers(0, wp - 1)))
    cell = (data.draw(st.integers(0, height - 1)), data.draw(st.integers(0, width - 1)))

    of_output = conv_plan.reads_of_output(*output)
    assert rows_of(of_output) == [read for read in everything if read[0] == output]  # weight row-major

    of_input = conv_plan.reads_of_input(*cell)
    expected = [read for read in everything if read[3] == cell]
    assert sorted(rows_of(of_input)) == sorted(expected)
    assert of_input.counts("output") == counted(read[0] for read in expected)
    assert sum(of_input.counts("output").values()) == conv_plan.coverage[cell]

    of_weight = conv_plan.reads_of_weight(*weight)
    expected = [read for read in everything if read[1] == weight]
    assert sorted(rows_of(of_weight)) == sorted(expected)
    assert [tuple(c) for c in of_weight.cells("input").tolist()] == sorted(set(counted(r[3] for r in expected)))
    assert of_weight.counts("input") == counted(read[3] for read in expected)

    of_padded = conv_plan.reads_of_padded(*padded)
    expected = [read for read in everything if read[2] == padded]
    assert sorted(rows_of(of_padded)) == sorted(expected)
    source = conv_plan.source_of(*padded)
    assert {read[3] for read in rows_of(of_padded)} <= {(-1, -1) if source is None else source}


@SETTINGS
@given(spec=conv_specs(), data=st.data())
def test_copies_of_an_input_cell_are_every_padded_cell_holding_it(spec, data):
    conv_plan = plan(spec)
    height, width = spec.input_size
    cell = (data.draw(st.integers(0, height - 1)), data.draw(st.integers(0, width - 1)))
    hp, wp = conv_plan.padded_shape
    holding = [(r, c) for r in range(hp) for c in range(wp) if conv_plan.source_of(r, c) == cell]
    assert [tuple(c) for c in conv_plan.copies_of(*cell).tolist()] == holding


def test_reads_of_output_on_a_worked_example():
    conv_plan = plan(ConvSpec((1, 1, 4, 4), 1, 2, stride=2, padding=1, padding_mode="reflect"))
    reads = conv_plan.reads_of_output(0, 1)
    assert reads.weight.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert reads.padded.tolist() == [[0, 2], [0, 3], [1, 2], [1, 3]]
    # padded row 0 reflects input row 1; padded row 1 is input row 0
    assert reads.input.tolist() == [[1, 1], [1, 2], [0, 1], [0, 2]]
    assert not reads.zero_padding.any()
    zeros = plan(ConvSpec((1, 1, 4, 4), 1, 2, stride=2, padding=1))
    assert zeros.reads_of_output(0, 1).input.tolist() == [[-1, -1], [-1, -1], [0, 1], [0, 2]]
    assert zeros.reads_of_output(0, 1).zero_padding.tolist() == [True, True, False, False]


def test_reflect_input_cell_is_read_through_its_copies():
    conv_plan = plan(ConvSpec((1, 1, 4, 4), 1, 3, padding=1, padding_mode="reflect"))
    reads = conv_plan.reads_of_input(1, 1)
    # output (0, 0) reads input (1, 1) four times: directly and through three reflected copies
    assert reads.counts("output")[(0, 0)] == 4
    assert len(reads) == conv_plan.coverage[1, 1]


def test_cells_and_counts_are_sorted_row_major_and_skip_zero_padding():
    column = np.array([[2, 0], [0, 5], [2, 0], [-1, -1], [0, 1]])
    reads = Reads(column, column.copy(), column.copy(), column.copy())
    assert len(reads) == 5 and repr(reads) == "Reads(5 multiplications)"
    assert reads.cells("input").tolist() == [[0, 1], [0, 5], [2, 0]]
    assert reads.cells("output").tolist() == [[-1, -1], [0, 1], [0, 5], [2, 0]]
    assert reads.counts("input") == {(0, 1): 1, (0, 5): 1, (2, 0): 2}
    with pytest.raises(ValueError, match="no column 'outputs'"):
        reads.cells("outputs")
    with pytest.raises(ValueError):
        reads.output[0, 0] = 9
    empty = plan(ConvSpec((1, 1, 3, 3), 1, 1, stride=2, padding=1)).reads_of_padded(1, 1)
    assert len(empty) == 0 and empty.cells("input").shape == (0, 2) and empty.counts("output") == {}


@pytest.mark.parametrize(
    "query, arguments, message",
    [
        ("reads_of_output", (4, 0), r"output cell \(4, 0\) is outside 4×4"),
        ("reads_of_input", (0, -1), r"input cell \(0, -1\) is outside 7×7"),
        ("reads_of_weight", (0, 3), r"weight tap \(0, 3\) is outside 3×3"),
        ("reads_of_padded", (9, 0), r"padded cell \(9, 0\) is outside 9×9"),
        ("source_of", (0, 9), r"padded cell \(0, 9\) is outside 9×9"),
        ("copies_of", (7, 0), r"input cell \(7, 0\) is outside 7×7"),
    ],
)
def test_bad_coordinates_raise_index_error(query, arguments, message):
    conv_plan = plan(ConvSpec((1, 1, 7, 7), 1, 3, stride=2, padding="same"))
    with pytest.raises(IndexError, match=message):
        getattr(conv_plan, query)(*arguments)


def test_queries_on_a_1024_input_stay_quick():
    conv_plan = plan(ConvSpec((1, 1, 1024, 1024), 1, 3, padding="same", padding_mode="reflect"))
    began = time.perf_counter()
    every = conv_plan.reads_of_weight(1, 1)
    assert len(every) == 1024 * 1024
    assert len(every.cells("input")) == 1024 * 1024
    assert len(conv_plan.reads_of_input(0, 0).counts("output")) == 4
    assert len(conv_plan.reads_of_output(1023, 1023)) == 9
    assert len(conv_plan.reads_of_padded(1, 1025)) == 2
    # a guard against quadratic work (minutes at 1024²), not a speed test: loaded CI machines are slow
    assert time.perf_counter() - began < 30.0
