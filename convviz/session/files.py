"""Spec files: JSON documents of ConvSpec's fields, read with every failure said in words.
A scene file (convviz.session.scene) is read as a spec file too: its spec is used."""

from __future__ import annotations

from ..core import ConvSpec, ConvSpecError
from .jsonfile import read_json_file
from .safe_io import MAX_SPEC_BYTES, FileRefused, check_output_path, read_bytes_file, read_text_file, write_atomic
from .scene import is_scene, scene_from_json

__all__ = ["MAX_SPEC_BYTES", "FileRefused", "check_output_path", "load_spec_file", "read_bytes_file",
           "read_text_file", "write_atomic"]


def load_spec_file(path) -> dict:
    """Spec fields from a JSON file: a spec, or a scene (whose spec is used)."""
    values = read_json_file(path)
    if is_scene(values):
        return scene_from_json(values, path).spec.to_dict()
    if not isinstance(values, dict):
        raise ConvSpecError(f"spec file {path} must hold a JSON object of spec fields")
    ConvSpec.from_dict(values)
    return values
