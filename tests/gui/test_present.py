"""Compare mode, presentation mode and the layout at projector sizes, in the window (offscreen)."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("PyQt6")
pytest.importorskip("pyqtgraph")

from helpers import ROOT  # noqa: E402
from PyQt6 import QtCore, QtGui, QtWidgets  # noqa: E402

from convviz.core import ConvSpec, plan  # noqa: E402
from convviz.gui.app import make_window  # noqa: E402
from convviz.gui.theme import NORMAL, PRESENTATION  # noqa: E402

VALID = ConvSpec((1, 1, 7, 7), 1, 3)
SAME = ConvSpec((1, 1, 7, 7), 1, 3, padding="same")
ENV = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}


def _shown(qtbot, window, size):
    qtbot.addWidget(window)
    window.resize(*size)
    with qtbot.waitExposed(window):
        window.show()
    qtbot.wait(20)
    return window


# compare ---------------------------------------------------------------------------------------
def test_compare_shows_both_outputs_with_formulas_and_plays_both_in_step(qtbot, qsettings):
    window = _shown(qtbot, make_window(VALID, settings=qsettings, restore=False, compare=SAME), (1500, 980))
    first, second = window.comparison.sessions
    assert len(window.views) == 2 and second.spec == SAME
    outputs = window.compare_panel.outputs.text()
    assert "output 5×5" in outputs and "output 7×7" in outputs
    for conv_plan in (plan(VALID), plan(SAME)):
        assert conv_plan.rows.formula() in outputs
    expected = plan(SAME).coverage.astype(int) - plan(VALID).coverage.astype(int)
    assert np.array_equal(window.comparison.difference().values, expected)
    assert window.compare_panel.summary.text() == window.comparison.difference().summary

    window.view.animation.grid.setFocus()
    qtbot.keyClick(window.view.animation.grid, QtCore.Qt.Key.Key_End)
    assert first.step == 24 and second.step == 48
    first.set_speed(240)
    qtbot.keyClick(window.view.animation.grid, QtCore.Qt.Key.Key_Space)
    assert first.step == 0 and second.step == 0 and first.playing and second.playing
    assert window.compare_timer.isActive()  # one clock for both
    assert not any(view.timer.isActive() for view in window.views)
    qtbot.waitUntil(lambda: not (first.playing or second.playing), timeout=5000)
    assert (first.step, second.step) == (24, 48) and not window.compare_timer.isActive()
    bar = window.compare_playback
    assert all(view.playback.isHidden() for view in window.views) and bar.isVisible()
    assert bar.slider.maximum() == 48 and bar.step_label.text() == "step 49 / 49"
    bar.slider.setValue(30)
    assert (first.step, second.step) == (24, 30)
    qtbot.keyClick(window.view.animation.grid, QtCore.Qt.Key.Key_Left)
    assert (first.step, second.step) == (24, 29)
    qtbot.keyClick(window.view.animation.grid, QtCore.Qt.Key.Key_Home)
    assert (first.step, second.step) == (0, 0) and bar.slider.value() == 0


def test_b_is_edited_in_its_own_tab_and_the_difference_follows(qtbot, qsettings):
    window = _shown(qtbot, make_window(VALID, settings=qsettings, restore=False), (1500, 980))
    assert window.controls_tabs.count() == 1 and window.controls_tabs.tabBar().isHidden()
    window.compare_with(VALID)
    assert window.controls_tabs.count() == 2 and window.controls_tabs.currentIndex() == 1
    assert "from 0 to 0" not in window.compare_panel.summary.text()
    assert "exactly as often" in window.compare_panel.summary.text()
    window.compare_controls.stride_h.setValue(3)
    second = window.comparison.b
    assert second.spec.stride == (3, 1) and window.session.spec.stride == (1, 1)
    assert "output 2×5" in window.compare_panel.outputs.text()
    assert np.array_equal(window.comparison.difference().values,
                          plan(second.spec).coverage.astype(int) - plan(VALID).coverage.astype(int))
    window.compare_controls.input_h.setValue(5)
    assert "7×7 vs 5×7" in window.compare_panel.summary.text()
    window.close_compare()
    assert window.comparison is None and len(window.views) == 1 and window.controls_tabs.count() == 1
    assert window.compare_playback is None and window.view.playback.isVisible()
    before = second.step
    window.session.set_step(3)
    assert second.step == before
    window.session.set_speed(240)
    window.session.play()
    assert window.view.timer.isActive()


def test_command_line_compare_screenshot(tmp_path):
    spec_file = tmp_path / "same.json"
    spec_file.write_text(json.dumps(SAME.to_dict()))
    shot = tmp_path / "compare.png"
    result = subprocess.run([sys.executable, "main.py", "--input", "7", "--compare", str(spec_file),
                             "--window-size", "1280x800", "--screenshot", str(shot)],
                            capture_output=True, text=True, timeout=90, cwd=ROOT, env=ENV)
    assert result.returncode == 0, result.stderr
    image = QtGui.QImage(str(shot))
    assert (image.width(), image.height()) == (1280, 800)


# presentation ------------------------------------------------------------------------------------
def test_presentation_enlarges_hides_the_docks_and_is_remembered(qtbot, qsettings):
    window = _shown(qtbot, make_window(SAME, settings=qsettings, restore=True), (1500, 980))
    animation = window.view.animation
    normal_points = animation.arithmetic.font().pointSizeF()
    assert window.controls_dock.isVisible() and window.timing_dock.isVisible()
    window.presentation_action.trigger()  # F11: also full screen (the offscreen screen is small)
    assert window.presentation and window.presentation_action.isChecked()
    assert not window.controls_dock.isVisible() and not window.timing_dock.isVisible()
    assert animation.arithmetic.font().pointSizeF() == PRESENTATION.arithmetic_points > normal_points + 5
    assert animation.title.font().pointSizeF() > 12 * 1.3
    assert animation.window_rect.pen().widthF() == PRESENTATION.line(3.5)
    assert animation.theme is PRESENTATION and window.view.coverage.theme.coverage_map == "cividis"
    window.close()
    assert qsettings.value("presentation") in (True, "true")

    again = _shown(qtbot, make_window(settings=qsettings, restore=True), (1500, 980))
    assert again.presentation and again.view.animation.theme is PRESENTATION
    assert not again.timing_dock.isVisible()
    again.set_presentation(False)
    assert again.view.animation.theme is NORMAL and again.controls_dock.isVisible()
    assert again.view.animation.arithmetic.font().pointSizeF() == NORMAL.arithmetic_points
    again.close()
    third = make_window(settings=qsettings, restore=True)
    qtbot.addWidget(third)
    assert not third.presentation


@pytest.mark.parametrize("stored", ["garbage", 7, "", None])
def test_a_stored_presentation_value_that_is_not_true_means_off(qtbot, qsettings, stored):
    qsettings.setValue("presentation", stored)
    window = make_window(settings=qsettings, restore=True)
    qtbot.addWidget(window)
    assert not window.presentation


# layout ----------------------------------------------------------------------------------------------
def _too_narrow(window):
    """Visible widgets smaller than their minimum size hint (collapsed controls)."""
    squeezed = []
    for widget in window.findChildren(QtWidgets.QWidget):
        if not widget.isVisible() or widget.isWindow():
            continue
        if isinstance(widget.parentWidget(), (QtWidgets.QAbstractSpinBox, QtWidgets.QComboBox)):
            continue  # a spin box's or combo box's own parts, laid out by it
        hint = widget.minimumSizeHint()
        if hint.isValid() and (widget.width() < hint.width() or widget.height() < hint.height()):
            if widget.visibleRegion().isEmpty():
                continue  # scrolled away inside a scroll area, not squeezed
            squeezed.append(f"{type(widget).__name__} {widget.objectName()!r} {widget.width()}×{widget.height()} "
                            f"< {hint.width()}×{hint.height()}")
    return squeezed


@pytest.mark.parametrize("mode", ["normal", "presentation", "compare"])
def test_at_1024x768_nothing_is_squeezed_and_the_panels_stay_readable(qtbot, mode):
    window = make_window(VALID, restore=False, presentation=mode == "presentation",
                         compare=SAME if mode == "compare" else None)
    _shown(qtbot, window, (1024, 768))
    assert (window.width(), window.height()) == (1024, 768)
    assert _too_narrow(window) == []
    for view in window.views:
        slider = view.playback.slider
        if slider.isVisible():
            assert slider.width() >= 140
        for panel in (view.output, view.coverage):
            grid = panel.grid
            assert grid.width() >= 150 and grid.height() >= 120, (type(panel).__name__, grid.size())
        # 7×7: every value written (cells at least 15 px wide); compare mode: the animation and output
        assert view.output.grid.values_visible() and view.animation.grid.values_visible()
        assert view.coverage.grid.values_visible() or mode == "compare"
        assert not view.animation.grid.zoomed()
    if mode == "normal":
        assert window.controls_dock.isVisible() and not window.timing_dock.isVisible()  # too short for timing


@pytest.mark.parametrize("size", [(1280, 800), (1920, 1080)])
def test_larger_projectors_keep_every_control_at_its_size(qtbot, size):
    window = _shown(qtbot, make_window(SAME, restore=False), size)
    assert _too_narrow(window) == []
    assert window.timing_dock.isVisible() == (size[1] >= 900)
    assert window.view.output.grid.height() >= 200 and window.view.coverage.grid.height() >= 200


def test_compare_with_a_spec_file_and_a_file_that_cannot_be_used(qtbot, qsettings, tmp_path):
    window = _shown(qtbot, make_window(VALID, settings=qsettings, restore=False), (1500, 980))
    bad = tmp_path / "huge.json"
    bad.write_text(json.dumps({"input_shape": [1, 1, 5000, 5000], "kernel_size": [3, 3]}))
    assert not window.compare_with_file(str(bad))
    assert window.comparison is None and "too big to animate" in window.file_error
    good = tmp_path / "same.json"
    good.write_text(json.dumps(SAME.to_dict()))
    assert window.compare_with_file(str(good))
    assert window.comparison.b.spec == SAME and window.file_error is None
    window.session.update_spec(stride=[2, 2])  # editing A updates the comparison too
    assert "output 3×3" in window.compare_panel.outputs.text()
    assert np.array_equal(window.comparison.difference().values,
                          plan(SAME).coverage.astype(int) - plan(window.session.spec).coverage.astype(int))
    assert window.compare_playback.slider.maximum() == 48
    window.set_presentation(True)
    assert window.compare_playback.play_button.font().pointSizeF() > window.font().pointSizeF() * 1.2


def test_compare_mode_puts_titles_on_one_line_at_1024x768_with_a_lesson_open(qtbot, qsettings):
    """Lesson 14 compares depthwise with standard convolution at 1024×768, its text docked below:
    one-line titles (the whole title in the tooltip) leave the grids room; out of compare mode
    the titles wrap again."""
    from convviz.session.scene import lesson_names

    window = _shown(qtbot, make_window(VALID, settings=qsettings, restore=False), (1024, 768))
    name = next(name for name in lesson_names() if name.startswith("14"))
    assert window.lessons.open_lesson(name) and window.comparison is not None
    qtbot.waitUntil(lambda: all(view.session.grids_built for view in window.views), timeout=5000)
    QtWidgets.QApplication.processEvents()
    for view in window.views:
        title = view.animation.title
        assert title.one_line and title.text().startswith("Input channel c=0 of 3: 6×6, padded to 8×8")
        shown = QtWidgets.QLabel.text(title)
        assert shown.endswith("…") and title.toolTip() == title.text()
        assert title.height() < 2 * title.fontMetrics().height()
        assert view.output.shape_label.one_line and view.coverage.title.one_line
        assert view.output.grid.height() >= 70 and view.coverage.grid.height() >= 70, \
            (view.output.grid.size(), view.coverage.grid.size())
    window.close_compare()
    title = window.view.animation.title
    assert not title.one_line and QtWidgets.QLabel.text(title) == title.text() and title.toolTip() == ""


def test_a_copy_to_compare_shows_what_a_shows_its_image_and_weights_too(qtbot, qsettings):
    window = _shown(qtbot, make_window(VALID, settings=qsettings, restore=False), (1500, 980))
    rng = np.random.default_rng(3)
    window.session.set_pattern("image file", image=rng.integers(0, 256, (20, 20)).astype(float))
    window.session.set_weights(rng.integers(-2, 3, (3, 3)).astype(float))
    window.compare_with(window.session.spec)
    a, b = window.comparison.sessions
    assert b is not a and b.pattern == "image file" and b.output is a.output
    assert np.array_equal(b.inputs, a.inputs) and np.array_equal(b.kernels, a.kernels)
    window.compare_controls.stride_h.setValue(2)
    assert b.spec.stride == (2, 1) and a.spec.stride == (1, 1) and np.array_equal(b.inputs, a.inputs)
