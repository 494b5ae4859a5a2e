"""What the window remembers between runs (QSettings): last spec, geometry, playback speed,
kernel preset and input pattern.

Every stored value is validated, and clamped where it has a range, when it is read back: a
value that cannot be used is dropped (removed from the store) and the default used, and a
note says so (the window shows the notes in its status bar). A settings file that is not a
regular file, or is too big to be convviz's, is moved aside before Qt reads it.
"""

from __future__ import annotations

import json
import math
import os
import stat

from PyQt6 import QtCore

from ..core import ConvSpec, ConvSpecError
from ..session.patterns import INPUT_PATTERNS, KERNEL_PRESETS
from ..session.session import SPEEDS, check_drawable

ORGANISATION, APPLICATION = "convviz", "convviz"
MAX_SETTINGS_BYTES = 1 * 2**20
"""A settings file larger than this is not convviz's (its own is a few kilobytes)."""
MAX_VALUE_CHARS = 64 * 2**10
"""Longest stored text value read (a spec is a few hundred characters, a geometry under 100 bytes)."""
SPEED_RANGE = (min(SPEEDS), 240.0)
"""Playback speeds a stored value is clamped to (steps per second)."""


def settings_path() -> str:
    """Where QSettings(ORGANISATION, APPLICATION) keeps its file on this platform (Linux: INI)."""
    folder = QtCore.QStandardPaths.writableLocation(QtCore.QStandardPaths.StandardLocation.GenericConfigLocation)
    return os.path.join(folder, ORGANISATION, f"{APPLICATION}.conf")


def set_aside_unusable_file(path: str) -> str | None:
    """Move a settings file that is not a regular file, or is too big, out of Qt's way (Qt
    would read it whole, or wait forever on a pipe); a note saying so, or None if it is fine."""
    try:
        info = os.lstat(path)
    except OSError:
        return None
    if stat.S_ISLNK(info.st_mode):
        try:
            info = os.stat(path)
        except OSError:
            return None
    if stat.S_ISREG(info.st_mode) and info.st_size <= MAX_SETTINGS_BYTES:
        return None
    why = "too big" if stat.S_ISREG(info.st_mode) else "not a regular file"
    aside = f"{path}.unusable"
    try:
        os.replace(path, aside)
    except OSError as error:
        return f"the settings file {path} is {why} and could not be moved aside ({error.strerror}); not using it"
    return f"the settings file {path} was {why}: moved it to {aside} and started from the defaults"


def open_settings(notes: list | None = None) -> QtCore.QSettings:
    note = set_aside_unusable_file(settings_path())
    if note and notes is not None:
        notes.append(note)
    if note and "not using it" in note:
        return QtCore.QSettings(os.devnull, QtCore.QSettings.Format.IniFormat)
    return QtCore.QSettings(ORGANISATION, APPLICATION)


def _drop(settings, key: str, why: str, notes) -> None:
    """Forget a stored value that cannot be used, and say so."""
    settings.remove(key)
    if notes is not None:
        notes.append(f"ignored the remembered {key} ({why}); using the default")


def _text(settings, key: str, notes) -> str | None:
    value = settings.value(key, None)
    if value is None:
        return None
    if not isinstance(value, str):
        _drop(settings, key, f"not text but {type(value).__name__}", notes)
        return None
    if len(value) > MAX_VALUE_CHARS:
        _drop(settings, key, f"{len(value):,} characters long", notes)
        return None
    return value


def load_spec(settings: QtCore.QSettings, notes: list | None = None) -> ConvSpec | None:
    text = _text(settings, "spec", notes)
    if not text:
        return None
    try:
        values = json.loads(text)
        if not isinstance(values, dict):
            raise ConvSpecError("not a JSON object of spec fields")
        spec = ConvSpec.from_dict(values)
        check_drawable(spec)
        return spec
    except RecursionError:
        _drop(settings, "spec", "nested too deeply", notes)
    except (ConvSpecError, ValueError, TypeError) as error:
        _drop(settings, "spec", " ".join(str(error).split())[:200], notes)
    return None


def load_speed(settings: QtCore.QSettings, default: float, notes: list | None = None) -> float:
    value = settings.value("speed", None)
    if value is None:
        return default
    try:
        if isinstance(value, str) and len(value) > 40:
            raise ValueError
        speed = float(value)
    except (TypeError, ValueError, OverflowError):
        _drop(settings, "speed", "not a number", notes)
        return default
    if not math.isfinite(speed) or speed <= 0:
        _drop(settings, "speed", f"{value} is not a positive number", notes)
        return default
    low, high = SPEED_RANGE
    clamped = min(max(speed, low), high)
    if clamped != speed and notes is not None:
        notes.append(f"the remembered speed {speed:g} steps/s is outside {low:g}–{high:g}: using {clamped:g}")
    return clamped


def load_choice(settings: QtCore.QSettings, key: str, choices, default: str, notes: list | None = None) -> str:
    value = _text(settings, key, notes)
    if value is None:
        return default
    if value not in choices:
        _drop(settings, key, f"{value[:40]!r} is not one of the choices", notes)
        return default
    return value


def load_preset(settings, default, notes: list | None = None):
    return load_choice(settings, "preset", KERNEL_PRESETS, default, notes)


def load_pattern(settings, default, notes: list | None = None):
    # an image file is not remembered: fall back to the sample image
    value = load_choice(settings, "pattern", INPUT_PATTERNS, default, notes)
    return "sample image" if value == "image file" else value


def load_geometry(settings: QtCore.QSettings, notes: list | None = None):
    value = settings.value("geometry", None)
    if value is None:
        return None
    if not isinstance(value, (QtCore.QByteArray, bytes)) or len(value) > MAX_VALUE_CHARS:
        _drop(settings, "geometry", "not a saved window geometry", notes)
        return None
    return value


def load_presentation(settings: QtCore.QSettings, notes: list | None = None) -> bool:
    """Whether the window was in presentation mode when it was last closed."""
    value = settings.value("presentation", False)
    if isinstance(value, str) and value.strip().lower() in ("true", "1", "false", "0", ""):
        return value.strip().lower() in ("true", "1")
    if isinstance(value, bool) or value in (0, 1):
        return bool(value)
    _drop(settings, "presentation", "not true or false", notes)
    return False


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
