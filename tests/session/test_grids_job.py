"""The step-independent grids built elsewhere (`Session.grids_job` / `adopt_grids`): a build is
kept only while nothing changed since it was asked for, and what it builds is what `frame()`
builds itself."""

import numpy as np

from convviz.core import ConvSpec, plan
from convviz.core.reference import reference_at, reference_conv2d
from convviz.session import Session


def _same_grids(built, expected) -> None:
    for ours, theirs in zip(built, expected):
        assert type(ours) is type(theirs)
    np.testing.assert_array_equal(built[0].values, expected[0].values)
    np.testing.assert_array_equal(built[0].padding, expected[0].padding)
    np.testing.assert_array_equal(built[1].values, expected[1].values)
    np.testing.assert_array_equal(built[1].cell_steps, expected[1].cell_steps)
    np.testing.assert_array_equal(built[2].counts, expected[2].counts)
    np.testing.assert_array_equal(built[3].values, expected[3].values)
    assert built[1].title == expected[1].title and built[0].title == expected[0].title


def test_a_build_is_what_the_frame_builds_and_is_adopted_while_current():
    rng = np.random.default_rng(4)
    session = Session(ConvSpec((1, 2, 11, 9), 3, (4, 3), stride=(2, 1), dilation=(1, 2), padding="same",
                               padding_mode="reflect"))
    session.reseed(int(rng.integers(1000)))
    token, job = session.grids_job()
    assert not session.grids_built
    grids = job()
    assert session.adopt_grids(token, grids)
    assert session.grids_built and session.grids_job() is None
    frame = session.frame()
    assert (frame.input, frame.output, frame.coverage, frame.kernel) == grids  # the very objects
    fresh = Session(session.spec)
    fresh.reseed(session.seed)
    fresh_frame = fresh.frame()
    _same_grids(grids, (fresh_frame.input, fresh_frame.output, fresh_frame.coverage, fresh_frame.kernel))
    expected = reference_conv2d(session.inputs[None], session.kernels[None], plan(session.spec).summed_channels)
    np.testing.assert_allclose(frame.output.values, expected[0, 0], rtol=1e-12, atol=1e-9)


def test_a_build_asked_for_before_a_change_is_not_adopted():
    session = Session(ConvSpec((1, 1, 12, 12), 1, 3))
    changes = [
        lambda: session.update_spec(stride=[2, 2]),
        lambda: session.reseed(7),
        lambda: session.set_preset("gaussian"),
        lambda: session.set_bias(1.5),
        lambda: session.set_pattern("checkerboard"),
    ]
    for change in changes:
        session.frame()  # built
        change()
        token, job = session.grids_job()
        stale = job()
        session.update_spec(kernel_size=[int(session.spec.kernel_size[0]) % 5 + 1] * 2)
        assert not session.adopt_grids(token, stale)
        assert not session.grids_built
        frame = session.frame()  # built at once, for the spec it has now
        assert frame.input.values.shape == session.plan.padded_shape


def test_an_arriving_output_rebuilds_only_the_output_grid():
    session = Session(ConvSpec((1, 1, 7, 7), 1, 3))
    asked = []
    session.output_runner = lambda job, deliver: asked.append((job, deliver))
    session.set_spec(ConvSpec((1, 1, 170, 170), 1, 9, padding="same"))
    assert session.output_pending
    before = session.frame()
    job, deliver = asked[-1]
    deliver(job())
    token, build = session.grids_job()
    grids = build()
    assert session.adopt_grids(token, grids)
    after = session.frame()
    assert after.input is before.input and after.coverage is before.coverage and after.kernel is before.kernel
    assert after.output is not before.output and not np.isnan(after.output.values).any()
    positions = [(0, 0), (169, 169), (85, 3), (2, 160), (100, 101)]
    expected = reference_at(session.inputs[None], session.kernels[None], session.plan, positions)[0, 0]
    rows, cols = zip(*positions)
    np.testing.assert_allclose(after.output.values[list(rows), list(cols)], expected, rtol=1e-9, atol=1e-6)
