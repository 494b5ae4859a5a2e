"""Scenes: a convolution being explored, saved as versioned JSON (a lesson is a shipped scene).

A scene holds the spec, the input pattern and kernel preset (or custom weights), the seed, the
step (counted from 1, as the window and --step count), the selection (its text form,
"output:I,J", cells counted from 0), the playback speed, an optional second spec
to compare with, and an explanation (a title and a few short paragraphs). Reading one refuses,
in words, anything malformed, unknown or from a newer convviz. No Qt here.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..core import ConvSpec, ConvSpecError
from ..core.resources import resource
from .jsonfile import read_json_file
from .patterns import INPUT_PATTERNS, KERNEL_PRESETS

SCENE_FORMAT = "convviz-scene"
SCENE_VERSION = 2
"""The newest version this convviz reads; a file of a newer version is refused. A scene is written
with the oldest version that holds it: 2 only when it draws a transposed convolution as a scatter."""
VERSION_FIELDS = {"transposed_view": 2}
"""Fields that an older version does not have, with the version that brought them."""
MAX_SPEED = 240.0
_NUMBER_LIST = re.compile(r"\[\s*((?:-?[\d.eE+-]+,?\s*)+)\]")
SCENE_FIELDS = ("format", "version", "title", "explanation", "spec", "pattern", "preset", "weights", "seed",
                "step", "selection", "speed", "compare", "transposed_view")


@dataclass(frozen=True)
class Scene:
    """One saved view of a convolution. `weights` is set only when `preset` is "custom"."""

    spec: ConvSpec
    pattern: str = "random integers"
    preset: str = "sobel x"
    weights: tuple[tuple[float, ...], ...] | None = None
    seed: int = 0
    step: int = 1
    selection: str | None = None
    speed: float = 4.0
    compare: ConvSpec | None = None
    title: str = ""
    explanation: tuple[str, ...] = field(default=())
    transposed_view: str = "direct"
    """How a transposed convolution is drawn: "direct" or "scatter" (one step per input cell)."""

    @property
    def version(self) -> int:
        """The oldest scene version that holds this scene."""
        return 2 if self.transposed_view != "direct" else 1

    def to_dict(self) -> dict:
        values = {"format": SCENE_FORMAT, "version": self.version, "title": self.title,
                  "explanation": list(self.explanation), "spec": self.spec.to_dict(),
                  "pattern": self.pattern, "preset": self.preset}
        if self.weights is not None:
            values["weights"] = [list(row) for row in self.weights]
        values.update(seed=self.seed, step=self.step, selection=self.selection, speed=self.speed,
                      compare=None if self.compare is None else self.compare.to_dict())
        if self.transposed_view != "direct":
            values["transposed_view"] = self.transposed_view
        return values

    def to_json(self) -> str:
        """Indented JSON with lists of numbers kept on one line each."""
        text = json.dumps(self.to_dict(), indent=2, ensure_ascii=False)
        return _NUMBER_LIST.sub(lambda match: "[" + " ".join(match.group(1).split()) + "]",
                                text) + "\n"

    @classmethod
    def from_dict(cls, values) -> Scene:
        """A scene from parsed JSON; ConvSpecError says what is wrong, field by field."""
        if not isinstance(values, dict):
            raise ConvSpecError(f"a scene must be a JSON object (got {_json_type(values)})")
        if values.get("format") != SCENE_FORMAT:
            raise ConvSpecError(f'a scene needs "format": "{SCENE_FORMAT}" (got {values.get("format")!r})')
        version = values.get("version")
        if isinstance(version, bool) or not isinstance(version, int):
            raise ConvSpecError(f"a scene needs a whole-number version (got {version!r})")
        if version > SCENE_VERSION:
            raise ConvSpecError(f"the scene is version {version}, written by a newer convviz; this one reads "
                                f"version {SCENE_VERSION}")
        if version < 1:
            raise ConvSpecError(f"scene version {version} does not exist (versions start at 1)")
        unknown = sorted(set(values) - set(SCENE_FIELDS))
        if unknown:
            raise ConvSpecError(f"unknown scene field {unknown[0]!r}; known fields are {', '.join(SCENE_FIELDS)}")
        for name, since in VERSION_FIELDS.items():
            if name in values and version < since:
                raise ConvSpecError(f"{name} needs scene version {since} or later (the scene is version {version})")
        if "spec" not in values:
            raise ConvSpecError("a scene needs a spec")
        spec = _spec(values["spec"], "spec")
        transposed_view = _transposed_view(values.get("transposed_view", "direct"), spec)
        compare = None if values.get("compare") is None else _spec(values["compare"], "compare")
        pattern = _choice(values.get("pattern", "random integers"), "pattern", INPUT_PATTERNS)
        preset = _choice(values.get("preset", "sobel x"), "preset", (*KERNEL_PRESETS, "custom"))
        weights = _weights(values.get("weights"), preset, spec)
        seed = _whole(values.get("seed", 0), "seed", 0, 2**32 - 1)
        steps, each = _steps(spec, transposed_view)
        step = _whole(values.get("step", 1), "step", 1, steps, f"this spec has steps 1–{steps}, {each}")
        speed = values.get("speed", 4.0)
        if isinstance(speed, bool) or not isinstance(speed, (int, float)) or not math.isfinite(speed) \
                or not 0 < speed <= MAX_SPEED:
            raise ConvSpecError(f"speed must be a number of steps per second above 0 and at most {MAX_SPEED:g} "
                                f"(got {speed!r})")
        selection = values.get("selection")
        if selection is not None:
            selection = _selection(selection, spec)
        title = values.get("title", "")
        if not isinstance(title, str):
            raise ConvSpecError(f"title must be text (got {_json_type(title)})")
        explanation = values.get("explanation", [])
        if isinstance(explanation, str):
            explanation = [explanation]
        if not isinstance(explanation, list) or not all(isinstance(part, str) for part in explanation):
            raise ConvSpecError("explanation must be text or a list of paragraphs (text)")
        return cls(spec=spec, pattern=pattern, preset=preset, weights=weights, seed=seed, step=step,
                   selection=selection, speed=float(speed), compare=compare, title=title.strip(),
                   explanation=tuple(part.strip() for part in explanation if part.strip()),
                   transposed_view=transposed_view)

    # sessions ------------------------------------------------------------------------------------
    @classmethod
    def of_session(cls, session, title: str = "", explanation=(), compare: ConvSpec | None = None) -> Scene:
        """The scene a session shows now. A picture opened from a file is not stored: the scene
        keeps the sample image in its place (see `pattern_note`)."""
        pattern = "sample image" if session.pattern == "image file" else session.pattern
        weights = None
        if session.preset == "custom":
            weights = tuple(tuple(float(value) for value in row) for row in session.weights)
        return cls(spec=session.spec, pattern=pattern, preset=session.preset, weights=weights,
                   seed=int(session.seed), step=int(session.step) + 1, selection=_session_selection(session),
                   speed=float(session.speed), compare=compare, title=title.strip(),
                   explanation=tuple(part.strip() for part in explanation if part.strip()),
                   transposed_view="scatter" if session.scatter_shown else "direct")

    def apply(self, session) -> None:
        """Make `session` show this scene (its spec, data, speed, step and selection)."""
        if not session.set_spec(self.spec):
            raise ConvSpecError(session.error)
        session.pause()
        session.reseed(self.seed)
        session.set_pattern(self.pattern)
        if self.weights is not None:
            session.set_weights(np.array(self.weights, dtype=np.float64))
        else:
            session.set_preset(self.preset)
        session.set_speed(self.speed)
        session.set_transposed_view(self.transposed_view)
        session.go_to_step(self.step)
        _select(session, self.selection)

    def compare_session(self, backend: str = "numpy"):
        """B of compare mode (None without a compare spec): the compare spec over this scene's
        data (pattern, seed, preset or weights when the kernel sizes agree) at its speed."""
        from .session import Session

        if self.compare is None:
            return None
        session = Session(self.compare, pattern=self.pattern,
                          preset="box blur" if self.preset == "custom" else self.preset,
                          backend=backend, seed=self.seed)
        if self.weights is not None and tuple(self.compare.kernel_size) == tuple(self.spec.kernel_size):
            session.set_weights(np.array(self.weights, dtype=np.float64))
        session.set_speed(self.speed)
        session.set_transposed_view(self.transposed_view)
        return session

    def session(self, backend: str = "numpy"):
        """A new Session showing this scene."""
        from .session import Session

        session = Session(self.spec, pattern=self.pattern,
                          preset="box blur" if self.preset == "custom" else self.preset,
                          backend=backend, seed=self.seed)
        self.apply(session)
        return session


# reading and writing -------------------------------------------------------------------------------
def is_scene(values) -> bool:
    """Whether parsed JSON claims to be a scene (a spec file never has a "format" field)."""
    return isinstance(values, dict) and "format" in values


def scene_from_json(values, path) -> Scene:
    try:
        return Scene.from_dict(values)
    except ConvSpecError as error:
        raise ConvSpecError(f"scene file {path}: {error}") from None


def load_scene(path) -> Scene:
    """A scene from a JSON file, every problem said in words with the file's name."""
    return scene_from_json(read_json_file(path, "scene file"), path)


def scene_bytes(scene: Scene) -> bytes:
    return scene.to_json().encode("utf-8")


# lessons ---------------------------------------------------------------------------------------------
def lessons_dir() -> Path:
    return resource("lessons")


def lesson_names() -> list[str]:
    """The shipped lessons' names (file names without .json), in their order in the menu."""
    folder = lessons_dir()
    return sorted(path.stem for path in folder.glob("*.json")) if folder.is_dir() else []


def lesson_path(name: str) -> Path:
    """The file of lesson `name` ("03-border-information", "border-information", or its number
    "03" / "3"), or a scene file's own path when `name` is one."""
    names = lesson_names()
    for stem in names:
        number, _, title = stem.partition("-")
        if name in (stem, title) or (name.isdigit() and number.isdigit() and int(name) == int(number)):
            return lessons_dir() / f"{stem}.json"
    if name.endswith(".json") and Path(name).is_file():
        return Path(name)
    raise ConvSpecError(f"no lesson called {name!r}; the lessons are {', '.join(names)} "
                        "(or give the path of a scene .json file)")


def load_lesson(name: str) -> Scene:
    return load_scene(lesson_path(name))


# parts ---------------------------------------------------------------------------------------------
def _json_type(value) -> str:
    return {dict: "an object", list: "a list", str: "text", bool: "true/false", type(None): "null"}.get(
        type(value), "a number")


def _spec(values, name: str) -> ConvSpec:
    if not isinstance(values, dict):
        raise ConvSpecError(f"{name} must be a JSON object of spec fields (got {_json_type(values)})")
    try:
        spec = ConvSpec.from_dict(values)
    except ConvSpecError as error:
        raise ConvSpecError(f"{name}: {error}") from None
    from .session import check_drawable

    try:
        check_drawable(spec)
    except ConvSpecError as error:
        raise ConvSpecError(f"{name}: {error}") from None
    return spec


def _steps(spec: ConvSpec, transposed_view: str) -> tuple[int, str]:
    from .session import animation_steps

    return animation_steps(spec, transposed_view)


def _transposed_view(value, spec: ConvSpec) -> str:
    from .session import TRANSPOSED_VIEWS

    if value not in TRANSPOSED_VIEWS:
        raise ConvSpecError(f"transposed_view {value!r} is not one of {', '.join(TRANSPOSED_VIEWS)}")
    if value != "direct" and spec.operation != "conv_transpose":
        raise ConvSpecError(f'transposed_view "{value}" draws a transposed convolution; the spec is '
                            f"{spec.operation}")
    return value


def _choice(value, name: str, choices) -> str:
    if not isinstance(value, str) or value not in choices:
        raise ConvSpecError(f"{name} {value!r} is not one of {', '.join(choices)}")
    return value


def _whole(value, name: str, low: int, high: int, why: str = "") -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConvSpecError(f"{name} must be a whole number (got {value!r})")
    if not low <= value <= high:
        raise ConvSpecError(f"{name} {value} is outside {low}…{high}" + (f" ({why})" if why else ""))
    return value


def _weights(values, preset: str, spec: ConvSpec):
    if preset != "custom":
        if values is not None:
            raise ConvSpecError(f'weights are only read with preset "custom" (the preset is {preset!r})')
        return None
    kh, kw = spec.kernel_size
    if (not isinstance(values, list) or len(values) != kh
            or not all(isinstance(row, list) and len(row) == kw for row in values)):
        raise ConvSpecError(f'preset "custom" needs weights: {kh} rows of {kw} numbers (the kernel is {kh}×{kw})')
    for row in values:
        for value in row:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ConvSpecError(f"weights must be finite numbers (got {value!r})")
    return tuple(tuple(float(value) for value in row) for row in values)


def _selection(text, spec: ConvSpec) -> str:
    from ..core import plan
    from .selection import format_selection, parse_selection

    if not isinstance(text, str):
        raise ConvSpecError(f'selection must be text such as "output:0,1" (got {_json_type(text)})')
    target = parse_selection(text)
    target.check(plan(spec))
    return format_selection(target)


def _session_selection(session) -> str | None:
    from .selection import format_selection

    target = session.selection_target
    return None if target is None else format_selection(target)


def _select(session, text: str | None) -> None:
    from .selection import parse_selection

    if text is None:
        session.clear_selection()
    else:
        session.select(parse_selection(text))
