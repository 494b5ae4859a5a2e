"""What the window remembers between runs (QSettings): last spec, geometry, playback speed,
kernel preset and input pattern. A value that cannot be read falls back to its default."""

from __future__ import annotations

import json

from PyQt6 import QtCore

from ..core import ConvSpec, ConvSpecError
from ..session.patterns import INPUT_PATTERNS, KERNEL_PRESETS

ORGANISATION, APPLICATION = "convviz", "convviz"


def open_settings() -> QtCore.QSettings:
    return QtCore.QSettings(ORGANISATION, APPLICATION)


def load_spec(settings: QtCore.QSettings) -> ConvSpec | None:
    try:
        text = settings.value("spec", None)
        if not isinstance(text, str) or not text:
            return None
        return ConvSpec.from_dict(json.loads(text))
    except (ConvSpecError, ValueError, TypeError):
        return None


def load_speed(settings: QtCore.QSettings, default: float) -> float:
    try:
        speed = float(settings.value("speed", default))
    except (TypeError, ValueError):
        return default
    return speed if 0 < speed <= 240 else default


def load_choice(settings: QtCore.QSettings, key: str, choices, default: str) -> str:
    value = settings.value(key, default)
    return value if isinstance(value, str) and value in choices else default


def load_preset(settings, default):
    return load_choice(settings, "preset", KERNEL_PRESETS, default)


def load_pattern(settings, default):
    # an image file is not remembered: fall back to the sample image
    value = load_choice(settings, "pattern", INPUT_PATTERNS, default)
    return "sample image" if value == "image file" else value


def load_geometry(settings: QtCore.QSettings):
    value = settings.value("geometry", None)
    return value if isinstance(value, (QtCore.QByteArray, bytes)) else None


def load_presentation(settings: QtCore.QSettings) -> bool:
    """Whether the window was in presentation mode when it was last closed."""
    value = settings.value("presentation", False)
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1")
    return value is True or value == 1


def save_presentation(settings: QtCore.QSettings, on: bool) -> None:
    settings.setValue("presentation", bool(on))
    settings.sync()


def save(settings: QtCore.QSettings, session, geometry) -> None:
    settings.setValue("spec", json.dumps(session.spec.to_dict()))
    settings.setValue("speed", float(session.speed))
    settings.setValue("preset", session.preset if session.preset in KERNEL_PRESETS else "sobel x")
    settings.setValue("pattern", session.pattern)
    if geometry is not None:
        settings.setValue("geometry", geometry)
    settings.sync()
