"""Frames and windows as images, drawn offscreen: PNG bytes of a widget, and any frame of a
session without touching the session or its live views (what export and compare build on)."""

from __future__ import annotations

from PyQt6 import QtCore, QtGui, QtWidgets

from ..session import Session
from .session_view import SessionView


def png_bytes(pixmap: QtGui.QPixmap | QtGui.QImage) -> bytes | None:
    """The image encoded as PNG (PNG only: pyqtgraph's SVG export fails on Qt 6.11)."""
    data = QtCore.QByteArray()
    buffer = QtCore.QBuffer(data)
    buffer.open(QtCore.QIODevice.OpenModeFlag.WriteOnly)
    written = pixmap.save(buffer, "PNG")
    buffer.close()
    return bytes(data) if written else None


def render_frame(session: Session, step: int | None = None, size=(1200, 720), caption: str = "") -> QtGui.QImage:
    """The panels of `session` at `step` (its current step by default) as an image, drawn
    offscreen by a detached view: the session and any live view of it are left as they are.
    `caption`: a name over the panels (as compare mode names A and B). Needs a QApplication
    (the offscreen platform will do)."""
    view = SessionView(session, live=False)
    view.set_caption(caption)
    view.setAttribute(QtCore.Qt.WidgetAttribute.WA_DontShowOnScreen, True)
    view.resize(*size)
    view.show()
    view.draw(session.frame(step))
    for _ in range(3):
        QtWidgets.QApplication.processEvents()
    image = view.grab().toImage()
    view.close()
    view.deleteLater()
    return image
