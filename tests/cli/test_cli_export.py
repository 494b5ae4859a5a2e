"""`convviz export`: GIF, MP4, PNG and scene files, headless; every frame is the frame the session
renders offscreen; refusals come before any rendering, as one line with exit 2; nothing
half-written is ever left behind."""

import json
import os
import sys

import numpy as np
import pytest

pytest.importorskip("PyQt6")
imageio = pytest.importorskip("imageio.v3")

from convviz.cli import main  # noqa: E402
from convviz.core import ConvSpec  # noqa: E402
from convviz.session.export import ExportTarget  # noqa: E402
from convviz.session.scene import Scene, load_lesson, load_scene  # noqa: E402

SIZE = (360, 300)
SIZE_TEXT = f"{SIZE[0]}x{SIZE[1]}"


@pytest.fixture
def renders(qapp):
    """Frames of a session drawn by render.render_frame (a fresh offscreen view per frame)."""
    from convviz.gui.export import image_array
    from convviz.gui.render import render_frame

    def render(session, step, size=SIZE, caption=""):
        image = render_frame(session, step, size, caption)
        assert (image.width(), image.height()) == size  # large enough to need no fitting
        return image_array(image)

    return render


def _difference(first, second) -> float:
    return float(np.abs(first.astype(np.int16) - second.astype(np.int16)).mean())


def _run(capsys, *argv):
    code = main(["export", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("kind, tolerance", [("gif", 0.5), ("mp4", 2.0)])
def test_an_animation_has_one_frame_per_step_each_the_step_the_session_renders(tmp_path, capsys, renders, kind,
                                                                               tolerance):
    path = tmp_path / f"stride.{kind}"
    code, out, err = _run(capsys, "--lesson", "stride", "--no-compare", f"--{kind}", str(path), "--size", SIZE_TEXT,
                          "--steps", "2:4", "--fps", "5")
    assert code == 0, err
    assert f"wrote {path} (3 frames, {SIZE[0]}×{SIZE[1]}, 5 per second)" in out
    assert "3/3 frames" in err and "exporting [" in err
    frames = imageio.imread(path, index=None)
    assert frames.shape == (3, SIZE[1], SIZE[0], 3)
    session = load_lesson("stride").session()
    expected = [renders(session, step) for step in range(5)]  # the three steps and their neighbours
    for index, frame in enumerate(frames):
        distances = [_difference(frame, picture) for picture in expected]
        assert distances[index + 1] < tolerance, distances
        assert int(np.argmin(distances)) == index + 1, distances  # its own step, not a neighbour
    assert session.step == 0  # rendering never moves the session
    if kind == "gif":
        from PIL import Image

        with Image.open(path) as gif:
            assert gif.n_frames == 3 and gif.info["duration"] == 200 and gif.info["loop"] == 0
    else:
        assert imageio.immeta(path, plugin="FFMPEG")["fps"] == 5
    assert sorted(os.listdir(tmp_path)) == [path.name]


def test_a_lesson_that_compares_two_specs_exports_both_side_by_side_in_step(tmp_path, capsys, renders):
    path = tmp_path / "both.gif"
    half = (SIZE[0], SIZE[1] + 40)  # room for the A / B captions over the panels
    code, out, err = _run(capsys, "--lesson", "stride", "--gif", str(path), "--size", f"{2 * half[0]}x{half[1]}",
                          "--steps", "9:11")
    assert code == 0, err
    frames = imageio.imread(path, index=None)
    assert frames.shape == (3, half[1], 2 * half[0], 3)
    scene = load_lesson("stride")
    first, second = scene.session(), scene.compare_session()
    assert (first.steps, second.steps) == (9, 25)
    captions = [f"{name}: {session.spec.describe()}" for name, session in (("A", first), ("B", second))]
    for frame, step in zip(frames, range(8, 11)):
        left, right = frame[:, : SIZE[0]], frame[:, SIZE[0]:]
        # A waits at its last step
        assert _difference(left, renders(first, min(step, first.steps - 1), half, captions[0])) < 0.5
        assert _difference(right, renders(second, step, half, captions[1])) < 0.5
    assert _difference(frames[1][:, SIZE[0]:], renders(second, 8, half, captions[1])) > _difference(
        frames[1][:, SIZE[0]:], renders(second, 9, half, captions[1]))


def test_a_png_is_exactly_the_rendered_frame_of_the_step_asked_for(tmp_path, capsys, renders):
    path = tmp_path / "frame.png"
    code, out, err = _run(capsys, "--lesson", "dilation", "--no-compare", "--png", str(path), "--size", SIZE_TEXT,
                          "--steps", "4")
    assert code == 0, err
    picture = imageio.imread(path)[..., :3]
    assert np.array_equal(picture, renders(load_lesson("dilation").session(), 3))


@pytest.mark.parametrize("panel", ["animation", "output", "coverage", "window"])
def test_a_png_of_one_panel_or_the_window(tmp_path, capsys, panel):
    path = tmp_path / f"{panel}.png"
    code, out, err = _run(capsys, "--lesson", "border-information", "--png", str(path), "--panel", panel,
                          "--size", "640x400")
    assert code == 0, err
    picture = imageio.imread(path)
    assert picture.shape[:2] == (400, 640) and picture[..., :3].std() > 10


def test_a_scene_export_keeps_the_lesson_and_the_flags_given_beside_it(tmp_path, capsys):
    path = tmp_path / "mine.json"
    code, out, err = _run(capsys, "--lesson", "dilation", "--stride", "2", "--scene", str(path))
    assert code == 0, err
    scene, lesson = load_scene(path), load_lesson("dilation")
    assert scene.spec == lesson.spec.replace(stride=(2, 2))
    assert (scene.title, scene.explanation, scene.compare) == (lesson.title, lesson.explanation, lesson.compare)
    code, out, err = _run(capsys, "--spec", str(path), "--scene", str(tmp_path / "again.json"))
    assert code == 0 and load_scene(tmp_path / "again.json") == scene


@pytest.mark.parametrize("argv, words", [
    (["--gif", "{tmp}"], "cannot write the GIF export to {tmp}: it is a folder"),
    (["--gif", "{tmp}/out.mp4"], "a GIF export is written to a .gif file (got {tmp}/out.mp4)"),
    (["--mp4", "{tmp}/no such folder/out.mp4"], "the folder {tmp}/no such folder does not exist"),
    (["--gif", "{tmp}/out.gif", "--steps", "0:3"], "--steps 0:3 is not a range of this spec's steps 1–25"),
    (["--gif", "{tmp}/out.gif", "--steps", "two"], "--steps must be A:B"),
    (["--gif", "{tmp}/out.gif", "--size", "20x20"], "--size width 20 is outside 64…4096 pixels"),
    (["--gif", "{tmp}/out.gif", "--size", "big"], "--size must be WIDTHxHEIGHT"),
    (["--gif", "{tmp}/out.gif", "--fps", "0"], "--fps must be above 0 and at most 50 for GIF"),
    (["--mp4", "{tmp}/out.mp4", "--panel", "window"], "--panel window is for --png only"),
    (["--lesson", "nope", "--gif", "{tmp}/out.gif"], "no lesson called 'nope'"),
    (["--lesson", "stride", "--spec", "x.json", "--gif", "{tmp}/out.gif"], "give --spec or --lesson, not both"),
    (["--input", "2000", "--gif", "{tmp}/out.gif"], "too big to animate"),
])
def test_a_bad_export_is_refused_in_one_line_before_any_frame_is_rendered(tmp_path, capsys, monkeypatch, argv,
                                                                          words):
    import convviz.gui.export as export

    def no_rendering(*args, **kwargs):
        raise AssertionError("rendered before refusing")

    monkeypatch.setattr(export.FrameRenderer, "__init__", no_rendering)
    argv = [part.format(tmp=tmp_path) for part in argv]
    code, out, err = _run(capsys, *argv)
    assert code == 2 and words.format(tmp=tmp_path) in err, err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert os.listdir(tmp_path) == []


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="root writes into read-only folders")
def test_an_unwritable_folder_is_refused(tmp_path, capsys):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        code, out, err = _run(capsys, "--gif", str(folder / "out.gif"))
    finally:
        folder.chmod(0o700)
    assert code == 2 and f"the folder {folder} is not writable" in err


def test_a_folder_that_takes_no_new_file_is_refused_before_rendering(tmp_path, capsys, monkeypatch):
    import pathlib

    def refuse(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(pathlib.Path, "touch", refuse)
    code, out, err = _run(capsys, "--gif", str(tmp_path / "out.gif"))
    assert code == 2 and f"cannot write {tmp_path / 'out.gif'}: Permission denied" in err


def test_a_missing_encoder_is_said_in_one_line(tmp_path, capsys, monkeypatch):
    import imageio_ffmpeg

    def no_ffmpeg():
        raise RuntimeError("No ffmpeg exe could be found")

    monkeypatch.setattr(imageio_ffmpeg, "get_ffmpeg_exe", no_ffmpeg)
    code, out, err = _run(capsys, "--mp4", str(tmp_path / "out.mp4"))
    assert code == 2 and "MP4 export needs ffmpeg, and imageio-ffmpeg found none" in err
    monkeypatch.setitem(sys.modules, "PIL", None)
    code, out, err = _run(capsys, "--gif", str(tmp_path / "out.gif"))
    assert code == 2 and "GIF export needs Pillow" in err
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("kind", ["gif", "mp4"])
def test_a_cancelled_export_leaves_no_file_and_an_earlier_file_whole(tmp_path, qapp, kind):
    from convviz.gui.export import export_animation
    from convviz.session import Session

    path = tmp_path / f"out.{kind}"
    path.write_bytes(b"earlier")
    session = Session(ConvSpec((1, 1, 6, 6), 1, 3))
    export = export_animation(session, ExportTarget.of(path, kind), range(session.steps), 4, SIZE)
    assert next(export) == (1, 16) and next(export) == (2, 16)
    assert len(os.listdir(tmp_path)) == 2  # the file being written is hidden beside the target
    export.close()
    assert os.listdir(tmp_path) == [path.name] and path.read_bytes() == b"earlier"


def test_an_export_that_fails_midway_leaves_no_file(tmp_path, qapp, monkeypatch):
    from convviz.gui import export as export_module
    from convviz.session import Session

    calls = []

    def failing(self, step):
        calls.append(step)
        if len(calls) == 3:
            raise RuntimeError("the renderer broke")
        return np.zeros((SIZE[1], SIZE[0], 3), np.uint8)

    monkeypatch.setattr(export_module.FrameRenderer, "array", failing)
    session = Session(ConvSpec((1, 1, 6, 6), 1, 3))
    with pytest.raises(RuntimeError, match="the renderer broke"):
        for _ in export_module.export_animation(session, ExportTarget.of(tmp_path / "out.gif", "gif"),
                                                range(6), 4, SIZE):
            pass
    assert os.listdir(tmp_path) == []


def test_the_spec_flags_of_any_command_take_a_lesson_or_a_scene_file(tmp_path, capsys):
    assert main(["plan", "--lesson", "stride-past-kernel", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["unread_rows"] == [2, 5] and record["output_shape"] == [1, 1, 3, 3]
    path = tmp_path / "scene.json"
    path.write_text(Scene(ConvSpec((1, 1, 9, 9), 1, 3, stride=2)).to_json())
    assert main(["plan", "--spec", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["output_shape"] == [1, 1, 4, 4]


def test_an_export_through_a_symlink_replaces_the_file_it_names(tmp_path, capsys):
    real = tmp_path / "real.gif"
    real.write_bytes(b"old")
    link = tmp_path / "link.gif"
    link.symlink_to(real)
    code, out, err = _run(capsys, "--input", "4", "--kernel", "3", "--gif", str(link), "--size", "200x150")
    assert code == 0, err
    assert link.is_symlink() and imageio.imread(real, index=None).shape == (4, 150, 200, 3)
    assert sorted(os.listdir(tmp_path)) == ["link.gif", "real.gif"]


def test_presentation_frames_are_drawn_in_the_presentation_theme(tmp_path, capsys, qapp):
    from convviz.gui.export import FrameRenderer
    from convviz.gui.theme import PRESENTATION

    plain, large = tmp_path / "plain.png", tmp_path / "large.png"
    for path, extra in ((plain, []), (large, ["--presentation"])):
        code, out, err = _run(capsys, "--lesson", "valid-padding", "--png", str(path), "--size", "640x480", *extra)
        assert code == 0, err
    with FrameRenderer(load_lesson("valid-padding").session(), (640, 480), theme=PRESENTATION) as renderer:
        expected = renderer.array(0)
    picture = imageio.imread(large)[..., :3]
    assert np.array_equal(picture, expected)
    assert _difference(picture, imageio.imread(plain)[..., :3]) > 5
