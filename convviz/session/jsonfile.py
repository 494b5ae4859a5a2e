"""A JSON file read with every failure said in words (spec files and scene files both use it)."""

from __future__ import annotations

import json
from pathlib import Path

from ..core import ConvSpecError


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
