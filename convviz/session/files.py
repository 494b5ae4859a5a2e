"""Spec files: JSON documents of ConvSpec's fields, read with every failure said in words.
A scene file (convviz.session.scene) is read as a spec file too: its spec is used."""

from __future__ import annotations

import json
from pathlib import Path

from ..core import ConvSpec, ConvSpecError


def read_json_file(path, what: str = "spec file"):
    """The parsed JSON of a file (JSON only: nothing in it is executed); `what` names it in errors."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise ConvSpecError(f"cannot read {what} {path}: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise ConvSpecError(f"{what} {path} is not UTF-8 text") from None
    except ValueError:  # a NUL in the name: no file can be called that
        raise ConvSpecError(f"cannot read {what} {path!r}: a file name cannot hold a NUL character") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ConvSpecError(f"{what} {path} is not valid JSON: {error.msg} at line {error.lineno}") from None
    except RecursionError:
        raise ConvSpecError(f"{what} {path} nests too deeply to be a spec") from None


def load_spec_file(path) -> dict:
    """Spec fields from a JSON file: a spec, or a scene (whose spec is used)."""
    from .scene import is_scene, scene_from_json

    values = read_json_file(path)
    if is_scene(values):
        return scene_from_json(values, path).spec.to_dict()
    if not isinstance(values, dict):
        raise ConvSpecError(f"spec file {path} must hold a JSON object of spec fields")
    ConvSpec.from_dict(values)
    return values
