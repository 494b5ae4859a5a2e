"""Lessons in the window: the Lessons menu, the explanation beside the panels, scenes opened and
saved. A lesson is a scene (convviz.session.scene); opening one sets the session's spec, data,
step, selection and speed, shows its text, and opens its second spec in compare mode."""

from __future__ import annotations

import html

from PyQt6 import QtCore, QtWidgets

from ..core import ConvSpecError
from ..session.scene import Scene, lesson_names, load_lesson, load_scene

PARAGRAPH_BREAK = "\n\n"


class LessonPanel(QtWidgets.QWidget):
    """A title and a few paragraphs for students; "Edit" turns them into fields a teacher can
    rewrite before File ▸ Save scene."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.title_label = QtWidgets.QLabel()
        self.title_label.setWordWrap(True)
        self.browser = QtWidgets.QTextBrowser()
        self.browser.setOpenLinks(False)
        self._base_points = self.browser.font().pointSizeF()
        self.apply_theme(None)
        self.title_edit = QtWidgets.QLineEdit()
        self.title_edit.setPlaceholderText("Title")
        self.text_edit = QtWidgets.QPlainTextEdit()
        self.text_edit.setPlaceholderText("A few short paragraphs, separated by a blank line")
        self.edit_button = QtWidgets.QPushButton("Edit text")
        self.edit_button.setCheckable(True)
        self.edit_button.setToolTip("Write your own title and explanation; File ▸ Save scene keeps them")
        self.edit_button.toggled.connect(self.set_editing)
        heading = QtWidgets.QHBoxLayout()
        heading.addWidget(self.title_label, 1)
        heading.addWidget(self.title_edit, 1)
        heading.addWidget(self.edit_button, 0, QtCore.Qt.AlignmentFlag.AlignTop)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addLayout(heading)
        layout.addWidget(self.browser, 1)
        layout.addWidget(self.text_edit, 1)
        self.set_editing(False)

    def apply_theme(self, theme) -> None:
        """Text sizes of `theme` (convviz.gui.theme; None: the normal sizes)."""
        scale = 1.0 if theme is None else theme.font_scale
        title_font = self.title_label.font()
        title_font.setPointSizeF(self._base_points * 1.35 * scale)
        title_font.setBold(True)
        self.title_label.setFont(title_font)
        text_font = self.browser.font()
        text_font.setPointSizeF(self._base_points * 1.15 * scale)
        self.browser.setFont(text_font)

    def show_text(self, title: str, paragraphs) -> None:
        self.edit_button.setChecked(False)
        self.title_edit.setText(title)
        self.text_edit.setPlainText(PARAGRAPH_BREAK.join(paragraphs))
        self._render()

    def set_editing(self, editing: bool) -> None:
        if not editing:
            self._render()
        for widget in (self.title_edit, self.text_edit):
            widget.setVisible(editing)
        for widget in (self.title_label, self.browser):
            widget.setVisible(not editing)
        self.edit_button.setText("Done" if editing else "Edit text")

    def _render(self) -> None:
        self.title_label.setText(self.title())
        self.browser.setHtml("".join(f"<p>{html.escape(paragraph)}</p>" for paragraph in self.paragraphs()))

    def text_height(self, width: int, most: int | None = None) -> int:
        """Pixels the title and paragraphs need at `width`, at most `most`."""
        document = self.browser.document().clone()
        document.setTextWidth(max(100, width))
        heading = max(self.title_label.sizeHint().height(), self.edit_button.sizeHint().height())
        needed = int(document.size().height()) + heading + 16
        return needed if most is None else min(needed, most)

    def title(self) -> str:
        return self.title_edit.text().strip()

    def paragraphs(self) -> tuple[str, ...]:
        parts = self.text_edit.toPlainText().replace("\r\n", "\n").split(PARAGRAPH_BREAK)
        return tuple(" ".join(part.split()) for part in parts if part.strip())


class Lessons(QtCore.QObject):
    """The Lessons menu, the lesson dock and scene files of one MainWindow."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.scene: Scene | None = None
        """The scene opened last (None: none yet)."""
        self.panel = LessonPanel()
        self.dock = QtWidgets.QDockWidget("Lesson", window)
        self.dock.setObjectName("lesson_dock")
        self.dock.setWidget(self.panel)
        # under the panels, a tab beside Timing: full width for the text even at 1024×768
        window.addDockWidget(QtCore.Qt.DockWidgetArea.BottomDockWidgetArea, self.dock)
        window.tabifyDockWidget(window.timing_dock, self.dock)
        self.dock.hide()
        self.menu = window.menuBar().addMenu("&Lessons")
        for number, name in enumerate(lesson_names(), 1):
            try:
                title = load_lesson(name).title
            except ConvSpecError:  # a broken file is said when it is opened
                title = name
            action = self.menu.addAction(f"&{number:d}  {title}" if number < 10 else f"{number:d}  {title}")
            action.setData(name)
            action.triggered.connect(lambda checked=False, name=name: self.open_lesson(name))
        self.menu.addSeparator()
        window._action("Open scene &file…", "Ctrl+L", self.open_scene_file, self.menu,
                       "Open a scene (a lesson of your own) saved with File ▸ Save scene")
        self.menu.addAction(self.dock.toggleViewAction())

    def open_lesson(self, name: str) -> bool:
        try:
            scene = load_lesson(name)
        except ConvSpecError as error:
            self.window._file_failed(str(error))
            return False
        return self.open_scene(scene, f"lesson: {scene.title}")

    def open_scene_file(self, path: str | None = None) -> bool:
        if not path:
            path, _ = QtWidgets.QFileDialog.getOpenFileName(self.window, "Open scene", "", "Scene JSON (*.json)")
        if not path:
            return False
        try:
            scene = load_scene(path)
        except ConvSpecError as error:
            self.window._file_failed(str(error))
            return False
        return self.open_scene(scene, f"opened scene {path}")

    def open_scene(self, scene: Scene, message: str = "") -> bool:
        """Show `scene`: spec, data, step, selection, speed, its text beside the panels, and its
        second spec in compare mode (or compare mode closed when it has none)."""
        window = self.window
        try:
            scene.apply(window.session)
        except ConvSpecError as error:
            window._file_failed(f"cannot open the scene: {error}")
            return False
        note = self.show_scene(scene)
        window.session.clear_error()
        window._file_done(" · ".join(part for part in (message, note) if part))
        return True

    def show_scene(self, scene: Scene) -> str:
        """The scene's text beside the panels and its second spec in compare mode, the session
        left as it is; what could not be shown, or ""."""
        self.scene = scene
        self.panel.show_text(scene.title, scene.explanation)
        if scene.title or scene.explanation:
            self.dock.show()
            self.dock.raise_()
            self.fit_dock()
            QtCore.QTimer.singleShot(0, self.fit_dock)  # again once the window has its size
        else:
            self.dock.hide()
        return self._show_compare(scene.compare)

    def fit_dock(self) -> None:
        """The Lesson dock just tall enough for its text, and at most a quarter of the window (the
        text scrolls), so the panels keep the rest."""
        window = self.window
        if self.dock.isHidden() or self.panel.edit_button.isChecked():
            return
        height = self.panel.text_height(window.width() - 40, most=window.height() // 4)
        window.resizeDocks([self.dock], [height + 20], QtCore.Qt.Orientation.Vertical)

    def _show_compare(self, spec) -> str:
        """Compare mode for the scene's second spec (closed when it has none); what could not be
        shown, or ""."""
        window = self.window
        if spec is None:
            window.close_compare()
            return ""
        try:
            window.compare_with(spec)
        except ConvSpecError as error:
            return f"cannot compare: {error}"
        return ""

    def current_scene(self) -> Scene:
        """What the window shows now, with the lesson panel's text: what File ▸ Save scene writes."""
        window = self.window
        compare = window.comparison.b.spec if window.comparison is not None else None
        return Scene.of_session(window.session, self.panel.title(), self.panel.paragraphs(), compare)

    def save_scene(self, path: str | None = None) -> bool:
        window = self.window
        if not path:
            path, _ = QtWidgets.QFileDialog.getSaveFileName(window, "Save scene", "scene.json", "Scene JSON (*.json)")
        if not path:
            return False
        scene = self.current_scene()
        if not window._write_file(path, scene.to_json().encode("utf-8"), "scene"):
            return False
        if window.session.pattern == "image file":
            window.status.showMessage(f"saved scene to {path} (with the sample image: a scene keeps no picture)",
                                      8000)
        return True
