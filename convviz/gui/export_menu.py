"""File ▸ Export: the animation as GIF or MP4, one step of the panels (or one panel) as PNG;
both sessions side by side while the window compares two.

Frames are rendered offscreen (convviz.gui.export), which needs Qt widgets, so the export runs
on the GUI thread one frame at a time, with a progress dialog whose Cancel is heard between
frames; a cancelled or failed export leaves no file."""

from __future__ import annotations

from PyQt6 import QtCore, QtWidgets

from ..session.export import KINDS, MAX_FPS, MIN_SIDE, ExportError, ExportTarget
from .export import export_animation, export_png
from .theme import theme_for

PANEL_NAMES = {"panels": "All panels", "animation": "Animation panel", "output": "Output panel",
               "coverage": "Coverage panel"}


class Exporter(QtCore.QObject):
    """The Export submenu of one MainWindow and the exports it runs."""

    progressed = QtCore.pyqtSignal(int, int)
    """(frames done, frames in all), after each frame."""

    def __init__(self, window, menu: QtWidgets.QMenu):
        super().__init__(window)
        self.window = window
        self.progress: QtWidgets.QProgressDialog | None = None
        self._cancelled = False
        window._action("Animation as &GIF…", "", lambda: self.export_animation("gif"), menu,
                       "Every step of the animation as an animated GIF")
        window._action("Animation as &MP4…", "", lambda: self.export_animation("mp4"), menu,
                       "Every step of the animation as an MP4 video")
        menu.addSeparator()
        for panel, name in PANEL_NAMES.items():
            window._action(f"{name} as &PNG…" if panel == "panels" else f"{name} as PNG…", "",
                           lambda checked=False, panel=panel: self.export_png(panel), menu,
                           f"This step of the {name.lower()} as a PNG picture")

    def second(self):
        """B's session when the window compares two (exported beside A), else None."""
        comparison = self.window.comparison
        return None if comparison is None else comparison.b

    def theme(self):
        """The window's theme: frames look as the window does (presentation mode's too)."""
        return theme_for(self.window.presentation)

    def frame_size(self) -> tuple[int, int]:
        """The size the panels (of both sessions, comparing) have in the window now (even, for MP4)."""
        size = (self.window.central if self.second() is not None else self.window.view).size()
        return (max(MIN_SIDE, size.width() - size.width() % 2), max(MIN_SIDE, size.height() - size.height() % 2))

    def _ask_path(self, kind: str, what: str) -> str:
        suffix = KINDS[kind]
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self.window, f"Export {what}", f"convviz{suffix}",
                                                        f"{kind.upper()} (*{suffix})")
        if path and not path.lower().endswith(suffix):
            path += suffix
        return path

    def export_animation(self, kind: str, path: str | None = None, size=None, fps=None, steps=None) -> bool:
        """Every step (or `steps`, 0-based) as a GIF or MP4; False when refused, failed or cancelled."""
        window, session = self.window, self.window.session
        path = path or self._ask_path(kind, f"animation as {kind.upper()}")
        if not path:
            return False
        session.pause()
        size = self.frame_size() if size is None else size
        fps = min(session.speed, MAX_FPS[kind]) if fps is None else fps
        second = self.second()
        if steps is None:
            steps = range(session.steps if second is None else max(session.steps, second.steps))
        try:
            target = ExportTarget.of(path, kind)
            frames = export_animation(session, target, steps, fps, size, second=second, theme=self.theme())
            total = len(steps)
            self._cancelled = False
            self.progress = QtWidgets.QProgressDialog(f"Rendering {total} frames to {target.path.name}…", "Cancel",
                                                      0, total, window)
            self.progress.setWindowTitle("Export")
            self.progress.setWindowModality(QtCore.Qt.WindowModality.WindowModal)
            self.progress.setMinimumDuration(0)
            self.progress.canceled.connect(self.cancel)
            self.progress.setValue(0)
            for done, total in frames:
                self.progress.setValue(done)
                self.progressed.emit(done, total)
                QtWidgets.QApplication.processEvents()
                if self._cancelled or self.progress.wasCanceled():
                    frames.close()
                    window._file_done(f"export cancelled: nothing was written to {target.path}")
                    return False
        except ExportError as error:
            window._file_failed(str(error))
            return False
        finally:
            self._close_progress()
        window._file_done(f"exported {target.path} ({total} frames, {size[0]}×{size[1]}, {fps:g} per second)")
        return True

    def cancel(self) -> None:
        """Stop the export that runs (heard between two frames)."""
        self._cancelled = True

    def _close_progress(self) -> None:
        if self.progress is not None:
            self.progress.canceled.disconnect(self.cancel)
            self.progress.close()
            self.progress.deleteLater()
            self.progress = None

    def export_png(self, panel: str = "panels", path: str | None = None, size=None) -> bool:
        """This step of the panels (or one panel) as a PNG, rendered offscreen."""
        window = self.window
        path = path or self._ask_path("png", PANEL_NAMES[panel].lower())
        if not path:
            return False
        second = self.second()
        if size is None:
            widget = window.view if panel == "panels" else getattr(window.view, panel)
            size = (max(MIN_SIDE, widget.width() * (1 if second is None else 2)), max(MIN_SIDE, widget.height()))
        try:
            written = export_png(window.session, ExportTarget.of(path, "png"), size=size, panel=panel, second=second,
                                 theme=self.theme())
        except ExportError as error:
            window._file_failed(str(error))
            return False
        window._file_done(f"exported {written}")
        return True
