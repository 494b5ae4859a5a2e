"""Errors that escape a Qt slot: shown in a message box, and the app goes on.

PyQt6 aborts the process (qFatal) when an exception escapes a slot while sys.excepthook is
Python's default; with any other hook installed it calls that hook and carries on."""

from __future__ import annotations

import math
import sys
import traceback
from time import monotonic

from PyQt6 import QtWidgets

TITLE = "convviz: unexpected error"
REPEAT_QUIET_S = 10.0
"""The same error again this soon after its box closed is printed only: a bug in a timer's slot
(playback ticks several times a second) must not bring the box back faster than it can be read."""


def summary(error: BaseException) -> str:
    """The error in one line, as the box's main text."""
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


def show_error_box(parent, message: str, details: str) -> None:
    box = QtWidgets.QMessageBox(QtWidgets.QMessageBox.Icon.Critical, TITLE, message,
                                QtWidgets.QMessageBox.StandardButton.Ok, parent)
    box.setInformativeText("convviz goes on, but what you just did may not have finished. "
                           "If it happens again, please report it with the details.")
    box.setDetailedText(details)
    box.exec()


def install_excepthook(parent_getter=lambda: None, show=show_error_box):
    """Make sys.excepthook print the traceback and `show(parent, message, details)` it.

    Returns a function that puts the previous hook back. An exception raised while a box is
    up (its event loop runs other slots) is printed only, so boxes never pile up or recurse."""
    previous = sys.excepthook
    showing = False
    last_message, last_closed = None, -math.inf

    def hook(kind, error, trace) -> None:
        nonlocal showing, last_message, last_closed
        details = "".join(traceback.format_exception(kind, error, trace))
        if sys.stderr is not None:  # None under pythonw on Windows
            sys.stderr.write(details)
            sys.stderr.flush()
        message = summary(error)
        if showing or (message == last_message and monotonic() - last_closed < REPEAT_QUIET_S):
            return
        showing = True
        try:
            show(parent_getter(), message, details)
        except Exception:  # a failure of the box itself must not escape the hook
            traceback.print_exc()
        finally:
            showing = False
            last_message, last_closed = message, monotonic()

    def restore() -> None:
        if sys.excepthook is hook:
            sys.excepthook = previous

    sys.excepthook = hook
    return restore
