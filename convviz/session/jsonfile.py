"""A JSON file read with every failure said in words (spec files and scene files both use it)."""

from __future__ import annotations

import json

from ..core import ConvSpecError
from .safe_io import read_text_file


def read_json_file(path, what: str = "spec file"):
    """The parsed JSON of a file (JSON only: nothing in it is executed); `what` names it in errors."""
    text = read_text_file(path, what)
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ConvSpecError(f"{what} {path} is not valid JSON: {error.msg} at line {error.lineno}") from None
    except RecursionError:
        raise ConvSpecError(f"{what} {path} nests too deeply to be a spec") from None
    except ValueError as error:  # e.g. an integer of more digits than Python converts
        raise ConvSpecError(f"{what} {path} is not a spec: {error}") from None
