"""Scenes: versioned JSON of a session, read back exactly, every malformed file refused in words."""

import json

import numpy as np
import pytest
from helpers.blocked_imports import run_without_qt_and_cupy

from convviz.core import ConvSpec, ConvSpecError
from convviz.session import Session
from convviz.session.files import load_spec_file
from convviz.session.scene import SCENE_VERSION, Scene, load_scene
from convviz.session.selection import parse_selection


def _scene_values(**changes):
    values = Scene(ConvSpec((1, 1, 7, 6), 1, 3, stride=(1, 2), padding="same")).to_dict()
    values.update(changes)
    return values


def _write(tmp_path, values, name="scene.json"):
    path = tmp_path / name
    path.write_text(values if isinstance(values, str) else json.dumps(values), encoding="utf-8")
    return path


def test_a_session_saved_as_a_scene_comes_back_the_same(tmp_path):
    spec = ConvSpec((1, 1, 8, 9), 1, (3, 2), stride=(2, 1), padding=(1, 0, 2, 1), dilation=(1, 2),
                    padding_mode="circular")
    session = Session(spec, pattern="checkerboard", preset="gaussian", seed=5)
    rng = np.random.default_rng(11)
    session.set_weights(rng.standard_normal(spec.kernel_size))
    session.set_speed(8.0)
    session.set_step(7)
    session.select(parse_selection("weight:1,0"))
    compare = spec.replace(padding="valid")
    scene = Scene.of_session(session, title="My scene", explanation=["First.", "  ", "Second."], compare=compare)
    path = _write(tmp_path, scene.to_json())
    loaded = load_scene(path)
    assert loaded == scene
    assert loaded.explanation == ("First.", "Second.") and loaded.compare == compare and loaded.step == 8
    again = loaded.session()
    assert again.spec == spec and again.pattern == "checkerboard" and again.seed == 5
    assert again.preset == "custom" and np.array_equal(again.weights, session.weights)
    assert np.array_equal(again.output, session.output) and np.array_equal(again.input, session.input)
    assert (again.step, again.speed, again.selection_target) == (7, 8.0, session.selection_target)
    assert Scene.of_session(again, "My scene", ["First.", "Second."], compare) == scene


def test_an_image_from_a_file_is_saved_as_the_sample_image():
    session = Session(ConvSpec((1, 1, 6, 6), 1, 3))
    session.set_pattern("image file", image=np.arange(64.0).reshape(8, 8))
    assert Scene.of_session(session).pattern == "sample image"


def test_a_spec_file_may_be_a_scene_and_its_spec_is_used(tmp_path):
    path = _write(tmp_path, _scene_values())
    assert ConvSpec.from_dict(load_spec_file(path)) == ConvSpec((1, 1, 7, 6), 1, 3, stride=(1, 2), padding="same")


@pytest.mark.parametrize("changes, words", [
    ({"version": SCENE_VERSION + 1}, f"version {SCENE_VERSION + 1}, written by a newer convviz"),
    ({"version": "1"}, "whole-number version"),
    ({"version": 0}, "scene version 0 does not exist"),
    ({"format": "something else"}, '"format": "convviz-scene"'),
    ({"colour": "red"}, "unknown scene field 'colour'"),
    ({"spec": [1, 2]}, "spec must be a JSON object"),
    ({"spec": {"input_shape": [1, 1, 3, 3], "kernel_size": 5}}, "spec: padded input 3×3 is smaller than the kernel 5×5"),
    ({"compare": {"input_shape": [1, 1, 2000, 2000]}}, "compare: the padded input 2000×2000 is too big to animate"),
    ({"pattern": "plaid"}, "pattern 'plaid' is not one of"),
    ({"preset": "emboss"}, "preset 'emboss' is not one of"),
    ({"preset": "custom"}, 'preset "custom" needs weights: 3 rows of 3 numbers'),
    ({"preset": "custom", "weights": [[1, 2, 3]] * 2}, "3 rows of 3 numbers"),
    ({"preset": "custom", "weights": [[1, 2, None]] * 3}, "weights must be finite numbers"),
    ({"weights": [[1, 2, 3]] * 3}, 'weights are only read with preset "custom"'),
    ({"step": 0}, "step 0 is outside 1…21 (this spec has steps 1–21, one per output cell, 7×3)"),
    ({"step": 22}, "step 22 is outside 1…21"),
    ({"step": 2.5}, "step must be a whole number"),
    ({"speed": 0}, "speed must be a number of steps per second above 0"),
    ({"speed": "fast"}, "speed must be a number"),
    ({"selection": "output:7,0"}, "output cell 7,0 is outside the 7×3 output"),
    ({"selection": "middle"}, "a selection is written output:I,J"),
    ({"selection": 3}, "selection must be text"),
    ({"title": ["a"]}, "title must be text"),
    ({"explanation": [1, 2]}, "explanation must be text or a list of paragraphs"),
])
def test_a_malformed_scene_is_refused_with_the_reason(tmp_path, changes, words):
    path = _write(tmp_path, _scene_values(**changes))
    with pytest.raises(ConvSpecError) as error:
        load_scene(path)
    message = str(error.value)
    assert message.startswith(f"scene file {path}: ") and words in message, message
    assert "\n" not in message


@pytest.mark.parametrize("content, words", [
    ("{", "is not valid JSON"),
    ("[]", "a scene must be a JSON object (got a list)"),
    ('{"format": "convviz-scene", "version": 1}', "a scene needs a spec"),
])
def test_a_file_that_is_no_scene_is_refused_with_the_reason(tmp_path, content, words):
    path = _write(tmp_path, content)
    with pytest.raises(ConvSpecError) as error:
        load_scene(path)
    assert words in str(error.value)
    with pytest.raises(ConvSpecError):
        load_scene(tmp_path / "missing.json")


def test_an_explanation_given_as_one_text_is_one_paragraph(tmp_path):
    scene = load_scene(_write(tmp_path, _scene_values(explanation="Only this.")))
    assert scene.explanation == ("Only this.",)


def test_scenes_need_no_qt():
    run_without_qt_and_cupy(
        """
        from convviz.session.scene import lesson_names, load_lesson
        for name in lesson_names():
            session = load_lesson(name).session()
            session.last()
        """
    )
