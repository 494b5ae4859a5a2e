"""Lessons in the window (menu, text beside the panels, scenes saved and opened) and File ▸ Export
with progress and Cancel."""

import os

import numpy as np
import pytest

pytest.importorskip("PyQt6")
pytest.importorskip("pyqtgraph")
imageio = pytest.importorskip("imageio.v3")

from PyQt6 import QtWidgets  # noqa: E402

from convviz.session.scene import lesson_names, load_lesson, load_scene  # noqa: E402

SIZE = (360, 300)


def _lesson_actions(window):
    return [action for action in window.lessons.menu.actions() if action.data() in lesson_names()]


def test_the_lessons_menu_opens_every_lesson_and_each_plays_to_its_last_step(window, qtbot):
    actions = _lesson_actions(window)
    assert [action.data() for action in actions] == lesson_names()
    session = window.session
    for action in actions:
        scene = load_lesson(action.data())
        action.trigger()
        assert session.spec == scene.spec and session.step == scene.step - 1
        assert (session.pattern, session.preset, session.speed) == (scene.pattern, scene.preset, scene.speed)
        assert window.lessons.dock.isVisible() and window.lessons.panel.title_label.text() == scene.title
        assert scene.explanation[0] in window.lessons.panel.browser.toPlainText()
        assert window.status.currentMessage().startswith(f"lesson: {scene.title}")
        if scene.compare is not None:
            assert len(window.views) == 2 and window.views[1].session.spec == scene.compare
        else:
            assert window.comparison is None and len(window.views) == 1
        session.set_speed(240)
        window.play_action.trigger()
        qtbot.waitUntil(lambda: not session.playing, timeout=5000)
        assert session.at_end and session.step == session.steps - 1
        assert window.view.playback.step_label.text() == f"step {session.steps} / {session.steps}"


def test_a_lesson_shows_its_selection(window):
    window.lessons.open_lesson("border-information")
    assert window.session.selection_target is not None
    assert str(window.session.selection_target) == "input:0,0"


def test_a_saved_scene_keeps_the_teachers_text_and_opens_the_same(window, qtbot, tmp_path):
    window.lessons.open_lesson("dilation")
    window.session.update_spec(stride=[2, 1])
    window.session.set_step(2)
    panel = window.lessons.panel
    panel.edit_button.click()
    assert panel.text_edit.isVisible() and not panel.browser.isVisible()
    panel.title_edit.setText("My dilation")
    panel.text_edit.setPlainText("First   line.\n\nSecond\nline.")
    panel.edit_button.click()
    assert panel.title_label.text() == "My dilation" and "Second line." in panel.browser.toPlainText()
    path = tmp_path / "mine.json"
    assert window.lessons.save_scene(str(path))
    assert window.status.currentMessage() == f"saved scene to {path}"
    scene = load_scene(path)
    assert scene == window.lessons.current_scene()
    assert scene.title == "My dilation" and scene.explanation == ("First line.", "Second line.")
    assert scene.spec == load_lesson("dilation").spec.replace(stride=(2, 1)) and scene.step == 3
    window.lessons.open_lesson("valid-padding")
    assert window.lessons.open_scene_file(str(path))
    assert window.session.spec == scene.spec and window.session.step == 2
    assert panel.title_label.text() == "My dilation"


def test_a_malformed_scene_file_is_said_beside_the_controls(window, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"format": "convviz-scene", "version": 9, "spec": {}}')
    before = window.session.spec
    assert not window.lessons.open_scene_file(str(path))
    message = window.controls.error_label.text()
    assert "version 9, written by a newer convviz" in message and str(path) in message
    assert window.controls.error_label.isVisible() and window.session.spec == before


def test_export_a_gif_from_the_file_menu_with_progress(window, qtbot, tmp_path):
    from convviz.gui.export import image_array
    from convviz.gui.render import render_frame

    window.lessons.open_lesson("stride")
    window.close_compare()  # one session (the lesson opens a second beside it)
    path = tmp_path / "stride.gif"
    heard = []
    window.exporter.progressed.connect(lambda done, total: heard.append((done, total)))
    assert window.exporter.export_animation("gif", str(path), size=SIZE, fps=4, steps=range(2, 5))
    assert heard == [(1, 3), (2, 3), (3, 3)]
    assert window.status.currentMessage().startswith(f"exported {path} (3 frames")
    frames = imageio.imread(path, index=None)
    assert frames.shape == (3, SIZE[1], SIZE[0], 3)
    for frame, step in zip(frames, range(2, 5)):
        expected = image_array(render_frame(window.session, step, SIZE))
        assert np.abs(frame.astype(int) - expected.astype(int)).mean() < 0.5
    assert window.exporter.progress is None


def test_cancel_stops_the_export_and_leaves_no_file(window, tmp_path):
    path = tmp_path / "cancelled.mp4"
    exporter = window.exporter

    def cancel_after_two(done, total):
        if done == 2:
            button = exporter.progress.findChild(QtWidgets.QPushButton)
            assert button.text() == "Cancel"
            button.click()

    exporter.progressed.connect(cancel_after_two)
    assert not exporter.export_animation("mp4", str(path), size=SIZE, fps=4)
    assert os.listdir(tmp_path) == []
    assert window.status.currentMessage() == f"export cancelled: nothing was written to {path}"


def test_an_export_to_a_missing_folder_is_refused_in_words(window, tmp_path):
    target = tmp_path / "missing" / "out.gif"
    assert not window.exporter.export_animation("gif", str(target))
    assert f"the folder {target.parent} does not exist" in window.controls.error_label.text()


@pytest.mark.parametrize("panel", ["panels", "animation", "coverage"])
def test_export_a_panel_as_png(window, tmp_path, panel):
    path = tmp_path / f"{panel}.png"
    assert window.exporter.export_png(panel, str(path), size=(400, 320))
    picture = imageio.imread(path)
    assert picture.shape[:2] == (320, 400) and picture[..., :3].std() > 10


def test_while_comparing_the_export_shows_both_sessions_in_step(window, tmp_path):
    from convviz.gui.export import image_array
    from convviz.gui.render import render_frame

    window.lessons.open_lesson("stride")
    first, second = window.session, window.comparison.b
    path = tmp_path / "both.gif"
    half = (360, 340)
    assert window.exporter.export_animation("gif", str(path), size=(2 * half[0], half[1]), fps=4, steps=range(8, 10))
    frames = imageio.imread(path, index=None)
    assert frames.shape == (2, half[1], 2 * half[0], 3)
    for frame, step in zip(frames, range(8, 10)):
        left = image_array(render_frame(first, min(step, first.steps - 1), half, f"A: {first.spec.describe()}"))
        right = image_array(render_frame(second, step, half, f"B: {second.spec.describe()}"))
        assert np.abs(frame[:, : half[0]].astype(int) - left).mean() < 0.5
        assert np.abs(frame[:, half[0]:].astype(int) - right).mean() < 0.5


def test_presentation_mode_enlarges_the_lesson_text_and_keeps_its_dock(window):
    window.lessons.open_lesson("valid-padding")
    panel = window.lessons.panel
    before = (panel.title_label.font().pointSizeF(), panel.browser.font().pointSizeF())
    window.set_presentation(True)
    after = (panel.title_label.font().pointSizeF(), panel.browser.font().pointSizeF())
    assert after[0] > before[0] and after[1] > before[1]
    assert window.lessons.dock.isVisible() and not window.timing_dock.isVisible()
    window.set_presentation(False)
    assert (panel.title_label.font().pointSizeF(), panel.browser.font().pointSizeF()) == before
