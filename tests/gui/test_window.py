"""The window with pytest-qt (offscreen): controls, playback, shortcuts, errors, timing, screenshots."""

import json
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("PyQt6")
pytest.importorskip("pyqtgraph")

from helpers import ROOT  # noqa: E402
from PyQt6 import QtCore, QtGui  # noqa: E402

from convviz.core import ConvSpec  # noqa: E402
from convviz.gui.app import make_window  # noqa: E402
from convviz.session import Session  # noqa: E402


def test_stride_and_padding_change_shape_text_and_step_count(window):
    controls, output = window.controls, window.view.output
    assert "Output 5×5" in output.shape_label.text() and "25 steps" in output.shape_label.text()
    assert window.view.playback.slider.maximum() == 24
    controls.stride_h.setValue(2)
    controls.stride_w.setValue(2)
    assert window.session.spec.stride == (2, 2)
    assert "Output 3×3" in output.shape_label.text() and "9 steps" in output.shape_label.text()
    controls.padding.setCurrentText("same")
    assert "Output 4×4" in output.shape_label.text() and "16 steps" in output.shape_label.text()
    assert "⌊(7 + 1 + 1 − 3)/2⌋ + 1 = 4" in output.formula_label.text()
    assert window.view.playback.slider.maximum() == 15
    assert window.view.playback.step_label.text().endswith("/ 16")
    controls.padding.setCurrentText("custom")
    controls.pad_sides[0].setValue(3)  # top
    assert window.session.plan.pads == (3, 1, 1, 1)
    assert "Output 5×4" in output.shape_label.text()


def test_play_advances_and_pause_stops(window, qtbot):
    session = window.session
    session.set_speed(60)
    window.view.playback.play_button.click()
    assert session.playing and window.view.timer.isActive()
    qtbot.waitUntil(lambda: session.step >= 3, timeout=3000)
    window.view.playback.play_button.click()
    assert not session.playing and not window.view.timer.isActive()
    stopped_at = session.step
    qtbot.wait(150)
    assert session.step == stopped_at
    assert window.view.playback.slider.value() == stopped_at
    assert f"step {stopped_at + 1} / 25" == window.view.playback.step_label.text()


def test_playing_to_the_end_stops(window, qtbot):
    session = window.session
    session.set_speed(240)
    session.set_step(20)
    session.play()
    qtbot.waitUntil(lambda: not session.playing, timeout=3000)
    assert session.step == 24 and not window.view.timer.isActive()


def test_keyboard_shortcuts(window, qtbot):
    session = window.session
    target = window.view.animation.grid
    qtbot.keyClick(target, QtCore.Qt.Key.Key_Right)
    qtbot.keyClick(target, QtCore.Qt.Key.Key_Right)
    assert session.step == 2
    qtbot.keyClick(target, QtCore.Qt.Key.Key_Left)
    assert session.step == 1
    qtbot.keyClick(target, QtCore.Qt.Key.Key_End)
    assert session.step == 24
    qtbot.keyClick(target, QtCore.Qt.Key.Key_Home)
    assert session.step == 0
    qtbot.keyClick(target, QtCore.Qt.Key.Key_Space)
    assert session.playing
    qtbot.keyClick(target, QtCore.Qt.Key.Key_Space)
    assert not session.playing
    shortcuts = {action.text(): action.shortcut().toString() for action in window.actions()}
    assert shortcuts["&Quit"] == "Ctrl+Q" and shortcuts["Open &image…"] == "Ctrl+O"
    qtbot.keyClick(target, QtCore.Qt.Key.Key_Q, QtCore.Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=2000)


def test_invalid_spec_shows_message_and_panels_keep_last_state(window, qtbot):
    controls = window.controls
    before_title = window.view.animation.title.text()
    before_output = window.view.output.shape_label.text()
    controls.kernel_h.setValue(9)  # nothing raises
    assert controls.error_label.isVisible()
    assert "smaller than the kernel 9×3" in controls.error_label.text()
    assert window.session.spec.kernel_size == (3, 3)
    assert window.view.animation.title.text() == before_title and window.view.output.shape_label.text() == before_output
    controls.kernel_h.setValue(3)
    assert not controls.error_label.isVisible()
    controls.mode.setCurrentText("reflect")
    controls.padding.setCurrentText("custom")
    controls.pad_sides[0].setValue(7)
    assert "reflect padding must be smaller than the input" in controls.error_label.text()


def test_custom_weight_edit_changes_the_numbers(window, qtbot):
    table = window.controls.weights
    assert table.rowCount() == 3 and table.columnCount() == 3
    table.item(1, 1).setText("5")
    qtbot.waitUntil(lambda: window.session.weights[1, 1] == 5.0, timeout=2000)
    assert window.session.preset == "custom"
    assert window.controls.preset.currentText() == "custom"
    table.item(0, 0).setText("abc")
    assert "not a number" in window.controls.error_label.text()


def test_pattern_preset_and_image_file(window, qtbot, tmp_path):
    from helpers.images import write_grey_png

    window.controls.preset.setCurrentText("identity")
    assert window.session.weights[1, 1] == 1 and window.session.weights.sum() == 1
    window.controls.pattern.setCurrentText("checkerboard")
    assert window.session.pattern == "checkerboard"
    picture = np.tile(np.linspace(0, 255, 20), (10, 1))
    path = tmp_path / "ramp.png"
    write_grey_png(picture, path)
    assert window.open_image(str(path))
    assert window.session.pattern == "image file"
    assert window.session.input[0, 0] < window.session.input[0, -1]
    assert not window.open_image(str(tmp_path / "missing.png"))
    assert "cannot read" in window.controls.error_label.text()
    (tmp_path / "junk.png").write_bytes(b"not a picture")
    assert not window.open_image(str(tmp_path / "junk.png"))
    assert "not an image" in window.controls.error_label.text()


def test_output_fills_in_step_by_step(window):
    output, session = window.view.output, window.session
    session.set_step(4)
    image = output.grid.image.image
    assert (image.reshape(-1, 4)[5:] == 255).all()
    assert not (image.reshape(-1, 4)[:5] == 255).all()
    assert output.grid.text_item(0, 4).isVisible() and not output.grid.text_item(1, 0).isVisible()
    session.set_step(1)
    assert not output.grid.text_item(0, 4).isVisible()
    session.last()
    assert len(output.grid.texts) == 25 and all(item.isVisible() for item in output.grid.texts.values())
    rect = window.view.animation.window_rect.rect()
    assert (rect.left(), rect.top(), rect.width(), rect.height()) == (4, 4, 3, 3)


def test_coverage_panel_marks_unread_cells(window):
    window.session.update_spec(kernel_size=[2, 2], stride=[3, 3])
    text = window.view.coverage.summary.text()
    assert "never read" in text and "rows 2, 5" in text and "columns 2, 5" in text


def test_timing_worker_completes_and_panel_gets_bars(window, qtbot):
    timing = window.timing
    timing.profile_options = {"min_time_s": 0.001, "roofline_peaks": False, "settle_s": 0, "repeats": 3}
    seen_at_finish = []
    timing.finished.connect(lambda: seen_at_finish.append(timing.status.text()))
    with qtbot.waitSignal(timing.finished, timeout=30000):
        assert timing.start_profile(backends=["numpy"])
        assert timing.running and timing.cancel_button.isEnabled()
    assert not timing.running
    assert len(seen_at_finish) == 1 and seen_at_finish[0].startswith("done")  # listeners see the final state
    assert timing.records and all(record.backend == "numpy" for record in timing.records)
    assert len(timing.bar_items) == len(timing.records) // 2  # CPU: kernel and end-to-end are one timing
    assert timing.table.rowCount() == len(timing.records)
    assert timing.status.text().startswith("done")


def test_gpu_copy_timings_show_as_rates_and_a_share_of_end_to_end(window):
    from dataclasses import replace

    from convviz.profiling import profile
    from convviz.profiling.results import TABLE_COLUMNS

    numpy_records = profile(window.session.spec, backends=["numpy"], repeats=3, roofline_peaks=False, settle_s=0)
    numpy_records = [replace(record, stable=True) for record in numpy_records]  # a busy machine is not the point here
    timed = numpy_records[0]
    gpu = [replace(timed, backend="cupy", algorithm="direct", kind="end-to-end", note="", median_ms=2.0, host=False),
           replace(timed, backend="cupy", algorithm="copy", kind="copy-in", note="", median_ms=0.5,
                   gflops=float("nan"), gbps=12.5, host=False),
           replace(timed, backend="cupy", algorithm="copy", kind="copy-out", note="", median_ms=0.25,
                   gflops=float("nan"), gbps=3.0, host=False)]  # as the profiler records a device backend
    window.timing.show_records(numpy_records + gpu)
    rate = TABLE_COLUMNS.index("GFLOP/s")
    cells = [window.timing.table.item(row, rate).text() for row in range(window.timing.table.rowCount())]
    assert "12.5 GB/s" in cells and "3 GB/s" in cells and "nan" not in " ".join(cells)
    assert "GPU copies: in 0.5 ms + out 0.25 ms, 38% of the GPU's end-to-end time" in window.timing.ratio_label.text()
    ticks = [label for _, label in window.timing.bar_plot.getAxis("left")._tickLevels[0]]
    assert "cupy copy (copy-in)" in ticks  # what was timed on the axis, its figures beside the bar
    details = [text.textItem.toPlainText() for text in window.timing.bar_texts]
    assert "0.5 ms · 12.5 GB/s" in details


def test_sweep_worker_plots_lines(window, qtbot):
    timing = window.timing
    timing.profile_options = {"min_time_s": 0.001, "roofline_peaks": False, "settle_s": 0, "repeats": 3}
    grown = []
    timing.sweep_updated.connect(grown.append)
    with qtbot.waitSignal(timing.finished, timeout=30000):
        timing.start_sweep(sizes=[8, 16], backends=["numpy"])
    assert len(grown) == 2 and grown[0] < grown[1]  # the plot grew size by size
    assert {record.sweep_value for record in timing.sweep_records} == {8, 16}
    assert timing.sweep_plot.getPlotItem().listDataItems()


def test_timing_cancel_and_close_during_a_run(window, qtbot):
    from convviz.profiling import Cancelled, Progress

    timing = window.timing

    def endless(cancel):  # stands in for a long benchmark
        for done in range(10**6):
            yield Progress(done, 10**6, "working")
            if cancel.wait(0.01):
                raise Cancelled("cancelled")
        return []

    with qtbot.waitSignal(timing.finished, timeout=10000):
        assert timing._start(endless, "profile", "endless")
        qtbot.waitUntil(lambda: timing.status.text() == "working", timeout=5000)
        assert timing.progress.maximum() == 10**6
        timing.cancel_button.click()
    assert timing.status.text() == "cancelled" and not timing.running
    assert timing.time_button.isEnabled() and not timing.cancel_button.isEnabled()
    timing._start(endless, "profile", "endless")
    thread = timing._worker.thread()
    qtbot.wait(50)
    window.close()  # cancels and joins the worker
    assert not thread.isRunning()


def test_unavailable_gpu_shows_its_reason(window):
    from convviz.backends import get_backend

    status = get_backend("cupy").available()
    if status:
        pytest.skip("a GPU is available here")
    assert "cupy" in window.timing.backends_label.text() and "not available" in window.timing.backends_label.text()
    assert not window.controls.backend.model().item(window.controls.backend.findData("cupy")).isEnabled()


def test_settings_persist_and_corrupt_values_fall_back(qtbot, qsettings):
    first = make_window(settings=qsettings, restore=True)
    qtbot.addWidget(first)
    first.session.update_spec(input_shape=[1, 1, 9, 6], stride=[2, 1], padding="same")
    first.session.set_speed(15)
    first.close()
    second = make_window(settings=qsettings, restore=True)
    qtbot.addWidget(second)
    assert second.session.spec.input_size == (9, 6) and second.session.spec.stride == (2, 1)
    assert second.session.speed == 15
    second.close()
    qsettings.setValue("spec", "{not json")
    qsettings.setValue("speed", "fast")
    qsettings.setValue("geometry", "garbage")
    qsettings.setValue("preset", 17)
    qsettings.sync()
    third = make_window(settings=qsettings, restore=True)
    qtbot.addWidget(third)
    assert third.session.spec == Session().spec and third.session.speed == Session().speed
    qsettings.setValue("spec", json.dumps({"input_shape": [1, 1, 3, 3], "kernel_size": [5, 5]}))
    fourth = make_window(settings=qsettings, restore=True)
    qtbot.addWidget(fourth)
    assert fourth.session.spec == Session().spec and fourth.session.error == ""


def test_two_windows_coexist(qtbot):
    one = make_window(ConvSpec((1, 1, 7, 7), 1, 3), restore=False)
    two = make_window(ConvSpec((1, 1, 5, 5), 1, 2, stride=2), restore=False)
    qtbot.addWidget(one)
    qtbot.addWidget(two)
    one.session.step_forward()
    assert two.session.step == 0 and "Output 2×2" in two.view.output.shape_label.text()


def test_screenshot_written_and_not_blank(tmp_path):
    path = tmp_path / "shot.png"
    command = [sys.executable, "main.py", "--screenshot", str(path), "--input", "7", "--kernel", "3",
               "--stride", "2", "--padding", "same"]
    env = {**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=ROOT, env=env)
    assert result.returncode == 0, result.stderr
    image = QtGui.QImage(str(path))
    assert not image.isNull() and image.width() >= 800 and image.height() >= 600
    small = image.scaled(60, 40).convertToFormat(QtGui.QImage.Format.Format_RGB32)
    colours = {small.pixel(x, y) for x in range(60) for y in range(40)}
    assert len(colours) > 20  # not one flat colour


def test_screenshot_of_an_invalid_spec_exits_2_with_one_line(tmp_path):
    env = {**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run([sys.executable, "main.py", "--screenshot", str(tmp_path / "x.png"), "--input", "3",
                             "--kernel", "5"], capture_output=True, text=True, timeout=60, cwd=ROOT, env=env)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "smaller than the kernel" in result.stderr
    assert not (tmp_path / "x.png").exists()


def test_reflect_padding_cells_name_the_cell_they_copy(window):
    window.session.update_spec(padding=2, padding_mode="reflect")
    grid = window.view.animation.grid
    assert grid.texts_built
    corner = grid.text_item(0, 0)
    labels = [child.text() for child in corner.childItems()]
    source = window.session.plan.source_of(0, 0)
    assert labels == [f"↤{source[0]},{source[1]}"]
    from convviz.session.patterns import format_value

    assert corner.text() == format_value(window.session.input[source])
    assert "reflect padding" in window.view.animation.legend.text()


def test_keys_work_right_after_the_window_opens(qtbot):
    window = make_window(ConvSpec((1, 1, 7, 7), 1, 3), restore=False)
    qtbot.addWidget(window)
    with qtbot.waitExposed(window):
        window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    assert window.focusWidget() is window.view.animation.grid
    qtbot.keyClick(window.focusWidget(), QtCore.Qt.Key.Key_Right)
    assert window.session.step == 1
    window.controls.input_h.setFocus()
    qtbot.keyClick(window.controls.input_h, QtCore.Qt.Key.Key_Space)  # typing in a field does not play
    assert not window.session.playing


def test_clicking_an_output_cell_jumps_to_its_step(window, qtbot):
    grid = window.view.output.grid
    centre = grid.view.mapViewToScene(QtCore.QPointF(2.5, 3.5))  # column 2, row 3
    point = grid.mapFromScene(centre)
    qtbot.mouseClick(grid.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=point)
    assert window.session.frame().position == (3, 2)
    assert window.session.step == 17


def test_picking_an_input_cell_outlines_the_outputs_that_read_it(window, qtbot):
    window.session.update_spec(stride=[2, 2], padding="same", padding_mode="reflect")
    grid = window.view.coverage.grid
    point = grid.mapFromScene(grid.view.mapViewToScene(QtCore.QPointF(0.5, 1.5)))  # input (1, 0)
    qtbot.mouseClick(grid.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=point)
    assert window.session.selected_input == (1, 0)
    readers = window.session.plan.reads_of_input(1, 0).cells("output")
    assert len(window.view.output.picked.cells) == len(readers) > 0
    copies = window.session.plan.copies_of(1, 0)
    assert len(window.view.animation.copies.cells) == len(copies) == 2  # the cell and its reflected copy
    assert "input (1, 0) is read" in window.view.animation.selection_text.text()
    window.session.update_spec(stride=[1, 1])  # a new spec keeps a pick that still exists, redrawn
    assert window.session.selected_input == (1, 0)
    assert len(window.view.output.picked.cells) == len(window.session.plan.reads_of_input(1, 0).cells("output"))
    assert window.session.update_spec(input_shape=[1, 1, 1, 7], padding_mode="zeros")  # row 1 is gone: so is the pick
    assert window.session.selected_input is None and not len(window.view.output.picked.cells)
