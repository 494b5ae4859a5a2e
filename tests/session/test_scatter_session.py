"""A session drawing a transposed convolution as a scatter: one step per input cell, the output
accumulating to the session's own output, output cells completed where the plan says, selections
and scenes."""

import numpy as np
import pytest

from convviz.core import ConvSpec, ConvSpecError, plan, reference_conv2d
from convviz.session import Session
from convviz.session.frame import Frame
from convviz.session.patterns import format_value
from convviz.session.scatter import scatter_plan
from convviz.session.scatter_frame import ScatterFrame
from convviz.session.scene import Scene

GROUPED = ConvSpec((1, 4, 3, 4), 6, 3, stride=2, padding=1, output_padding=1, groups=2, operation="conv_transpose")


def scatter_session(spec=GROUPED, **kwargs) -> Session:
    session = Session(spec, pattern="random integers", seed=3, **kwargs)
    session.set_transposed_view("scatter")
    return session


def test_the_scatter_has_one_step_per_input_cell_and_ends_at_the_sessions_output():
    session = scatter_session()
    assert session.steps == 12 and isinstance(session.frame(), ScatterFrame)
    for k in (0, 4):
        session.show_channels(out_channel=k)
        session.set_bias(0.5)
        session.last()
        frame = session.frame()
        assert frame.cell == (2, 3) and frame.step_label == "step 12 / 12"
        np.testing.assert_allclose(frame.partial, session.output, rtol=0, atol=1e-9)
        # and the output is the reference of the whole spec for that channel (+ its bias)
        x = np.stack(session.inputs)[None]
        per_in, per_out = 2, 3
        group = k // per_out
        w = np.zeros(GROUPED.weight_shape)
        w[group * per_in:(group + 1) * per_in, k % per_out] = session.kernels[group * per_in:(group + 1) * per_in]
        expected = reference_conv2d(x, w, plan(GROUPED))[0, k] + 0.5
        np.testing.assert_allclose(frame.partial, expected, rtol=0, atol=1e-9)
        assert "bias 0.5 on every output cell" in frame.arithmetic


def test_an_output_cell_is_complete_at_the_step_of_its_last_writer_and_not_before():
    session = scatter_session()
    scatter = scatter_plan(session.plan)
    final = session.frame(session.steps - 1).partial
    for i, j in [(0, 0), (2, 3), (4, 5)]:
        session.go_to_output(i, j)
        frame = session.frame()
        assert frame.written[i, j] == scatter.overlap[i, j]
        assert frame.partial[i, j] == pytest.approx(final[i, j], abs=1e-9)
        if session.step:
            assert session.frame(session.step - 1).written[i, j] == scatter.overlap[i, j] - 1


def test_switching_views_changes_the_steps_and_keeps_the_step_inside():
    session = Session(GROUPED)
    session.last()
    assert session.steps == plan(GROUPED).steps == 48 and isinstance(session.frame(), Frame)
    heard = []
    session.subscribe(heard.append)
    session.set_transposed_view("scatter")
    assert session.step == 11 and {"spec", "step", "transposed_view"} <= heard[-1]
    with pytest.raises(ConvSpecError, match=r"steps 1–12 \(one per input cell, 3×4\)"):
        session.go_to_step(13)
    session.set_transposed_view("direct")
    assert session.steps == 48 and isinstance(session.frame(), Frame)


def test_a_convolution_ignores_the_scatter_view():
    session = Session(ConvSpec((1, 1, 5, 5), 1, 3))
    session.set_transposed_view("scatter")
    assert session.steps == 9 and isinstance(session.frame(), Frame)
    assert session.set_spec(GROUPED)
    assert session.steps == 12 and isinstance(session.frame(), ScatterFrame)


def test_selections_name_writers_targets_and_a_weights_products():
    session = scatter_session(ConvSpec((1, 1, 3, 3), 1, 3, stride=2, padding=1, operation="conv_transpose"))
    scatter = scatter_plan(session.plan)
    session.select("output:1,1")
    frame = session.frame()
    writers = scatter.writers_of_output(1, 1)
    x = session.input
    assert frame.selection_text == (
        "y[1,1] is written by 4 input cells: x[0,0]·w[2,2] + x[0,1]·w[2,0] + x[1,0]·w[0,2] + x[1,1]·w[0,0] = "
        + format_value(x[0, 0] * session.weights[2, 2] + x[0, 1] * session.weights[2, 0]
                       + x[1, 0] * session.weights[0, 2] + x[1, 1] * session.weights[0, 0]))
    selected = np.outer(*frame.selected_inputs)
    assert sorted(zip(*np.nonzero(selected))) == sorted(map(tuple, writers.cells("input").tolist()))
    taps = np.outer(*frame.selected_weights)
    assert sorted(zip(*np.nonzero(taps))) == sorted(map(tuple, writers.cells("weight").tolist())) == \
        [(0, 0), (0, 2), (2, 0), (2, 2)]
    session.select("input:0,0")
    frame = session.frame()
    assert frame.selection_text == "x[0,0] writes 4 output cells: rows 0–1, columns 0–1"
    assert np.outer(*frame.selected_outputs).sum() == 4
    session.select("weight:0,0")  # lands one row and column up-left: the first input row and column are cropped
    frame = session.frame()
    assert frame.selection_text.startswith("w[0,0] multiplies 4 input cells")
    assert np.outer(*frame.selected_outputs).sum() == np.outer(*frame.selected_inputs).sum() == 4
    assert (np.outer(*frame.selected_weights) > 0).tolist() == [[True, False, False], [False] * 3, [False] * 3]
    made = {(i, j) for i, j in zip(*np.nonzero(np.outer(*frame.selected_outputs)))}
    expected = {tuple(cell) for a, b in zip(*np.nonzero(np.outer(*frame.selected_inputs)))
                for cell, tap in zip(scatter.targets(a, b).output.tolist(), scatter.targets(a, b).weight.tolist())
                if tuple(tap) == (0, 0)}
    assert made == expected


def test_a_scene_keeps_the_scatter_view_and_says_so_in_version_2():
    session = scatter_session()
    session.set_step(7)
    scene = Scene.of_session(session, title="t", explanation=["a", "b"])
    values = scene.to_dict()
    assert values["version"] == 2 and values["transposed_view"] == "scatter" and values["step"] == 8
    again = Scene.from_dict(values).session()
    assert again.scatter_shown and again.step == 7
    assert Scene.of_session(Session(GROUPED)).to_dict()["version"] == 1
    with pytest.raises(ConvSpecError, match="transposed_view needs scene version 2"):
        Scene.from_dict({**values, "version": 1})
    with pytest.raises(ConvSpecError, match="transposed_view 'sideways' is not one of direct, scatter"):
        Scene.from_dict({**values, "transposed_view": "sideways"})
    with pytest.raises(ConvSpecError, match=r"steps 1–12, one per input cell"):
        Scene.from_dict({**values, "step": 13})
    with pytest.raises(ConvSpecError, match="draws a transposed convolution; the spec is conv"):
        Scene.from_dict({**values, "spec": {"input_shape": [1, 1, 5, 5]}, "step": 1})


def test_an_output_cell_no_input_writes_says_why():
    spec = ConvSpec((1, 1, 3, 3), 1, 3, stride=2, padding=1, dilation=2, output_padding=1, operation="conv_transpose")
    session = scatter_session(spec)
    session.select("output:2,2")  # o = 2a − 1 + 2r is odd: even outputs are stepped over
    assert session.frame().selection_text == ("y[2,2]: no input cell writes it (the stride and dilation step "
                                              "over it); it stays 0")
    spec = ConvSpec((1, 1, 2, 2), 1, 2, stride=3, output_padding=2, operation="conv_transpose")
    session = scatter_session(spec)
    session.set_bias(1.5)
    assert session.plan.output_size == (7, 7)
    session.select("output:6,1")
    assert session.frame().selection_text == ("y[6,1]: no input cell writes it (its row is output padding, "
                                              "past every window); it stays the bias, 1.5")

