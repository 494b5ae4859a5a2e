import pytest


@pytest.fixture
def window(qtbot, qsettings):
    """A shown window on a 7×7 input with a 3×3 kernel, large enough for the cells to show values."""
    from convviz.core import ConvSpec
    from convviz.gui.app import make_window

    window = make_window(ConvSpec((1, 1, 7, 7), 1, 3), settings=qsettings, restore=False)
    qtbot.addWidget(window)
    window.resize(1500, 980)  # the offscreen screen is small; the cells must be big enough for values
    with qtbot.waitExposed(window):
        window.show()
    window.activateWindow()
    window.view.animation.grid.setFocus()
    return window
