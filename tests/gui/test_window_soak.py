"""Soak: random spec changes and playback steps through the window, bounded memory growth."""

import numpy as np
import pytest

from convviz.core import ConvSpec

pytest.importorskip("psutil")

from helpers.soak import MAX_GROWTH_MB, drive, rss_mb  # noqa: E402


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
