"""A session's large output computed elsewhere: pending cells are NaN, a superseded result is
dropped, the delivered one equals the float64 reference."""

import numpy as np

from convviz.core import ConvSpec, plan
from convviz.core.reference import reference_at
from convviz.session import DATA, Session
from convviz.session.session import BACKGROUND_WORK


def test_a_large_output_waits_for_its_runner_and_a_superseded_one_is_dropped():
    session = Session(ConvSpec((1, 1, 7, 7), 1, 3))
    asked = []
    session.output_runner = lambda job, deliver: asked.append((job, deliver))
    heard = []
    session.subscribe(heard.append)
    big = ConvSpec((1, 1, 300, 300), 1, 17, padding="same")
    assert plan(big).flops // 2 >= BACKGROUND_WORK
    session.set_spec(big)
    assert session.output_pending and np.isnan(session.output).all()
    assert "computing the output" in session.frame().output.title
    assert session.frame().output.cell_texts()[0][0] == "…"
    session.reseed(3)  # a newer output is asked for; the first result must not land
    assert len(asked) == 2
    first_job, first_deliver = asked[0]
    first_deliver(first_job())
    assert session.output_pending
    job, deliver = asked[1]
    heard.clear()
    deliver(job())
    assert not session.output_pending and any(DATA in changes for changes in heard)
    one = plan(session.spec).single_channel
    positions = [(0, 0), (299, 299), (150, 7), (3, 260)]
    expected = reference_at(session.inputs[None, :1], session.kernels[None, :1], one, positions)[0, 0]
    rows, cols = zip(*positions)
    np.testing.assert_allclose(session.output[list(rows), list(cols)], expected, rtol=1e-9, atol=1e-6)


def test_small_outputs_are_computed_at_once_even_with_a_runner():
    session = Session(ConvSpec((1, 1, 7, 7), 1, 3))
    session.output_runner = lambda job, deliver: (_ for _ in ()).throw(AssertionError("not for small work"))
    session.set_spec(ConvSpec((1, 1, 40, 40), 1, 5))
    assert not session.output_pending and np.isfinite(session.output).all()
