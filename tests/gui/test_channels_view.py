"""Channels in the window: tabs choose the input channel (its grid and kernel slice), the output
chooser the output channel (its map, compared with the float64 reference over every channel)."""

import numpy as np
import pytest

pytest.importorskip("PyQt6")

from convviz.core import ConvSpec, plan, reference_conv2d  # noqa: E402
from convviz.gui.session_view import SessionView  # noqa: E402
from convviz.session import Session  # noqa: E402


@pytest.fixture
def view(qtbot):
    session = Session(ConvSpec((1, 3, 6, 6), 8, 3, padding=1), preset="sobel x")
    view = SessionView(session)
    qtbot.addWidget(view)
    view.resize(1400, 900)
    view.show()
    return view


def test_one_channel_shows_no_chooser(qtbot):
    view = SessionView(Session(ConvSpec((1, 1, 6, 6), 1, 3)))
    qtbot.addWidget(view)
    view.show()
    assert not view.animation.channels.isVisible() and not view.output.channels.isVisible()
    assert view.kernel.title.text() == "Kernel 3×3"


def test_tabs_choose_the_input_channel_and_its_kernel_slice(view):
    session = view.session
    tabs = view.animation.channels.tabs
    assert view.animation.channels.isVisible() and tabs.count() == 3
    tabs.setCurrentIndex(2)
    assert session.in_channel == 2
    assert np.array_equal(view.animation.grid.image.image.shape[:2], session.plan.padded_shape)
    assert "Input channel c=2 of 3" in view.animation.title.text()
    assert "w[k=0, c=2]" in view.kernel.title.text() and "8×3×3×3" in view.kernel.title.text()
    assert np.array_equal(session.weights, session.kernels[2])


def test_the_output_chooser_shows_that_channel_summed_over_every_input_channel(view):
    session = view.session
    chooser = view.output.channels
    assert chooser.isVisible() and chooser.tabs.count() == 8
    chooser.tabs.setCurrentIndex(5)
    assert session.out_channel == 5
    spec = session.spec
    one = plan(spec.replace(out_channels=1))
    expected = reference_conv2d(session.inputs[None], session.kernels[None], one)[0, 0]
    np.testing.assert_allclose(session.output, expected, atol=1e-9)
    assert view.output.shape_label.text().startswith("Output channel k=5 of 8")
    text = view.animation.arithmetic.text()
    assert text.splitlines()[0].split(":  ")[1].startswith("y[k=5]")
    assert [line.strip()[:4] for line in text.splitlines()[1:4]] == ["c=0:", "c=1:", "c=2:"]


def test_many_channels_get_a_spin_box(qtbot):
    view = SessionView(Session(ConvSpec((1, 100, 5, 5), 2, 3)))
    qtbot.addWidget(view)
    view.show()
    chooser = view.animation.channels
    assert chooser.isVisible() and not chooser.tabs.isVisible() and chooser.spin.maximum() == 99
    chooser.spin.setValue(42)
    assert view.session.in_channel == 42


def test_a_long_arithmetic_line_lists_every_term_and_scrolls(qtbot):
    view = SessionView(Session(ConvSpec((1, 1, 15, 15), 1, 11)))
    qtbot.addWidget(view)
    view.resize(1100, 700)
    view.show()
    qtbot.waitUntil(lambda: view.animation.arithmetic_scroll.verticalScrollBar().maximum() > 0, timeout=2000)
    assert view.animation.arithmetic.text().count("·") == 121
