"""The Qt-free application layer: the controller of one convolution being explored, the
patterns and presets it animates, and the files it reads. Nothing here imports Qt."""

from .frame import Frame, StepTerms
from .selection import SelectionTarget, format_selection, parse_selection
from .session import (
    COVERAGE,
    DATA,
    ERROR,
    PLAYING,
    SELECTION,
    SPEC,
    SPEED,
    SPEEDS,
    STEP,
    TRANSPOSED_VIEW,
    Session,
    check_drawable,
)

__all__ = ["Frame", "COVERAGE", "TRANSPOSED_VIEW", "DATA", "ERROR", "PLAYING", "SELECTION", "SPEC", "SPEED", "SPEEDS", "STEP", "Session", "StepTerms", "check_drawable",
           "SelectionTarget", "format_selection", "parse_selection"]
