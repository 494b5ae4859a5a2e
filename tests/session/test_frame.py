"""The frame model: what each panel shows at a step and selection, built from the plan, without Qt."""

import numpy as np
import pytest

from convviz.core import ConvSpec, plan, reference_conv2d
from convviz.session import SELECTION, STEP, Session
from convviz.session.frame import coverage_grid, ranges_text

SPECS = [
    ConvSpec((1, 1, 7, 7), 1, 3, stride=2, padding="same"),
    ConvSpec((1, 1, 9, 8), 1, (3, 2), dilation=2, padding="full", padding_mode="replicate"),
    ConvSpec((1, 1, 5, 7), 1, (2, 3), stride=(1, 2), padding=(1, 0, 2, 1), padding_mode="circular"),
    ConvSpec((1, 1, 8, 8), 1, 2, stride=3, padding_mode="reflect"),
]


def brute_force_window(spec, i, j):
    """Padded rows and columns of output (i, j)'s taps, from the definition."""
    (kh, kw), (sh, sw), (dh, dw) = spec.kernel_size, spec.stride, spec.dilation
    return [i * sh + r * dh for r in range(kh)], [j * sw + s * dw for s in range(kw)]


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.describe())
def test_every_frame_shows_its_window_and_the_reference_value(spec):
    session = Session(spec, pattern="random integers", preset="random", seed=3)
    expected = reference_conv2d(session.input[None, None], session.weights[None, None],
                                plan(spec.replace(input_shape=[1, 1, *spec.input_size])))[0, 0]
    ho, wo = plan(spec).output_size
    seen = set()
    for step in range(session.steps):
        frame = session.frame(step)
        i, j = frame.position
        seen.add((i, j))
        rows, cols = brute_force_window(spec, i, j)
        assert frame.window == (rows[0], cols[0], rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1)
        assert list(frame.terms.rows) == rows and list(frame.terms.cols) == cols
        assert frame.terms.total == pytest.approx(expected[i, j], abs=1e-9)
        assert frame.output.cell_steps[i, j] == step and tuple(frame.output.step_cells[step]) == (i, j)
        assert frame.arithmetic.startswith(f"Step {step + 1} of {ho * wo}:  y[{i},{j}] = ")
        assert frame.step_label == f"step {step + 1} / {ho * wo}"
    assert seen == {(i, j) for i in range(ho) for j in range(wo)}
    assert session.step == 0  # framing other steps does not move the session


def test_the_input_grid_says_what_each_padding_cell_holds():
    spec = ConvSpec((1, 1, 4, 5), 1, 3, padding=(2, 1, 1, 2), padding_mode="reflect")
    session = Session(spec, pattern="gradient")
    grid = session.frame().input
    image = session.input
    expected = np.pad(image, ((2, 1), (1, 2)), mode="reflect")
    np.testing.assert_array_equal(grid.values, expected)
    assert grid.padding.sum() == expected.size - image.size and not grid.padding[2:6, 1:6].any()
    labels = grid.copy_labels()
    for row in range(expected.shape[0]):
        for col in range(expected.shape[1]):
            if grid.padding[row, col]:
                source = (int(grid.source_rows[row]), int(grid.source_cols[col]))
                assert labels[row][col] == f"↤{source[0]},{source[1]}"
                assert grid.values[row, col] == image[source]
            else:
                assert labels[row][col] is None
    assert grid.input_rect == (2, 1, 4, 5)
    assert grid.row_labels == ["", "", "0", "1", "2", "3", ""] and grid.col_labels[1] == "0"
    assert grid.title == "Input 4×5, padded to 7×8  ·  padding top 2, bottom 1, left 1, right 2"
    zeros = Session(spec.replace(padding_mode="zeros")).frame().input
    assert zeros.copy_labels() is None and zeros.values[0, 0] == 0


def test_the_coverage_grid_and_its_summary_name_the_unread_rows_and_columns():
    frame = Session(ConvSpec((1, 1, 10, 9), 1, 2, stride=(4, 3))).frame()  # windows at rows 0, 4, 8; cols 0, 3, 6
    coverage = frame.coverage
    assert coverage.unread[2].all() and coverage.unread[:, 5].all() and not coverage.unread[0, 0]
    assert coverage.summary == "reads per input cell: min 0, max 1 · never read: rows 2–3, 6–7, columns 2, 5, 8"
    assert frame.input.unread_rows == (2, 3, 6, 7) and frame.input.unread_cols == (2, 5, 8)
    assert coverage.most == 1 and coverage.cell_texts()[0][:3] == ["1", "1", "0"]
    same = Session(ConvSpec((1, 1, 6, 6), 1, 3, padding="same")).frame().coverage
    assert same.summary.endswith("every input cell is read") and same.most == 9


def test_a_picked_input_cell_lists_its_copies_and_its_readers_by_brute_force():
    spec = ConvSpec((1, 1, 6, 5), 1, 3, stride=2, padding="same", padding_mode="reflect")
    session = Session(spec)
    heard = []
    session.subscribe(heard.append)
    session.select_input((1, 1))  # the left padding column copies input column 1
    assert heard == [{SELECTION}]
    picked = session.frame().selection
    conv_plan = plan(spec)
    copies = {(int(r), int(c)) for r in np.flatnonzero(conv_plan.row_source == 1)
              for c in np.flatnonzero(conv_plan.col_source == 1)}
    assert set(picked.padded_cells) == copies and len(copies) == 2
    readers, reads = set(), 0
    ho, wo = conv_plan.output_size
    for i in range(ho):
        for j in range(wo):
            rows, cols = brute_force_window(spec, i, j)
            hits = sum((r, c) in copies for r in rows for c in cols)
            if hits:
                readers.add((i, j))
                reads += hits
    assert set(picked.readers) == readers
    assert picked.text == f"input (1, 1) is read {reads} times by {len(readers)} outputs (itself and 1 padding copy)"
    session.set_step(3)
    assert session.frame().selection is picked  # a step keeps the selection's frame parts


def test_clicking_an_output_goes_to_its_step():
    session = Session(ConvSpec((1, 1, 9, 7), 1, (3, 2), stride=(2, 3), padding="same"))
    heard = []
    session.subscribe(heard.append)
    session.go_to_output(2, 1)
    assert session.frame().position == (2, 1) and heard == [{STEP}]
    with pytest.raises(IndexError):
        session.go_to_output(*session.plan.output_size)


def test_frames_after_a_spec_change_describe_the_new_spec():
    session = Session(ConvSpec((1, 1, 7, 7), 1, 3))
    before = session.frame()
    assert session.update_spec(stride=[2, 2], padding="same")
    after = session.frame()
    assert before.output.title == "Output 5×5  ·  25 steps" and after.output.title == "Output 4×4  ·  16 steps"
    assert after.input is not before.input and after.input.values.shape == (9, 9)
    assert session.frame().input is after.input  # built once per spec and data


def test_ranges_text():
    assert ranges_text([5, 0, 1, 2]) == "0–2, 5" and ranges_text([3]) == "3"
    assert ranges_text([5, 0, 1, 2], most=6) == "0–2, 5"
    every_other = list(range(1, 300, 2))
    assert ranges_text(every_other, most=6) == "1, 3, 5, 7, …, 299 (150 in all)"


def test_many_unread_rows_are_summarised_not_listed():
    spec = ConvSpec((1, 1, 300, 300), 1, 3, stride=2, dilation=2)
    conv_plan = plan(spec)
    assert len(conv_plan.unread_rows) > 100
    summary = coverage_grid(conv_plan).summary
    assert f"({len(conv_plan.unread_rows)} in all)" in summary and len(summary) < 300
