"""Spec files: JSON documents of ConvSpec's fields, read with every failure said in words."""

from __future__ import annotations

import json
from pathlib import Path

from ..core import ConvSpec, ConvSpecError


def load_spec_file(path) -> dict:
    """Spec fields from a JSON file (JSON only: nothing in it is executed)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise ConvSpecError(f"cannot read spec file {path}: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise ConvSpecError(f"spec file {path} is not UTF-8 text") from None
    except ValueError:  # a NUL in the name: no file can be called that
        raise ConvSpecError(f"cannot read spec file {path!r}: a file name cannot hold a NUL character") from None
    try:
        values = json.loads(text)
    except json.JSONDecodeError as error:
        raise ConvSpecError(f"spec file {path} is not valid JSON: {error.msg} at line {error.lineno}") from None
    except RecursionError:
        raise ConvSpecError(f"spec file {path} nests too deeply to be a spec") from None
    if not isinstance(values, dict):
        raise ConvSpecError(f"spec file {path} must hold a JSON object of spec fields")
    ConvSpec.from_dict(values)
    return values
