"""Soak: thousands of random spec changes and playback steps, no exception, bounded memory growth."""

import gc

import numpy as np
import pytest

from convviz.core import ConvSpec, reference_conv2d
from convviz.session import Session

psutil = pytest.importorskip("psutil")
MAX_GROWTH_MB = 50


def random_change(rng):
    field = rng.integers(0, 7)
    if field == 0:
        return {"input_shape": (1, 1, int(rng.integers(-1, 40)), int(rng.integers(-1, 40)))}
    if field == 1:
        return {"kernel_size": (int(rng.integers(0, 7)), int(rng.integers(0, 7)))}
    if field == 2:
        return {"stride": (int(rng.integers(0, 4)), int(rng.integers(0, 4)))}
    if field == 3:
        return {"dilation": (int(rng.integers(0, 4)), int(rng.integers(0, 4)))}
    if field == 4:
        choices = ["valid", "same", "full", int(rng.integers(-1, 4)), "bogus", (1, 2, 3, 0)]
        return {"padding": choices[int(rng.integers(0, len(choices)))]}
    if field == 5:
        return {"padding_mode": ["zeros", "reflect", "replicate", "circular", "mirror"][int(rng.integers(0, 5))]}
    return {"out_channels": int(rng.integers(0, 3))}


def drive(session, rng, count):
    accepted = 0
    for _ in range(count):
        accepted += session.update_spec(**random_change(rng))
        for _ in range(int(rng.integers(0, 3))):
            [session.step_forward, session.step_back, session.first, session.last, session.tick][int(rng.integers(0, 5))]()
    return accepted


def rss_mb():
    gc.collect()
    return psutil.Process().memory_info().rss / 2**20


def test_controller_soak(capsys):
    rng = np.random.default_rng(2026)
    session = Session(ConvSpec((1, 1, 7, 7), 1, 3))
    drive(session, rng, 500)
    before = rss_mb()
    accepted = drive(session, rng, 10_000)
    growth = rss_mb() - before
    terms = session.terms()
    i, j = session.position()
    expected = reference_conv2d(session.input[None, None], session.weights[None, None], session.animation_plan)
    assert terms.total == pytest.approx(expected[0, 0, i, j])
    np.testing.assert_allclose(session.output, expected[0, 0], rtol=1e-12, atol=1e-9)
    with capsys.disabled():
        print(f"\nsoak: 10,000 spec changes through the controller ({accepted} accepted), RSS growth {growth:.1f} MB")
    assert accepted > 1000
    assert growth < MAX_GROWTH_MB


def test_window_soak(qtbot, qsettings, capsys):
    from convviz.gui.app import make_window

    window = make_window(ConvSpec((1, 1, 7, 7), 1, 3), settings=qsettings, restore=False)
    qtbot.addWidget(window)
    window.show()
    rng = np.random.default_rng(7)
    drive(window.session, rng, 50)
    before = rss_mb()
    accepted = drive(window.session, rng, 300)
    qtbot.wait(10)
    growth = rss_mb() - before
    with capsys.disabled():
        print(f"\nsoak: 300 spec changes through the window ({accepted} accepted), RSS growth {growth:.1f} MB")
    assert accepted > 30
    assert growth < MAX_GROWTH_MB
    assert window.session.plan.output_shape[2:] == window.session.output.shape
