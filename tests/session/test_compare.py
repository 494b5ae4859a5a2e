"""Compare mode without Qt: the coverage difference by definition, playback kept in step."""

from collections import Counter

import numpy as np
from helpers.brute_force import all_reads
from helpers.strategies import conv_specs
from hypothesis import given, settings

from convviz.core import ConvSpec, plan, reference_conv2d
from convviz.session import PLAYING, Session
from convviz.session.compare import Comparison, coverage_difference


def reads_per_input_cell(conv_plan) -> Counter:
    """Multiplications reading each input cell, counted one by one (zero padding reads none)."""
    return Counter(source for _, _, _, source in all_reads(conv_plan) if source != (-1, -1))


@settings(max_examples=60, deadline=None)
@given(conv_specs(max_size=8, max_channels=1), conv_specs(max_size=8, max_channels=1))
def test_the_difference_is_b_minus_a_reads_on_the_shared_cells_and_nan_elsewhere(spec_a, spec_b):
    a, b = plan(spec_a).single_channel, plan(spec_b).single_channel
    difference = coverage_difference(a, b)
    reads_a, reads_b = reads_per_input_cell(a), reads_per_input_cell(b)
    (ha, wa), (hb, wb) = spec_a.input_size, spec_b.input_size
    assert difference.values.shape == (max(ha, hb), max(wa, wb))
    assert difference.shared == (min(ha, hb), min(wa, wb))
    for row in range(difference.values.shape[0]):
        for col in range(difference.values.shape[1]):
            value = difference.values[row, col]
            if row < min(ha, hb) and col < min(wa, wb):
                assert value == reads_b[(row, col)] - reads_a[(row, col)]
            else:
                assert np.isnan(value)
    if difference.same_shape:
        assert "differ" not in difference.summary
    else:
        assert f"{ha}×{wa} vs {hb}×{wb}" in difference.summary and "top-left" in difference.summary


def test_valid_against_same_reads_the_border_more_under_same():
    valid = plan(ConvSpec((1, 1, 7, 7), 1, 3))
    same = plan(ConvSpec((1, 1, 7, 7), 1, 3, padding="same"))
    difference = coverage_difference(valid, same)
    # valid reads a corner once and (1, 1) 4 times; same reads them 4 and 9 times; the middle 9 in both
    assert difference.values[0, 0] == 3 and difference.values[1, 1] == 5 and difference.values[3, 3] == 0
    assert difference.low == 0 and difference.high == 5
    assert "from 0 to +5" in difference.summary and "40 cells read more under B, 0 fewer" in difference.summary


def _pair():
    first = Session(ConvSpec((1, 1, 7, 7), 1, 3))                     # 25 steps
    second = Session(ConvSpec((1, 1, 7, 7), 1, 3, padding="same"))    # 49 steps
    return first, second, Comparison(first, second)


def test_a_step_on_either_moves_the_other_to_the_same_step_clamped_to_its_last():
    first, second, _ = _pair()
    rng = np.random.default_rng(3)
    for _ in range(200):
        moved, other = (first, second) if rng.random() < 0.5 else (second, first)
        moved.set_step(int(rng.integers(0, moved.steps)))
        assert other.step == min(moved.step, other.steps - 1)


def test_one_clock_plays_both_and_the_shorter_waits_at_its_end():
    first, second, comparison = _pair()
    heard = []
    second.subscribe(lambda changes: heard.append(PLAYING in changes))
    comparison.play()
    assert first.playing and second.playing
    ticks = 0
    while comparison.playing:
        comparison.tick()
        ticks += 1
        assert second.step == ticks and first.step == min(ticks, first.steps - 1)
        assert ticks <= 48
    assert ticks == 48 == comparison.steps - 1
    assert first.at_end and second.at_end and not first.playing and not second.playing
    comparison.tick()
    assert first.step == 24 and second.step == 48


def test_pause_speed_and_rewind_are_mirrored_and_close_unties_them():
    first, second, comparison = _pair()
    first.set_step(24)
    second.set_step(40)
    assert first.step == 24
    second.set_speed(30)
    assert first.speed == 30
    first.play()  # at its end: play rewinds it, and B with it
    assert first.step == 0 and second.step == 0 and second.playing
    second.pause()
    assert not first.playing
    comparison.set_step(30)
    assert (first.step, second.step) == (24, 30)
    comparison.play()  # A is done: it waits at its end while B plays on
    assert second.playing and not first.playing and comparison.playing
    comparison.toggle_play()
    assert not comparison.playing
    comparison.last()
    comparison.play()  # both done: from the start
    assert (first.step, second.step) == (0, 0) and first.playing and second.playing
    comparison.close()
    first.set_step(5)
    assert second.step == 0


def test_a_twin_shows_the_same_session_and_then_changes_on_its_own():
    """Compare mode's "a copy to edit": the input (an opened image too), weights, bias and step
    of the original, its output shared, not computed again; changes to either stay its own."""
    rng = np.random.default_rng(12)
    original = Session(ConvSpec((1, 2, 12, 10), 3, 3, padding=1))
    original.set_pattern("image file", image=rng.integers(0, 256, (40, 30)).astype(float))
    original.set_weights(rng.integers(-3, 4, (3, 3)).astype(float))
    original.set_bias(1.5)
    original.set_step(5)
    heard = []
    original.subscribe(heard.append)
    twin = original.twin()
    assert twin.spec == original.spec and twin.step == 5 and twin.bias == 1.5
    assert np.array_equal(twin.inputs, original.inputs) and np.array_equal(twin.kernels, original.kernels)
    assert twin.output is original.output and twin.frame().arithmetic == original.frame().arithmetic
    expected = reference_conv2d(twin.inputs[None], twin.kernels[None], plan(twin.spec), np.array([1.5]))[0, 0]
    assert np.allclose(twin.output, expected, atol=1e-9)
    heard.clear()
    twin.update_spec(stride=[2, 2])
    twin.set_weights(np.ones((3, 3)))
    assert heard == [] and original.spec.stride == (1, 1) and original.output.shape == (12, 10)
    assert not np.array_equal(original.kernels[original.in_channel], np.ones((3, 3)))
    original.set_bias(None)
    assert twin.bias == 1.5


def test_a_twin_of_a_session_still_computing_computes_its_output_itself():
    jobs = []
    spec = ConvSpec((1, 1, 48, 48), 1, 31, padding="same")  # 2.2·10^6 multiply-adds: computed elsewhere
    original = Session(spec, output_runner=lambda job, deliver: jobs.append((job, deliver)))
    assert original.output_pending and len(jobs) == 1
    twin = original.twin(output_runner=lambda job, deliver: jobs.append((job, deliver)))
    assert twin.output_pending and len(jobs) == 2
    job, deliver = jobs[1]
    deliver(job())
    assert not twin.output_pending and original.output_pending
    expected = reference_conv2d(twin.inputs[None], twin.kernels[None], plan(spec))[0, 0]
    assert np.allclose(twin.output, expected, atol=1e-9)
