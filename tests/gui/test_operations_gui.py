"""The controls choose the operation and its fields; every operation is drawn, switching between them
raises nothing, and a bad combination is explained beside the controls."""

import numpy as np
import pytest

from convviz.core import ConvSpec


def choose(window, operation):
    controls = window.controls
    controls.operation.setCurrentIndex(controls.operation.findData(operation))


def shown(controls, widget) -> bool:
    return controls.form.isRowVisible(widget)


def test_each_operation_shows_only_its_fields_and_draws(window, qtbot):
    controls, session = window.controls, window.session
    controls.stride_h.setValue(2)
    controls.stride_w.setValue(2)
    expectations = {
        "conv_transpose": dict(view=True, output_padding=True, ceil=False, count=False, groups=True),
        "max_pool": dict(view=False, output_padding=False, ceil=True, count=False, groups=False),
        "avg_pool": dict(view=False, output_padding=False, ceil=True, count=True, groups=False),
        "conv": dict(view=False, output_padding=False, ceil=False, count=False, groups=True),
    }
    for operation, fields in expectations.items():
        choose(window, operation)
        assert session.spec.operation == operation, session.error
        assert shown(controls, controls.transposed_view) == fields["view"]
        assert shown(controls, controls.output_padding_row) == fields["output_padding"]
        assert shown(controls, controls.ceil_mode) == fields["ceil"]
        assert shown(controls, controls.count_include_pad) == fields["count"]
        assert shown(controls, controls.groups) == fields["groups"]
        assert not controls.error_label.isVisible()
        for step in (0, session.steps - 1):
            session.set_step(step)
            qtbot.wait(1)
            assert window.view.animation.arithmetic.text().startswith(f"Step {step + 1} of")


def test_pooling_fields_reach_the_spec(window):
    controls, session = window.controls, window.session
    choose(window, "avg_pool")
    controls.padding.setCurrentText("custom")
    for box in controls.pad_sides:
        box.setValue(1)
    controls.ceil_mode.setChecked(True)
    controls.count_include_pad.setChecked(False)
    spec = session.spec
    assert (spec.operation, spec.padding, spec.ceil_mode, spec.count_include_pad) == \
        ("avg_pool", (1, 1, 1, 1), True, False), session.error
    assert "divisor" in window.view.animation.arithmetic.text()


def test_switching_to_pooling_at_stride_1_takes_the_kernel_as_stride_as_pytorch_does(window):
    controls, session = window.controls, window.session
    controls.kernel_h.setValue(3)
    controls.kernel_w.setValue(2)
    assert session.spec.stride == (1, 1)
    choose(window, "max_pool")
    assert session.spec.stride == (3, 2), session.error
    controls.stride_h.setValue(1)  # a stride the user sets while pooling is kept
    choose(window, "avg_pool")
    assert session.spec.stride == (1, 2)
    choose(window, "conv")
    controls.stride_w.setValue(3)
    choose(window, "max_pool")  # a stride other than 1 is the user's: kept
    assert session.spec.stride == (1, 3)


def test_output_padding_refused_in_words_beside_the_controls(window):
    controls, session = window.controls, window.session
    choose(window, "conv_transpose")
    controls.output_padding_h.setValue(1)  # stride 1, dilation 1: PyTorch refuses it
    assert session.spec.output_padding == (0, 0)
    assert controls.error_label.isVisible()
    assert "output padding" in controls.error_label.text()
    controls.stride_h.setValue(2)
    assert session.spec.output_padding == (1, 0) and not controls.error_label.isVisible()


def test_groups_control_makes_a_depthwise_convolution(window):
    controls, session = window.controls, window.session
    controls.channels.setValue(3)
    controls.out_channels.setValue(3)
    controls.groups.setValue(3)
    assert session.spec.groups == 3, session.error
    assert "depthwise" in window.view.kernel.title.text()
    controls.groups.setValue(2)  # 3 channels do not split into 2 groups
    assert session.spec.groups == 3 and "divisible by groups 2" in controls.error_label.text()


@pytest.mark.parametrize("spec", [
    ConvSpec((1, 2, 5, 5), 2, (3, 3), stride=2, padding=1, operation="conv_transpose", output_padding=1),
    ConvSpec((1, 1, 7, 7), None, (2, 2), operation="max_pool", ceil_mode=True),
    ConvSpec((1, 1, 6, 6), None, (3, 3), stride=2, padding=1, operation="avg_pool"),
    ConvSpec((1, 4, 6, 6), 4, (3, 3), padding=1, groups=4),
])
def test_pins_and_hovers_on_every_operation(window, spec):
    session, view = window.session, window.view
    assert session.set_spec(spec), session.error
    for text in ("output:0,0", "input:1,1", "weight:0,1"):
        session.select(text)
        assert view.animation.selection_text.isVisible()
    # the kernel panel's cell (0, 0) is the weight it shows there (flipped for transposed)
    row, col = view._weight_at(0, 0)
    kh, kw = spec.kernel_size
    assert (row, col) == ((kh - 1, kw - 1) if spec.operation == "conv_transpose" else (0, 0))
    assert np.isfinite(session.output).all()


def test_channel_tabs_carry_their_group_colour(window):
    from convviz.gui.theme import NORMAL

    session, view = window.session, window.view
    assert session.set_spec(ConvSpec((1, 4, 5, 5), 6, (3, 3), groups=2)), session.error
    for chooser, groups in ((view.animation.channels, [0, 0, 1, 1]), (view.output.channels, [0, 0, 0, 1, 1, 1])):
        assert chooser.tabs.count() == len(groups)
        for index, group in enumerate(groups):
            pixel = chooser.tabs.tabIcon(index).pixmap(10, 10).toImage().pixelColor(5, 5)
            assert pixel.name().lower() == NORMAL.series(group)[0].lower()
    assert view.output.groups_label.isVisible()
    assert "c=2–3 → k=3–5" in view.output.groups_label.text()
    view.output.channels.tabs.setCurrentIndex(4)  # an output of group 1 shows an input of group 1
    assert session.out_channel == 4 and session.in_channel in (2, 3)
    assert session.set_spec(ConvSpec((1, 4, 5, 5), 4, (3, 3))), session.error
    assert view.output.channels.tabs.tabIcon(0).isNull() and not view.output.groups_label.isVisible()


def test_max_pool_frames_the_winner_and_counts_wins_on_request(window, qtbot):
    session, view = window.session, window.view
    assert session.set_spec(ConvSpec((1, 1, 6, 6), None, (2, 2), stride=2, operation="max_pool")), session.error
    for step in range(session.steps):
        session.set_step(step)
        terms = session.frame().terms
        row, col = terms.winner_cell
        rect = view.animation.winner.rect()
        assert view.animation.winner.isVisible()
        assert (int(rect.top()), int(rect.left())) == (row, col)
        assert session.padded[row, col] == terms.total
    coverage = view.coverage
    assert coverage.wins.isVisibleTo(view) and not coverage.wins.isChecked()
    coverage.wins.setChecked(True)
    assert session.coverage_view == "wins"
    assert coverage.title.text().startswith("Coverage: wins")
    assert int(session.frame().coverage.counts.sum()) == session.steps  # every window has one winner
    session.reseed(5)  # new input, new winners: the panel follows
    assert "wins" in coverage.summary.text()
    assert session.set_spec(ConvSpec((1, 1, 6, 6), 1, (3, 3))), session.error
    assert not coverage.wins.isVisibleTo(view) and coverage.title.text().startswith("Coverage: reads")


def test_pointing_at_the_transposed_grid_maps_to_input_cells_exactly(window):
    session, view = window.session, window.view
    spec = ConvSpec((1, 1, 4, 5), 1, (3, 3), stride=(2, 3), padding=1, operation="conv_transpose")
    assert session.set_spec(spec), session.error
    before = (1 * (3 - 1) - 1, 1 * (3 - 1) - 1)  # d(k−1) − p
    grid = session.frame().input
    for row in range(grid.values.shape[0]):
        for col in range(grid.values.shape[1]):
            (a, da), (b, db) = divmod(row - before[0], 2), divmod(col - before[1], 3)
            real = da == 0 and db == 0 and 0 <= a < 4 and 0 <= b < 5
            assert view._input_cell_at(row, col) == ((a, b) if real else (-1, -1))
            if real:
                assert grid.values[row, col] == session.input[a, b]
    session.select("input:2,3")
    assert view.animation.copies.cell_count == 1
    picked = session.frame().selection
    assert picked.padded_cells == [(before[0] + 2 * 2, before[1] + 3 * 3)]


def test_switching_among_random_specs_of_every_operation_raises_nothing(window, qtbot):
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from tests.helpers.strategies import LOAD_TOLERANT, operation_specs

    session = window.session

    @settings(max_examples=20, deadline=None, suppress_health_check=LOAD_TOLERANT)
    @given(spec=operation_specs(max_size=7, max_channels=4), pick=st.integers(0, 100))
    def switch(spec, pick):
        assert session.set_spec(spec), session.error
        ho, wo = session.plan.output_size
        session.select(f"output:{pick % ho},{pick % wo}")
        session.show_channels(out_channel=pick % spec.out_channels)
        session.set_step(pick % session.steps)
        if spec.operation == "max_pool":
            window.view.coverage.wins.setChecked(bool(pick % 2))
        assert window.view.animation.arithmetic.text().startswith(f"Step {pick % session.steps + 1} of")
        np.testing.assert_allclose(window.view.output._picture.values, session.output)

    switch()
