"""SessionView: one session drawn from its frames; two in one window; frames rendered offscreen."""

import numpy as np
import pytest

pytest.importorskip("PyQt6")
pytest.importorskip("pyqtgraph")

import pyqtgraph as pg  # noqa: E402
from PyQt6 import QtCore, QtGui  # noqa: E402

from convviz.core import ConvSpec  # noqa: E402
from convviz.gui.app import make_window  # noqa: E402
from convviz.gui.render import png_bytes, render_frame  # noqa: E402
from convviz.gui.session_view import SessionView  # noqa: E402
from convviz.gui.theme import theme_for  # noqa: E402
from convviz.session import Session  # noqa: E402


def pixels(image: QtGui.QImage) -> np.ndarray:
    image = image.convertToFormat(QtGui.QImage.Format.Format_RGB32)
    bits = image.constBits()
    bits.setsize(image.sizeInBytes())
    return np.frombuffer(bits, np.uint8).reshape(image.height(), image.bytesPerLine() // 4, 4)[:, :image.width()].copy()


def rect_of(item) -> tuple:
    rect = item.rect()
    return rect.top(), rect.left(), rect.height(), rect.width()


def test_a_detached_view_draws_any_frame_without_touching_the_session(qtbot):
    session = Session(ConvSpec((1, 1, 9, 9), 1, 3, stride=2, padding="same", padding_mode="reflect"))
    heard = []
    session.subscribe(heard.append)
    view = SessionView(session, live=False)
    qtbot.addWidget(view)
    for step in (0, 7, session.steps - 1):
        frame = session.frame(step)
        view.draw(frame)
        assert rect_of(view.animation.window_rect) == frame.window
        assert view.animation.arithmetic.text() == frame.arithmetic
        i, j = frame.position
        assert rect_of(view.output.current) == (i, j, 1, 1)
    assert session.step == 0 and heard == []
    assert not view.playback.isVisibleTo(view)
    session.set_step(3)
    assert view.animation.arithmetic.text() == session.frame(session.steps - 1).arithmetic  # not following


def test_render_frame_draws_the_asked_step_offscreen(qtbot):
    session = Session(ConvSpec((1, 1, 7, 7), 1, 3, padding=1))
    live = SessionView(session)
    qtbot.addWidget(live)
    session.set_step(2)
    first = render_frame(session, 0, size=(900, 600))
    again = render_frame(session, 0, size=(900, 600))
    later = render_frame(session, 20, size=(900, 600))
    assert (first.width(), first.height()) == (900, 600)
    a, b, c = pixels(first), pixels(again), pixels(later)
    assert np.array_equal(a, b)
    assert (a != c).any(axis=2).sum() > 500  # the window moved and more of the output is filled
    assert len({tuple(pixel) for pixel in a[::7, ::7].reshape(-1, 4)}) > 20
    assert session.step == 2 and live.animation.arithmetic.text() == session.frame().arithmetic
    assert png_bytes(first).startswith(b"\x89PNG")


def test_a_window_hosts_two_sessions_side_by_side(qtbot, qsettings):
    window = make_window(ConvSpec((1, 1, 7, 7), 1, 3), settings=qsettings, restore=False)
    qtbot.addWidget(window)
    window.resize(1500, 980)
    with qtbot.waitExposed(window):
        window.show()
    second = Session(ConvSpec((1, 1, 7, 7), 1, 3, stride=2, padding="same"))
    view = window.add_view(second)
    assert window.views == [window.view, view] and window.central.count() == 2
    assert "Output 5×5" in window.view.output.shape_label.text()
    assert "Output 4×4" in view.output.shape_label.text()
    window.view.animation.grid.setFocus()
    qtbot.keyClick(window.view.animation.grid, QtCore.Qt.Key.Key_Right)  # keys act on the first session
    assert window.session.step == 1 and second.step == 0
    second.set_speed(240)
    second.play()
    assert view.timer.isActive() and not window.view.timer.isActive()
    qtbot.waitUntil(lambda: not second.playing, timeout=3000)
    assert second.step == second.steps - 1 and view.playback.step_label.text() == "step 16 / 16"
    assert window.session.step == 1
    with pytest.raises(ValueError):
        window.remove_view(window.view)
    window.remove_view(view)
    second.set_step(0)
    assert window.views == [window.view] and window.central.count() == 1


def test_the_coverage_colour_bar_shows_the_map_from_no_reads_to_the_most(qtbot):
    rng = np.random.default_rng(11)
    size, kernel = int(rng.integers(8, 20)), int(rng.integers(2, 5))
    session = Session(ConvSpec((1, 1, size, size + 3), 1, kernel, stride=int(rng.integers(1, 3)), padding=1))
    view = SessionView(session)
    qtbot.addWidget(view)
    view.resize(1100, 700)
    view.show()
    bar = view.coverage.colour_bar
    qtbot.waitUntil(lambda: bar.levels is not None)
    most = int(session.plan.coverage.max())
    assert bar.levels == (0, most)
    assert tuple(bar.axis.range) == (0, most)
    values = [int(label) for _, label in bar.axis.ticks]
    step = values[1] - values[0] if len(values) > 1 else 1
    assert values[0] == 0 and values[-1] <= most < values[-1] + step and np.all(np.diff(values) == step)
    for presenting in (True, False):  # the bar's labels as large as the grid's, on a projector too
        view.apply_theme(theme_for(presenting))
        assert bar.axis.font.pointSizeF() == view.coverage.grid.tick_font.pointSizeF()
    assert theme_for(True).font(9.0) > theme_for(False).font(9.0)
    gradient = bar.gradient
    picture = QtGui.QImage(int(gradient.size().width()), int(gradient.size().height()), QtGui.QImage.Format.Format_RGB32)
    painter = QtGui.QPainter(picture)
    gradient.paint(painter)
    painter.end()
    colours = pixels(picture)[:, picture.width() // 2, 2::-1].astype(int)  # BGRA → RGB
    colour_map = pg.colormap.get(bar.colour_map)
    for row, at in ((3, 1.0), (picture.height() - 4, 0.0)):
        expected = np.array(colour_map.map(np.array([at]), mode="byte")[0][:3], dtype=int)
        assert np.abs(colours[row] - expected).max() <= 12, (row, colours[row], expected)
