"""Where convviz's resources live: beside the package in a checkout, inside it when installed."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent


def resources_dir() -> Path:
    for candidate in (_PACKAGE / "resources", _PACKAGE.parent / "resources"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("convviz resources folder not found (is the package installed completely?)")


def resource(*parts: str) -> Path:
    return resources_dir().joinpath(*parts)
