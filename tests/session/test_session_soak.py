"""Soak: thousands of random spec changes and playback steps through the controller, no
exception, bounded memory growth."""

import numpy as np
import pytest

from convviz.core import ConvSpec, plan, reference_conv2d
from convviz.session import Session

pytest.importorskip("psutil")

from helpers.soak import MAX_GROWTH_MB, drive, rss_mb  # noqa: E402


def test_controller_soak(capsys):
    rng = np.random.default_rng(2026)
    session = Session(ConvSpec((1, 1, 7, 7), 1, 3))
    drive(session, rng, 500)
    before = rss_mb()
    accepted = drive(session, rng, 10_000)
    growth = rss_mb() - before
    terms = session.frame().terms
    i, j = terms.position
    one_channel = session.spec.replace(input_shape=[1, 1, *session.spec.input_size], out_channels=1)
    expected = reference_conv2d(session.input[None, None], session.weights[None, None], plan(one_channel))
    assert terms.total == pytest.approx(expected[0, 0, i, j])
    np.testing.assert_allclose(session.output, expected[0, 0], rtol=1e-12, atol=1e-9)
    with capsys.disabled():
        print(f"\nsoak: 10,000 spec changes through the controller ({accepted} accepted), RSS growth {growth:.1f} MB")
    assert accepted > 1000
    assert growth < MAX_GROWTH_MB
