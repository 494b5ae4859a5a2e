"""Export a session's animation (GIF, MP4) or one frame (PNG), rendered offscreen.

Frames are drawn by a detached view (or one detached panel) that never touches the session or
its live views, the same way `render.render_frame` draws them; they are never grabbed from a
visible window. Rendering needs Qt widgets, so it runs on the GUI thread: `export_animation` is a
generator that renders and encodes one frame per step and yields its progress, so a caller can
keep the window responsive between frames and stop it (closing the generator discards the file).
"""

from __future__ import annotations

import numpy as np
from PyQt6 import QtCore, QtGui, QtWidgets

from ..session.export import AnimationWriter, AtomicFile, ExportError, ExportTarget, write_bytes
from .panels import AnimationPanel, CoveragePanel, OutputPanel
from .render import png_bytes
from .scatter_panels import OverlapPanel, ScatterOutputPanel
from .session_view import EVERYTHING, SessionView

PANELS = {"panels": None, "animation": AnimationPanel, "output": OutputPanel, "coverage": CoveragePanel}
"""What a frame shows: every panel of the session (as the window does), or one of them."""
SCATTER_PANELS = {"animation": ScatterOutputPanel, "output": ScatterOutputPanel, "coverage": OverlapPanel}
"""The panel of each name in the scatter view of a transposed convolution (its stage is the output)."""
SETTLE_PASSES = 3


def image_array(image: QtGui.QImage) -> np.ndarray:
    """A QImage as an (H, W, 3) uint8 RGB array (a copy)."""
    image = image.convertToFormat(QtGui.QImage.Format.Format_RGB888)
    height, width = image.height(), image.width()
    buffer = image.constBits()
    buffer.setsize(image.sizeInBytes())
    rows = np.frombuffer(buffer, dtype=np.uint8).reshape(height, image.bytesPerLine())
    return rows[:, : width * 3].reshape(height, width, 3).copy()


class Renderer:
    """Frames of an export, drawn offscreen at one fixed size: `image(step)`, `array(step)`."""

    size: tuple[int, int]

    @property
    def steps(self) -> int:
        raise NotImplementedError

    def image(self, step: int) -> QtGui.QImage:
        raise NotImplementedError

    def array(self, step: int) -> np.ndarray:
        return image_array(self.image(step))

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


class FrameRenderer(Renderer):
    """One detached view (or panel) at a fixed size, reused for every frame of an export."""

    def __init__(self, session, size=(960, 540), panel: str = "panels", theme=None):
        if panel not in PANELS:
            raise ExportError(f"no panel called {panel!r}; choose one of {', '.join(PANELS)}")
        self.session = session
        self.size = (int(size[0]), int(size[1]))
        widget_class = SCATTER_PANELS.get(panel) if session.scatter_shown else PANELS[panel]
        self.widget = SessionView(session, live=False) if widget_class is None else widget_class()
        if theme is not None:
            self.widget.apply_theme(theme)
        self.widget.setAttribute(QtCore.Qt.WidgetAttribute.WA_DontShowOnScreen, True)
        self.widget.resize(int(size[0]), int(size[1]))
        self.widget.show()

    def image(self, step: int) -> QtGui.QImage:
        """Step `step` at exactly the size asked for (see `fitted`)."""
        self.widget.draw(self.session.frame(step), EVERYTHING)
        for _ in range(SETTLE_PASSES):
            QtWidgets.QApplication.processEvents()
        return fitted(self.widget.grab().toImage(), self.size, self.widget.palette().window().color())

    @property
    def steps(self) -> int:
        return self.session.steps

    def close(self) -> None:
        self.widget.close()
        self.widget.deleteLater()


class PairRenderer(Renderer):
    """Two sessions side by side, as compare mode shows them: A on the left, B on the right, each
    at half the width. Frame k shows step k of each, or its last step when it has fewer."""

    def __init__(self, first, second, size=(960, 540), panel: str = "panels", theme=None):
        width, height = int(size[0]), int(size[1])
        self.size = (width, height)
        self.halves = (FrameRenderer(first, (width // 2, height), panel, theme),
                       FrameRenderer(second, (width - width // 2, height), panel, theme))
        for half, name in zip(self.halves, "AB"):
            if isinstance(half.widget, SessionView):
                half.widget.set_caption(f"{name}: {half.session.spec.describe()}")

    @property
    def steps(self) -> int:
        return max(half.steps for half in self.halves)

    def image(self, step: int) -> QtGui.QImage:
        canvas = QtGui.QImage(self.size[0], self.size[1], QtGui.QImage.Format.Format_RGB32)
        painter = QtGui.QPainter(canvas)
        left = 0
        for half in self.halves:
            picture = half.image(min(step, half.steps - 1))
            painter.drawImage(left, 0, picture)
            left += picture.width()
        painter.end()
        return canvas

    def close(self) -> None:
        for half in self.halves:
            half.close()


def renderer(session, size=(960, 540), panel: str = "panels", second=None, theme=None) -> Renderer:
    """A renderer of `session`, or of `session` and `second` side by side; `theme`
    (convviz.gui.theme, None: the normal one) as the window's presentation mode draws."""
    if second is None:
        return FrameRenderer(session, size, panel, theme)
    return PairRenderer(session, second, size, panel, theme)


def fitted(image: QtGui.QImage, size, background: QtGui.QColor) -> QtGui.QImage:
    """`image` at exactly `size` (width, height): as it is when it has that size; else (a widget
    cannot shrink below its minimum, which depends on its text) scaled down to fit, centred on
    `background`, so every frame of an animation has the same size."""
    width, height = size
    if (image.width(), image.height()) == (width, height):
        return image
    scaled = image.scaled(width, height, QtCore.Qt.AspectRatioMode.KeepAspectRatio,
                          QtCore.Qt.TransformationMode.SmoothTransformation)
    canvas = QtGui.QImage(width, height, QtGui.QImage.Format.Format_RGB32)
    canvas.fill(background)
    painter = QtGui.QPainter(canvas)
    painter.drawImage((width - scaled.width()) // 2, (height - scaled.height()) // 2, scaled)
    painter.end()
    return canvas


def export_animation(session, target: ExportTarget, steps, fps: float, size=(960, 540), panel: str = "panels",
                     second=None, theme=None):
    """Render `steps` of `session` (beside `second`'s, when given) into a GIF or MP4 at `target`;
    yields (frames done, total). The file appears only when every frame is written; closing the
    generator early leaves none."""
    steps = list(steps)
    target.check(len(steps), size)
    with AnimationWriter(target, fps) as writer, renderer(session, size, panel, second, theme) as frames:
        for done, step in enumerate(steps, 1):
            writer.append(frames.array(step))
            yield done, len(steps)
        writer.commit()


def export_png(session, target: ExportTarget, step: int | None = None, size=(960, 540), panel: str = "panels",
               second=None, theme=None):
    """One frame of `session` (its current step by default; beside `second`'s, when given) as a
    PNG at `target`."""
    target.check(1, size)
    with AtomicFile(target):  # the folder takes a file: known before rendering
        pass
    step = session.step if step is None else step
    with renderer(session, size, panel, second, theme) as frames:
        data = png_bytes(frames.image(step))
    if data is None:
        raise ExportError(f"could not encode the {panel} as PNG")
    return write_bytes(target, data)
