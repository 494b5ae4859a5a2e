"""The shipped lessons: each loads, plays to its last step, and every number its text states is
the number the plan (or the session's output) gives."""

import numpy as np
import pytest

from convviz.core import ConvSpec, ConvSpecError, plan
from convviz.core.solve import solve_padding
from convviz.session import Session
from convviz.session.patterns import format_value
from convviz.session.scatter import scatter_plan
from convviz.session.scene import lesson_names, lesson_path, load_lesson


def size(shape) -> str:
    return f"{shape[0]}×{shape[1]}"


def out(spec) -> str:
    return size(plan(spec).output_size)


def pads(spec) -> str:
    top, bottom, left, right = plan(spec).pads
    return f"top {top}, bottom {bottom}, left {left}, right {right}"


def coverage(spec, row, col) -> int:
    return int(plan(spec).coverage[row, col])


def either(values) -> str:
    values = [str(value) for value in values]
    return values[0] if len(values) == 1 else f"{', '.join(values[:-1])} or {values[-1]}"


def overlaps(spec) -> str:
    return either(np.unique(scatter_plan(plan(spec)).overlap).tolist())


def interior_overlap(spec) -> str:
    return either(np.unique(scatter_plan(plan(spec)).overlap[1:-1, 1:-1]).tolist())


def last_window_row(spec) -> int:
    rows = plan(spec).rows
    return rows.window_start(rows.output_size - 1) - rows.before


def weight_shape(spec) -> str:
    return "×".join(map(str, spec.weight_shape))


def weight_count(spec) -> int:
    return int(np.prod(spec.weight_shape))


def products_per_output(spec) -> int:
    return spec.in_channels // spec.groups * spec.kernel_size[0] * spec.kernel_size[1]


def corner_output(spec, pattern, preset) -> str:
    return format_value(Session(spec, pattern=pattern, preset=preset).output[0, 0])


# What each lesson's text says, each built from the plan: a lesson whose text is wrong fails.
CLAIMS = {
    "01-valid-padding": lambda s, c: [
        f"{s.spec.input_size[0]} − {s.spec.kernel_size[0]} + 1 = {plan(s.spec).output_size[0]} positions",
        f"the output is {out(s.spec)}",
        f"7×7 becomes {out(s.spec)}, then {out(ConvSpec((1, 1, 5, 5), 1, 3))}, then {out(ConvSpec((1, 1, 3, 3), 1, 3))}",
    ],
    "02-same-padding": lambda s, c: [
        f"padded input is {size(plan(s.spec).padded_shape)} and the output is {out(s.spec)}, like the input",
        f"{plan(s.spec).pads[0]} on each side" if len(set(plan(s.spec).pads)) == 1 else "unequal pads",
        f"valid padding gives {out(c)}",
    ],
    "03-border-information": lambda s, c: [
        f"corner cell is read by {coverage(s.spec, 0, 0)} window, the middle of an edge by "
        f"{coverage(s.spec, 0, 3)}, and a centre cell by {coverage(s.spec, 3, 3)}",
        f"corner is read by {coverage(c, 0, 0)} windows and the middle of an edge by {coverage(c, 0, 3)}",
    ],
    "04-full-padding": lambda s, c: [
        f"becomes {size(plan(s.spec).padded_shape)} with padding",
        f"5 + 3 − 1 = {plan(s.spec).output_size[0]} per axis: {out(s.spec)}",
        f"all {plan(s.spec).coverage_range[0]} weights" if len(set(plan(s.spec).coverage_range)) == 1 else "uneven",
    ],
    "05-stride": lambda s, c: [
        f"stride 1 (beside it) gives {out(c)}",
        f"⌊(7 − 3)/2⌋ + 1 = {plan(s.spec).output_size[0]} per axis: a {out(s.spec)} output",
        "counts from {} to {}".format(*plan(s.spec).coverage_range),
    ],
    "06-tuple-stride": lambda s, c: [
        f"7 − 3 + 1 = {plan(s.spec).output_size[0]} rows",
        f"⌊(7 − 3)/2⌋ + 1 = {plan(s.spec).output_size[1]} columns",
        f"gives a {out(s.spec)} output",
    ],
    "07-stride-past-kernel": lambda s, c: [
        f"the output is {out(s.spec)}",
        "rows {} and {} and columns {} and {} are never read".format(*plan(s.spec).unread_rows,
                                                                      *plan(s.spec).unread_cols),
        f"shows {plan(s.spec).coverage_range[0]} there",
    ],
    "08-padding-for-output-size": lambda s, c: [
        f"For an {out(s.spec)} output",
        f"The pads are {pads(s.spec)}, and the padded input is {size(plan(s.spec).padded_shape)}",
        f"--target {out(s.spec).replace('×', 'x')}",
    ],
    "09-dilation": lambda s, c: [
        f"spans 2·(3 − 1) + 1 = {plan(s.spec).dilated_kernel_size[0]} cells: {size(plan(s.spec).dilated_kernel_size)}",
        f"7 − 5 + 1 = {plan(s.spec).output_size[0]} per axis: {out(s.spec)}, against {out(c)} without dilation",
    ],
    "10-reflect-vs-zeros": lambda s, c: [
        f"top-left output is {corner_output(s.spec, s.pattern, s.preset)} with reflect but "
        f"{corner_output(c, s.pattern, s.preset)} with zeros",
        f"Both outputs are {out(s.spec)}" if out(s.spec) == out(c) else "sizes differ",
    ],
    "11-same-at-stride-2": lambda s, c: [
        f"⌈6/2⌉ = {plan(s.spec).output_size[0]} per axis",
        f"The pads are {pads(s.spec)}.",
        f"pads 1 on every side (beside it). It also gives {out(c)}" if plan(c).pads == (1, 1, 1, 1) else "not 1",
        "both pad 1 on every side and agree" if plan(s.spec.replace(input_shape=[1, 1, 7, 7])).pads == (1, 1, 1, 1)
        and plan(c.replace(input_shape=[1, 1, 7, 7])).pads == (1, 1, 1, 1) else "7×7 differs",
    ],
    "12-transposed-checkerboard": lambda s, c: [
        *(lambda c: [
            f"Kernel {c.kernel_size[0]} at stride {c.stride[0]} without output padding (also {out(c)}) overlaps "
            f"evenly: every cell away from the border is written by {interior_overlap(c)} input cells"
        ])(s.spec.replace(kernel_size=4, output_padding=0)),
        f"each of the {s.spec.input_size[0] * s.spec.input_size[1]} input cells (one step each)",
        f"window moving {s.spec.stride[0]} cells per input cell",
        f"The output is {plan(s.spec).rows.formula()} per axis: {out(s.spec)}, twice the input",
        f"because {s.spec.kernel_size[0]} is not a multiple of {s.spec.stride[0]}: an output cell is written by "
        f"{overlaps(s.spec)} input cells",
        f"The pinned y[3,3] is the sum of {scatter_plan(plan(s.spec)).overlap[3, 3]} of them",
        f"with {s.spec.stride[0] - 1} zero inserted between cells, padded by {plan(s.spec).pads[0]} at the top and "
        f"left and {plan(s.spec).pads[1]} at the bottom and right",
    ],
    "13-max-pooling-ceil-mode": lambda s, c: [
        f"each {size(s.spec.kernel_size)} window",
        "every input cell is read at most once" if plan(s.spec).coverage_range[1] == 1 else "read more than once",
        f"the output is {plan(s.spec).rows.formula()} per axis: {out(s.spec)}",
        "Row {} and column {} are never read".format(*plan(s.spec).unread_rows, *plan(s.spec).unread_cols),
        f"{plan(c).rows.formula()}, so {out(c)}",
        f"The last window starts at row {last_window_row(c)}, inside the input, and hangs "
        f"{'one cell' if plan(c).rows.overhang == 1 else 'more'} past it",
    ],
    "14-depthwise-convolution": lambda s, c: [
        f"With groups equal to the channels ({s.spec.groups})" if s.spec.groups == s.spec.in_channels else "not",
        f"the weights are {weight_shape(s.spec)}, {weight_count(s.spec)} numbers, and each output cell sums {products_per_output(s.spec)} "
        "products",
        f"(beside it, groups {c.groups}) lets every output channel read all {c.in_channels} input channels: "
        f"{weight_shape(c)} = {weight_count(c)} weights and {products_per_output(c)} products per output cell, "
        f"{products_per_output(c) // products_per_output(s.spec)} times as many",
        f"Both outputs are {out(s.spec)}×{s.spec.out_channels}" if plan(s.spec).output_shape == plan(c).output_shape
        else "outputs differ",
        f"sums that one channel's {products_per_output(s.spec)} products",
    ],
}


def test_there_are_at_least_ten_lessons_and_each_has_its_claims_checked():
    assert len(lesson_names()) >= 10
    assert set(lesson_names()) == set(CLAIMS)


@pytest.mark.parametrize("name", lesson_names())
def test_a_lesson_loads_plays_to_its_last_step_and_says_what_the_plan_says(name):
    scene = load_lesson(name)
    assert scene.title and 2 <= len(scene.explanation) <= 5
    assert all(len(paragraph) <= 400 for paragraph in scene.explanation)
    text = " ".join(scene.explanation)
    for claim in CLAIMS[name](scene, scene.compare):
        assert claim in text, f"{name} should say {claim!r}"
    session = scene.session()
    assert session.spec == scene.spec and session.step == scene.step - 1
    session.set_speed(240)
    session.play()
    ticks = 0
    while session.playing:
        session.tick()
        ticks += 1
    assert session.at_end and session.step == session.steps - 1 and ticks == session.steps - scene.step
    frame = session.frame()
    cells = scene.spec.input_size if session.scatter_shown else plan(scene.spec).output_size  # one step per cell
    assert frame.position == tuple(np.subtract(cells, 1))
    assert np.isfinite(session.output).all() and session.output.shape == plan(scene.spec).output_size
    if scene.compare is not None:
        other = Session(scene.compare, pattern=scene.pattern, preset=scene.preset)
        other.last()
        assert other.frame().position == tuple(np.subtract(plan(scene.compare).output_size, 1))


def test_the_checkerboard_lesson_scatters_ones_so_an_even_input_gives_the_overlap():
    scene = load_lesson("transposed-checkerboard")
    session = scene.session()
    assert session.scatter_shown and session.steps == 16 and scene.selection == "output:3,3"
    assert np.all(session.weights == 1)  # "here all ones"
    scatter = scatter_plan(session.plan)
    even = scatter.partial_output(scatter.contributions(np.full((1, 4, 4), 2.0), session.kernels), scatter.steps)
    np.testing.assert_array_equal(even, 2 * scatter.overlap)  # the checkerboard on an even input
    assert len(np.unique(scatter.overlap)) > 1
    assert scene.compare is None


def test_the_depthwise_lesson_feeds_each_output_from_its_own_channel():
    session = load_lesson("depthwise-convolution").session()
    for k in range(3):
        session.show_channels(out_channel=k)
        frame = session.frame()
        assert session.in_channel == k and frame.terms.inputs.shape[0] == 1


def test_the_output_size_lesson_has_the_pads_the_solver_finds():
    scene = load_lesson("padding-for-output-size")
    solved = solve_padding(scene.spec.replace(padding="valid"), plan(scene.spec).output_size)
    assert solved.pads == plan(scene.spec).pads


def test_the_stride_2_lesson_shows_outputs_that_differ():
    scene = load_lesson("same-at-stride-2")
    first = scene.session()
    second = Session(scene.compare, pattern=scene.pattern, preset=scene.preset, seed=scene.seed)
    assert first.output.shape == second.output.shape and not np.allclose(first.output, second.output)


def test_a_lesson_is_found_by_its_name_with_or_without_its_number_and_unknown_names_are_listed(tmp_path):
    assert lesson_path("07-stride-past-kernel") == lesson_path("stride-past-kernel")
    assert lesson_path("07") == lesson_path("7") == lesson_path("stride-past-kernel")
    with pytest.raises(ConvSpecError, match="no lesson called '99'"):
        lesson_path("99")
    with pytest.raises(ConvSpecError, match="no lesson called 'strides'; the lessons are 01-valid-padding"):
        lesson_path("strides")


@pytest.mark.parametrize("name", lesson_names())
def test_a_lesson_file_is_written_as_save_scene_writes_it(name):
    """So a teacher's saved scene and a shipped lesson look alike."""
    assert lesson_path(name).read_text(encoding="utf-8") == load_lesson(name).to_json()
