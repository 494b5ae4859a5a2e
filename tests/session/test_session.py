"""The Qt-free Session: spec changes, errors, the animation's numbers, playback."""

import math

import numpy as np
import pytest
from helpers.blocked_imports import run_without_qt_and_cupy

from convviz.core import ConvSpec, ConvSpecError, plan, reference_conv2d
from convviz.session import DATA, ERROR, PLAYING, SPEC, STEP, Session
from convviz.session.patterns import (
    INPUT_PATTERNS,
    KERNEL_PRESETS,
    format_value,
    input_pattern,
    kernel_preset,
    resample,
)

SPECS = [
    ConvSpec((1, 1, 7, 7), 1, 3, stride=2, padding="same"),
    ConvSpec((1, 1, 9, 8), 1, (3, 2), dilation=2, padding="full"),
    ConvSpec((1, 1, 6, 6), 1, 3, padding=2, padding_mode="reflect"),
    ConvSpec((1, 1, 5, 7), 1, (2, 3), stride=(1, 2), padding=(1, 0, 2, 1), padding_mode="circular"),
    ConvSpec((1, 1, 8, 8), 1, 2, stride=3, padding="valid", padding_mode="replicate"),
]


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.describe())
@pytest.mark.parametrize("seed", [0, 7])
def test_every_step_value_matches_the_reference(spec, seed):
    session = Session(spec, pattern="random integers", preset="random", seed=seed)
    rng = np.random.default_rng(seed)
    session.set_weights(rng.standard_normal(spec.kernel_size))
    x = session.input[None, None]
    w = session.weights[None, None]
    expected = reference_conv2d(x, w, plan(spec.replace(input_shape=[1, 1, *spec.input_size])))[0, 0]
    assert session.output.shape == expected.shape == plan(spec).output_size
    np.testing.assert_allclose(session.output, expected, rtol=1e-10, atol=1e-10)
    for step in range(session.steps):
        terms = session.frame(step).terms
        assert terms.position == plan(spec).step_position(step)
        assert terms.total == pytest.approx(expected[terms.position], rel=1e-10, abs=1e-10)


def test_step_text_shows_every_product_of_a_small_kernel():
    session = Session(ConvSpec((1, 1, 4, 4), 1, 2), pattern="gradient", preset="identity")
    session.set_weights(np.array([[1.0, -2.0], [0.0, 3.0]]))
    session.set_step(5)  # output (1, 2) of a 3×3 output
    text = session.frame().terms.text()
    # x at padded (1,2),(1,3),(2,2),(2,3) of the gradient rows+cols: 3, 4, 4, 5
    assert text == "y[1,2] = 3·1 + 4·(−2) + 4·0 + 5·3 = 10"
    big = Session(ConvSpec((1, 1, 9, 9), 1, 5))
    assert big.frame().terms.text().count("·") == 25  # every tap, however many


def test_spec_change_updates_shape_steps_and_notifies():
    session = Session(ConvSpec((1, 1, 7, 7), 1, 3))
    heard = []
    session.subscribe(heard.append)
    assert session.steps == 25 and session.frame().output.shape_text == "output 5×5 (25 steps)"
    assert session.update_spec(stride=[2, 2], padding="same")
    assert session.steps == 16 and "4×4" in session.frame().output.shape_text
    assert session.frame().output.formulas.splitlines()[0] == "height: ⌊(7 + 1 + 1 − 3)/2⌋ + 1 = 4"
    assert {SPEC, DATA, STEP} <= heard[-1]


def test_invalid_spec_keeps_the_last_valid_state_and_says_why():
    session = Session(ConvSpec((1, 1, 5, 5), 1, 3))
    before = (session.spec, session.output.copy(), session.step)
    heard = []
    session.subscribe(heard.append)
    assert not session.update_spec(kernel_size=[7, 7])
    assert "smaller than the kernel 7×7" in session.error
    assert heard == [{ERROR}]
    assert session.spec == before[0] and np.array_equal(session.output, before[1])
    assert not session.update_spec(padding=9, padding_mode="reflect")
    assert "reflect padding must be smaller than the input" in session.error
    assert not session.set_spec_dict({"input_shape": [1, 1, 2000, 2000]})
    assert "too big to animate" in session.error
    assert session.update_spec(kernel_size=[2, 2])
    assert session.error == ""


def test_playback_advances_and_stops_at_the_end():
    session = Session(ConvSpec((1, 1, 4, 4), 1, 3))  # 4 steps
    heard = []
    session.subscribe(heard.append)
    session.tick()
    assert session.step == 0  # not playing: tick does nothing
    session.play()
    assert session.playing and {PLAYING} in heard
    session.tick()
    session.tick()
    assert session.step == 2 and session.playing
    session.tick()
    assert session.step == 3 and not session.playing
    session.play()  # at the end, play starts over
    assert session.step == 0 and session.playing
    session.pause()
    session.tick()
    assert session.step == 0
    session.last()
    assert session.step == 3
    session.step_forward()
    assert session.step == 3
    session.first()
    session.step_back()
    assert session.step == 0


def test_step_is_clamped_when_the_spec_shrinks():
    session = Session(ConvSpec((1, 1, 9, 9), 1, 3))
    session.last()
    session.update_spec(stride=[3, 3])
    assert session.step == session.steps - 1 == 8


def test_speed_is_checked():
    session = Session()
    session.set_speed(30)
    assert session.interval_ms == 33
    for bad in (0, -1, float("nan")):
        with pytest.raises(ValueError):
            session.set_speed(bad)


def test_two_sessions_are_independent():
    first, second = Session(ConvSpec((1, 1, 7, 7), 1, 3)), Session(ConvSpec((1, 1, 7, 7), 1, 3))
    heard_first, heard_second = [], []
    first.subscribe(heard_first.append)
    second.subscribe(heard_second.append)
    first.update_spec(stride=[2, 2])
    first.step_forward()
    assert second.spec.stride == (1, 1) and second.step == 0 and heard_second == []


def test_unavailable_backend_is_refused_with_its_reason():
    session = Session()
    from convviz.backends import get_backend

    if get_backend("cupy").available():
        pytest.skip("CuPy is available here")
    assert not session.set_backend("cupy")
    assert "cupy cannot compute here" in session.error
    assert session.backend == "numpy"


@pytest.mark.parametrize("name", KERNEL_PRESETS)
@pytest.mark.parametrize("size", [(1, 1), (3, 3), (2, 5), (7, 7)])
def test_presets_fit_every_kernel_size(name, size):
    weights = kernel_preset(name, size)
    assert weights.shape == size and np.isfinite(weights).all()


def test_preset_values():
    assert np.array_equal(kernel_preset("sobel x", (3, 3)), [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    assert np.array_equal(kernel_preset("laplacian", (3, 3)), [[1, 1, 1], [1, -8, 1], [1, 1, 1]])
    assert kernel_preset("gaussian", (5, 5)).sum() == pytest.approx(1.0)
    assert np.array_equal(kernel_preset("sobel y", (9, 1))[:, 0], [-1, -.75, -.5, -.25, 0, .25, .5, .75, 1])
    assert kernel_preset("sobel x", (9, 3))[4, 2] == 70  # Pascal's row as is while readable


def test_a_large_sobel_keeps_its_shape_with_readable_numbers():
    weights = kernel_preset("sobel x", (61, 61))
    assert np.abs(weights).max() == 1.0  # Pascal's 61st row peaks at 1.2e17
    assert np.allclose(weights[:, -1] / weights[30, -1], [math.comb(60, i) / math.comb(60, 30) for i in range(61)])
    assert np.allclose(weights, -weights[:, ::-1])


@pytest.mark.parametrize("name", INPUT_PATTERNS)
def test_patterns_fit_every_input_size(name):
    for size in [(1, 1), (7, 9), (64, 64), (200, 3)]:
        values = input_pattern(name, size)
        assert values.shape == size and np.isfinite(values).all()


def test_resample_averages_each_target_cells_source_bin():
    """Brute force: target cell (i, j) is the rounded mean of source rows [i·S//T, (i+1)·S//T)
    and the same columns (one cell at least), for random sizes shrinking, growing and mixed."""
    rng = np.random.default_rng(8)
    for _ in range(60):
        source = rng.integers(0, 256, size=tuple(rng.integers(1, 40, size=2))).astype(float)
        target = tuple(int(side) for side in rng.integers(1, 60, size=2))
        expected = np.empty(target)
        for i in range(target[0]):
            top = i * source.shape[0] // target[0]
            bottom = max((i + 1) * source.shape[0] // target[0], top + 1)
            for j in range(target[1]):
                left = j * source.shape[1] // target[1]
                right = max((j + 1) * source.shape[1] // target[1], left + 1)
                expected[i, j] = np.round(source[top:bottom, left:right].mean())
        assert np.array_equal(resample(source, target), expected), (source.shape, target)


def test_resample_keeps_the_mean_of_a_constant_and_shrinks_by_area():
    image = np.arange(16, dtype=float).reshape(4, 4)
    assert np.array_equal(resample(image, (2, 2)), [[2, 4], [10, 12]])  # rounded block means
    assert np.array_equal(resample(np.full((5, 3), 7.0), (11, 2)), np.full((11, 2), 7.0))


def test_format_value():
    assert [format_value(v) for v in (3, -1.5, 0.111, 12.345, 255, -0.0, 123456)] == \
        ["3", "−1.5", "0.11", "12.3", "255", "0", "1e+05"]


def test_session_and_patterns_import_without_qt_or_cupy():
    run_without_qt_and_cupy(
        """
        import convviz.core, convviz.session, convviz.session.patterns
        from convviz.session import Session
        session = Session()
        session.update_spec(stride=[2, 2], padding="same")
        session.play(); session.tick()
        assert session.step == 1
        """
    )


def test_selecting_an_input_cell():
    session = Session(ConvSpec((1, 1, 8, 8), 1, 2, stride=3))
    heard = []
    session.subscribe(heard.append)
    session.select_input((2, 0))
    assert session.selected_input == (2, 0) and heard[-1] == {"selection"}
    assert session.frame().selection.text == "input (2, 0) is read by no window"
    session.select_input((0, 0))
    assert session.frame().selection.text == "input (0, 0) is read once by 1 output"
    session.select_input((0, 0))  # again: cleared
    assert session.selected_input is None and session.frame().selection is None
    with pytest.raises(ConvSpecError, match="outside the 8×8 input"):
        session.select_input((8, 0))
