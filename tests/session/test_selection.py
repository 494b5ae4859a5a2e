"""Selections: their text form, their bounds, the session's pin and hover, and the frame's
counts in every direction against the plan's inverse queries and a brute-force enumeration."""

from collections import Counter

import numpy as np
import pytest
from helpers.brute_force import all_reads
from helpers.strategies import conv_specs
from hypothesis import given, settings
from hypothesis import strategies as st

from convviz.core import ConvSpec, ConvSpecError, plan
from convviz.session import SELECTION, SelectionTarget, Session, format_selection, parse_selection
from convviz.session.frame import selection


@pytest.mark.parametrize("text, target", [
    ("output:2,3", SelectionTarget("output", 2, 3)),
    ("input:0,10", SelectionTarget("input", 0, 10)),
    (" Weight : 1 , 2 ", SelectionTarget("weight", 1, 2)),
    ("input:4x5", SelectionTarget("input", 4, 5)),
])
def test_parse_and_format_round_trip(text, target):
    assert parse_selection(text) == target
    assert parse_selection(format_selection(target)) == target
    assert str(target) == format_selection(target)


@given(st.sampled_from(["output", "input", "weight"]), st.integers(0, 10**6), st.integers(0, 10**6))
def test_every_target_round_trips(kind, row, col):
    target = SelectionTarget(kind, row, col)
    assert parse_selection(format_selection(target)) == target


@pytest.mark.parametrize("text, words", [
    ("output", "written output:I,J, input:R,C or weight:R,C"),
    ("bias:1,1", "'bias' is not one of output, input, weight"),
    ("input:1", "written output:I,J"),
    ("input:-1,2", "counts from 0"),
    ("", "written output:I,J"),
])
def test_bad_text_is_refused_in_words(text, words):
    with pytest.raises(ConvSpecError, match=words):
        parse_selection(text)


def test_a_cell_outside_the_grid_names_the_cells_that_exist():
    conv_plan = plan(ConvSpec((1, 1, 7, 5), 1, 3, stride=2))  # output 3×2
    with pytest.raises(ConvSpecError, match=r"output cell 3,0 is outside the 3×2 output: rows go 0–2, columns 0–1"):
        SelectionTarget("output", 3, 0).check(conv_plan)
    with pytest.raises(ConvSpecError, match=r"input cell 0,5 is outside the 7×5 input"):
        SelectionTarget("input", 0, 5).check(conv_plan)
    with pytest.raises(ConvSpecError, match=r"weight cell 3,3 is outside the 3×3 kernel"):
        SelectionTarget("weight", 3, 3).check(conv_plan)
    assert SelectionTarget("weight", 2, 2).check(conv_plan).fits(conv_plan)


def test_session_pins_hovers_and_clears():
    session = Session(ConvSpec((1, 1, 7, 7), 1, 3))
    heard = []
    session.subscribe(heard.append)
    assert session.selection_target is None and session.frame().selection is None
    session.select("output:1,2")
    assert session.selection_target == SelectionTarget("output", 1, 2) and heard == [{SELECTION}]
    assert session.frame().selection.pinned and session.frame().selection.kind == "output"
    session.hover(SelectionTarget("weight", 0, 0))
    shown = session.frame().selection
    assert shown.kind == "weight" and not shown.pinned
    session.hover("input:99,99")  # past the grid: no hover
    assert session.hover_target is None and session.frame().selection.target == session.selection_target
    with pytest.raises(ConvSpecError, match="outside the 5×5 output"):
        session.select("output:5,0")
    assert session.selection_target == SelectionTarget("output", 1, 2)
    session.toggle_selection("output:1,2")  # a second click on the pinned cell unpins it
    assert session.selection_target is None
    session.select("input:6,6")
    session.clear_selection()
    assert session.selection_target is None and session.frame().selection is None


def test_a_spec_change_keeps_a_pin_that_still_fits():
    session = Session(ConvSpec((1, 1, 7, 7), 1, 3))
    session.select("input:6,6")
    session.update_spec(stride=[2, 2])
    assert session.selection_target == SelectionTarget("input", 6, 6)
    session.update_spec(input_shape=[1, 1, 5, 5])
    assert session.selection_target is None


def test_go_to_step_counts_as_the_window_shows():
    session = Session(ConvSpec((1, 1, 7, 7), 1, 3))
    session.go_to_step(1)
    assert session.step == 0 and session.frame().step_label == "step 1 / 25"
    session.go_to_step(25)
    assert session.frame().position == (4, 4)
    for bad in (0, 26, -3):
        with pytest.raises(ConvSpecError, match=r"steps 1–25 \(one per output cell, 5×5\)"):
            session.go_to_step(bad)


def _brute_counts(conv_plan, kind, cell):
    """Counter of output, weight, padded and input cells over every multiplication naming `cell`."""
    column = {"output": 0, "weight": 1, "input": 3}[kind]
    found = [read for read in all_reads(conv_plan) if read[column] == cell]
    return [Counter(read[index] for read in found if read[index] != (-1, -1)) for index in range(4)]


def _frame_counts(picked, column):
    counts = picked.counts(column)
    return Counter({(int(r), int(c)): int(counts[r, c]) for r, c in zip(*np.nonzero(counts))})


@settings(max_examples=60, deadline=None)
@given(conv_specs(max_size=8), st.sampled_from(["output", "input", "weight"]), st.data())
def test_every_direction_counts_as_the_inverse_queries_and_the_definition(spec, kind, data):
    conv_plan = plan(spec)
    target_shape = {"output": conv_plan.output_size, "input": spec.input_size, "weight": spec.kernel_size}[kind]
    if 0 in target_shape:
        return
    row = data.draw(st.integers(0, target_shape[0] - 1))
    col = data.draw(st.integers(0, target_shape[1] - 1))
    picked = selection(conv_plan, SelectionTarget(kind, row, col))
    query = {"output": conv_plan.reads_of_output, "input": conv_plan.reads_of_input,
             "weight": conv_plan.reads_of_weight}[kind](row, col)
    brute = _brute_counts(conv_plan, kind, (row, col))
    assert picked.multiplications == len(query) == sum(brute[0].values())
    for index, column in enumerate(("output", "weight", "padded", "input")):
        expected = Counter(query.counts(column))
        assert _frame_counts(picked, column) == expected == brute[index], column
        assert {tuple(cell) for cell in picked.cells(column).tolist()} == set(expected)
    if kind == "input":
        assert sorted(map(tuple, picked.copy_cells.tolist())) == sorted(map(tuple, conv_plan.copies_of(row, col).tolist()))
