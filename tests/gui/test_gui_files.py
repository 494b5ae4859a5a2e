"""File actions say why they fail, beside the controls and in the status bar, and lose nothing."""

import json
import os

import pytest

pytest.importorskip("PyQt6")
pytest.importorskip("pyqtgraph")

from PyQt6 import QtGui  # noqa: E402

from convviz.core import ConvSpec  # noqa: E402

# files ------------------------------------------------------------------------------------------

def _said(window, *parts):
    """The File action's message is beside the controls and in the status bar."""
    label = window.controls.error_label
    message = window.status.currentMessage()
    return label.isVisible() and all(part in label.text() and part in message for part in parts)


def test_saving_the_spec_to_a_folder_or_a_missing_folder_says_why(window, tmp_path):
    assert not window.save_spec(str(tmp_path))
    assert _said(window, f"cannot write the spec to {tmp_path}", "it is a folder")
    target = tmp_path / "no such folder" / "spec.json"
    assert not window.save_spec(str(target))
    assert _said(window, "cannot write the spec", "does not exist")
    assert not target.exists()


def test_saving_the_spec_says_where_and_clears_the_last_file_error(window, tmp_path):
    assert not window.save_spec(str(tmp_path))
    window.session.update_spec(stride=[2, 2])
    path = tmp_path / "lesson.json"
    assert window.save_spec(str(path))
    assert window.status.currentMessage() == f"saved spec to {path}"
    assert not window.controls.error_label.isVisible()
    assert ConvSpec.from_dict(json.loads(path.read_text())) == window.session.spec


def test_a_spec_error_is_not_cleared_by_a_successful_save(window, tmp_path):
    window.controls.kernel_h.setValue(9)
    message = window.controls.error_label.text()
    assert "smaller than the kernel" in message
    assert window.save_spec(str(tmp_path / "spec.json"))
    assert window.controls.error_label.isVisible() and window.controls.error_label.text() == message


def test_saving_a_screenshot_reports_failure_and_success(window, tmp_path):
    assert not window.save_screenshot(str(tmp_path))
    assert _said(window, "cannot write the screenshot", "it is a folder")
    path = tmp_path / "window.png"
    assert window.save_screenshot(str(path))
    assert window.status.currentMessage() == f"saved screenshot to {path}"
    image = QtGui.QImage(str(path))
    assert not image.isNull() and image.width() > 100


@pytest.mark.parametrize("name, content, expected", [
    ("missing.json", None, "cannot read spec file"),
    ("folder", "folder", "cannot read spec file"),
    ("latin1.json", b"\xff\xfe{", "is not UTF-8 text"),
    ("broken.json", b'{"input_shape": [1, 1, 7, 7],', "is not valid JSON"),
    ("list.json", b"[1, 2]", "must hold a JSON object"),
    ("unknown.json", b'{"colour": "red"}', "unknown spec field 'colour'"),
    ("huge.json", json.dumps({"input_shape": [1, 1, 5000, 5000], "kernel_size": [3, 3]}).encode(),
     "too big to animate"),
])
def test_opening_a_spec_that_cannot_be_used_says_why(window, tmp_path, name, content, expected):
    path = tmp_path / name
    if content == "folder":
        path.mkdir()
    elif content is not None:
        path.write_bytes(content)
    before = window.session.spec
    assert not window.open_spec(str(path))
    assert _said(window, expected)
    assert window.session.spec == before


def test_opening_a_spec_says_what_was_opened(window, tmp_path):
    path = tmp_path / "lesson.json"
    path.write_text(json.dumps({"input_shape": [1, 1, 9, 9], "kernel_size": [3, 3], "stride": [2, 2]}))
    assert window.open_spec(str(path))
    assert window.session.spec.stride == (2, 2)
    assert window.status.currentMessage() == f"opened spec {path}"


def test_opening_an_image_that_cannot_be_used_says_why(window, tmp_path):
    assert not window.open_image(str(tmp_path))
    assert _said(window, "cannot read image", "it is a folder")
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    assert not window.open_image(str(fifo))  # at once: nothing waits for a writer
    assert _said(window, "it is a pipe")
    assert not window.open_spec(str(fifo))
    assert _said(window, "it is a pipe")
    (tmp_path / "text.png").write_text("not a picture")
    assert not window.open_image(str(tmp_path / "text.png"))
    assert _said(window, "is not an image convviz can read")
    assert not window.open_image(str(tmp_path / "missing.png"))
    assert _said(window, "cannot read", "No such file or directory")
