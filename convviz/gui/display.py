"""Can a window open here? Asked before Qt is started: without a display, or on X11 without
the xcb-cursor library Qt 6.5+ needs, Qt aborts the process (SIGABRT) instead of saying why.
Nothing here imports Qt."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

HEADLESS_PLATFORMS = ("offscreen", "minimal", "vnc", "eglfs", "linuxfb", "vkkhrdisplay")
"""Qt platforms that need no display server."""
HEADLESS_HINT = ("run it on a desktop, or without a window: QT_QPA_PLATFORM=offscreen python main.py "
                 "--screenshot out.png, python main.py plan, or python main.py bench")
XCB_CURSOR = "libxcb-cursor.so.0"


def _loadable(library: str) -> bool:
    if ctypes.util.find_library(library.removeprefix("lib").split(".so")[0]):
        return True
    try:
        ctypes.CDLL(library)
    except OSError:
        return False
    return True


def display_problem(environ=None, platform: str | None = None, loadable=_loadable) -> str | None:
    """Why a window cannot open here, with what to do, in one line; None when it can (or when
    the platform is not Linux, where Qt finds its display itself)."""
    environ = os.environ if environ is None else environ
    platform = sys.platform if platform is None else platform
    if not platform.startswith("linux"):
        return None
    chosen = environ.get("QT_QPA_PLATFORM", "").split(":")[0].split(";")[0].strip().lower()
    if chosen in HEADLESS_PLATFORMS:
        return None
    x11, wayland = environ.get("DISPLAY"), environ.get("WAYLAND_DISPLAY")
    if chosen == "wayland" or (not chosen and wayland and not x11):
        if not wayland:
            return f"QT_QPA_PLATFORM=wayland but WAYLAND_DISPLAY is not set: {HEADLESS_HINT}"
        return None
    if chosen and chosen != "xcb":
        return None  # another platform plugin: Qt says for itself what it lacks
    if not x11:
        if wayland:
            return ("DISPLAY is not set, so X11 (xcb) cannot open a window; on this Wayland desktop run "
                    "QT_QPA_PLATFORM=wayland python main.py")
        return f"no display (neither DISPLAY nor WAYLAND_DISPLAY is set): {HEADLESS_HINT}"
    if not loadable(XCB_CURSOR):
        return (f"Qt needs {XCB_CURSOR} to open a window on X11, and it is not installed: "
                "sudo apt install libxcb-cursor0 (on Fedora: sudo dnf install xcb-util-cursor)")
    return None
