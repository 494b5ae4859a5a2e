"""The main window: menus, the settings and timing docks, what is remembered between runs, and
one or two SessionViews in the middle (the first is the one the controls, keys and timing act on)."""

from __future__ import annotations

import json
from functools import partial

from PyQt6 import QtCore, QtGui, QtWidgets

from ..core import ConvSpecError
from ..session import ERROR, SPEC, SPEEDS, Session
from . import settings as stored
from .code_panel import CodePanel
from .controls import Controls
from .export_menu import Exporter
from .lessons import Lessons
from .playback import PlaybackBar
from .render import png_bytes
from .session_view import EVERYTHING, SessionView
from .theme import theme_for
from .timing_panel import TimingPanel
from .worker import LatestJobs

WIDE_ENOUGH_TO_COMPARE_WITH_SETTINGS = 1600
"""Compare mode in a narrower window closes the settings dock (F9 opens it) so that two sessions
and their difference fit side by side."""
DECODED_AT_ONCE = 512 * 512
"""Images of up to this many pixels are decoded on the GUI thread (tens of milliseconds);
larger ones on a worker."""
TALL_ENOUGH_FOR_TIMING = 900
"""A window shorter than this (a 1024×768 or 1280×800 projector) opens with the timing dock
closed, so the animation, output and coverage keep the height they need; Timing ▸ and View ▸
open it."""


class MainWindow(QtWidgets.QMainWindow):
    """Menus, docks and settings around one SessionView (the primary session), or two."""

    def __init__(self, session: Session | None = None, settings: QtCore.QSettings | None = None,
                 restore: bool = True):
        super().__init__()
        self.settings = settings
        restored_geometry = None
        self.settings_notes: list[str] = []
        """What could not be restored from the stored settings, and why (shown in the status bar)."""
        notes = self.settings_notes
        self._paint_awaited = False
        self._outputs = LatestJobs(self, ready=self._grids_drawn)
        """The shown output convolutions, started once the views have drawn new grids (BLAS's
        threads would otherwise take the cores the GUI thread draws on)."""
        self._compared_outputs = LatestJobs(self, ready=self._grids_drawn)
        """B's outputs in compare mode: a worker of its own, so neither session's latest request
        replaces the other's."""
        self._images = LatestJobs(self)
        self._image_token = 0
        if session is None:
            session = Session()
            session.output_runner = self.run_output
            if settings is not None and restore:
                spec = stored.load_spec(settings, notes)
                if spec is not None and not session.set_spec(spec):
                    notes.append(f"the remembered spec cannot be shown ({session.error}); using the default")
                session.set_preset(stored.load_preset(settings, session.preset, notes))
                session.set_pattern(stored.load_pattern(settings, session.pattern, notes))
                session.clear_error()
        presentation = False
        if settings is not None and restore:
            session.set_speed(stored.load_speed(settings, session.speed, notes))
            restored_geometry = stored.load_geometry(settings, notes)
            presentation = stored.load_presentation(settings, notes)
        self.session = session
        session.output_runner = self.run_output
        self.presentation = False
        self.comparison = None
        self.compare_panel = None
        self.compare_controls = None
        self._compare_parts: list = []
        """Parts of compare mode still to be made (see `_next_compare_part`)."""
        self.setWindowTitle("convviz — padding, stride and dilation of a 2-D convolution")

        self.view = SessionView(session)
        self.view.grids_drawn.connect(self._resume_outputs)
        self.views: list[SessionView] = [self.view]
        self.controls = Controls(session)
        self.timing = TimingPanel(session)
        self.central = QtWidgets.QSplitter(QtCore.Qt.Orientation.Horizontal)
        self.central.setChildrenCollapsible(False)
        self.central.addWidget(self.view)
        self.compare_playback: PlaybackBar | None = None
        """In compare mode, the one playback bar of both sessions (under both)."""
        self.compare_timer = QtCore.QTimer(self)
        self.compare_timer.setTimerType(QtCore.Qt.TimerType.PreciseTimer)
        self.compare_timer.timeout.connect(lambda: self.comparison and self.comparison.tick())
        middle = QtWidgets.QWidget()
        self.middle_layout = QtWidgets.QVBoxLayout(middle)
        self.middle_layout.setContentsMargins(0, 0, 0, 0)
        self.middle_layout.addWidget(self.central, 1)
        self.setCentralWidget(middle)

        controls_scroll = QtWidgets.QScrollArea()
        controls_scroll.setWidget(self.controls)
        controls_scroll.setWidgetResizable(True)
        controls_scroll.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.controls_dock = QtWidgets.QDockWidget("Settings", self)
        self.controls_dock.setObjectName("settings_dock")
        self.controls_scroll = controls_scroll
        self.controls_tabs = QtWidgets.QTabWidget()
        self.controls_tabs.setDocumentMode(True)
        self.controls_tabs.addTab(controls_scroll, "A")
        self.controls_tabs.tabBar().setVisible(False)
        self.controls_dock.setWidget(self.controls_tabs)
        controls_scroll.setMinimumWidth(self.controls.sizeHint().width() + 24)
        self.addDockWidget(QtCore.Qt.DockWidgetArea.LeftDockWidgetArea, self.controls_dock)
        self.timing_dock = QtWidgets.QDockWidget("Timing: CPU vs GPU", self)
        self.timing_dock.setObjectName("timing_dock")
        self.timing_dock.setWidget(self.timing)
        self.addDockWidget(QtCore.Qt.DockWidgetArea.BottomDockWidgetArea, self.timing_dock)
        self.timing.started.connect(self._show_timing)  # a run started while a short window hid the dock
        self.code = CodePanel(session)
        self.code_dock = QtWidgets.QDockWidget("Framework code", self)
        self.code_dock.setObjectName("code_dock")
        self.code_dock.setWidget(self.code)
        self.addDockWidget(QtCore.Qt.DockWidgetArea.BottomDockWidgetArea, self.code_dock)
        self.tabifyDockWidget(self.timing_dock, self.code_dock)  # code lines are long: the full width
        self.code_dock.hide()

        self.status = self.statusBar()
        self._file_error: str | None = None
        self._make_actions()
        self.controls.open_image_requested.connect(self.open_image)
        session.subscribe(self.on_change)
        self.on_change({SPEC})
        screen = QtGui.QGuiApplication.primaryScreen()
        room = screen.availableGeometry() if screen is not None else QtCore.QRect(0, 0, 1500, 980)
        self.resize(min(1500, int(room.width() * 0.95)), min(980, int(room.height() * 0.92)))
        self.resizeDocks([self.timing_dock], [250], QtCore.Qt.Orientation.Vertical)
        self.resizeDocks([self.controls_dock], [self.controls.sizeHint().width() + 24], QtCore.Qt.Orientation.Horizontal)
        if restored_geometry is not None:
            try:
                if not self.restoreGeometry(restored_geometry):
                    notes.append("ignored the remembered window geometry (it could not be read); using the default")
            except (TypeError, ValueError):
                notes.append("ignored the remembered window geometry (it could not be read); using the default")
        if presentation:
            self.set_presentation(True)
        self.show_settings_notes()

    def show_settings_notes(self, extra=()) -> None:
        """Say in the status bar which stored settings were dropped or clamped, and why."""
        self.settings_notes.extend(extra)
        if self.settings_notes:
            self.status.showMessage("Settings: " + "; ".join(self.settings_notes), 30000)

    # actions -----------------------------------------------------------------------------------
    def _action(self, text, shortcut, slot, menu, tip=""):
        action = QtGui.QAction(text, self)
        if shortcut:
            keys = shortcut if isinstance(shortcut, (list, tuple)) else [shortcut]
            action.setShortcuts([QtGui.QKeySequence(key) for key in keys])
        action.setShortcutContext(QtCore.Qt.ShortcutContext.WindowShortcut)
        action.setStatusTip(tip)
        action.triggered.connect(slot)
        menu.addAction(action)
        self.addAction(action)
        return action

    def _make_actions(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self._action("Open &image…", QtGui.QKeySequence.StandardKey.Open, self.open_image, file_menu,
                     "Use a picture as the input (it is resized to the input size)")
        self._action("Open &spec…", "Ctrl+Shift+O", self.open_spec, file_menu, "Load a spec JSON file (a lesson)")
        self._action("Save spec &as…", "Ctrl+Shift+S", self.save_spec, file_menu, "Save the spec as JSON")
        self._action("Save &screenshot…", "Ctrl+P", self.save_screenshot_dialog, file_menu, "Save the window as PNG")
        self._action("Save sc&ene…", "Ctrl+E", lambda: self.lessons.save_scene(), file_menu,
                     "Save what the window shows (spec, data, step, selection, lesson text) as a scene")
        self.exporter = Exporter(self, file_menu.addMenu("&Export"))
        file_menu.addSeparator()
        self._action("&Quit", QtGui.QKeySequence.StandardKey.Quit, self.close, file_menu)
        if QtGui.QKeySequence(QtGui.QKeySequence.StandardKey.Quit).isEmpty():
            self.actions()[-1].setShortcut(QtGui.QKeySequence("Ctrl+Q"))
        play_menu = bar.addMenu("&Playback")
        self.play_action = self._action("&Play / pause", "Space", lambda: self.transport.toggle_play(), play_menu)
        self._action("Step &forward", "Right", lambda: self.transport.step_forward(), play_menu)
        self._action("Step &back", "Left", lambda: self.transport.step_back(), play_menu)
        self._action("&First step", "Home", lambda: self.transport.first(), play_menu)
        self._action("&Last step", "End", lambda: self.transport.last(), play_menu)
        self._action("Fas&ter", "Ctrl+=", lambda: self._change_speed(+1), play_menu)
        self._action("Slo&wer", "Ctrl+-", lambda: self._change_speed(-1), play_menu)
        view_menu = bar.addMenu("&View")
        settings_toggle = self.controls_dock.toggleViewAction()
        settings_toggle.setShortcut(QtGui.QKeySequence("F9"))
        self.addAction(settings_toggle)
        view_menu.addAction(settings_toggle)
        view_menu.addAction(self.timing_dock.toggleViewAction())
        view_menu.addAction(self.code_dock.toggleViewAction())
        view_menu.addSeparator()
        self.presentation_action = self._action(
            "&Presentation mode (projector)", "F11", lambda on: self.set_presentation(on, full_screen=on), view_menu,
            "Large fonts, thick lines, colour-blind-safe colours, docks closed (F9: settings), full screen")
        self.presentation_action.setCheckable(True)
        self._action("F&ull screen", "Shift+F11", self.toggle_full_screen, view_menu)
        self.scatter_action = self._action(
            "Transposed convolution as sc&atter", "Ctrl+Shift+V",
            lambda on: self.set_transposed_view("scatter" if on else "direct"), view_menu,
            "Each input cell adding its weighted kernel to the output (off: the direct convolution over "
            "the zero-inserted input)")
        self.scatter_action.setCheckable(True)
        view_menu.addSeparator()
        self._action("&Compare with…", "Ctrl+K", self.compare_dialog, view_menu,
                     "A second spec beside this one (a copy to edit, or a spec file), played in step")
        self.close_compare_action = self._action("Close co&mpare", "Ctrl+Shift+K", self.close_compare, view_menu)
        self.close_compare_action.setEnabled(False)
        timing_menu = bar.addMenu("&Timing")
        self._action("&Time this spec", "Ctrl+T", lambda: self._show_timing() and self.timing.start_profile(),
                     timing_menu, "Time the current operation on every backend (the PyTorch peer too when chosen)")
        self._action("&Sweep input size", "Ctrl+Shift+T", lambda: self._show_timing() and self.timing.start_sweep(),
                     timing_menu)
        self._action("&Cancel", "Escape", self.escape, timing_menu, "Esc: unpin the picked cell, else cancel the timing run")
        tools_menu = bar.addMenu("T&ools")
        self._action("Padding &solver…", "Ctrl+Shift+P", self.open_solver, tools_menu,
                     "The least padding that gives an output size")
        self._action("&Framework code", "Ctrl+Shift+C", lambda: self.show_code(), tools_menu,
                     "The spec as PyTorch or TensorFlow code, to copy")
        self.lessons = Lessons(self)

    def open_solver(self):
        """Show the padding solver dialog (one per window), on the primary session."""
        from .solver_dialog import PaddingSolverDialog

        if getattr(self, "solver_dialog", None) is None:
            self.solver_dialog = PaddingSolverDialog(self.session, self)
        self.solver_dialog.show()
        self.solver_dialog.raise_()
        self.solver_dialog.activateWindow()
        return self.solver_dialog

    def show_code(self, framework: str | None = None) -> CodePanel:
        """Show the framework code dock (optionally switched to `framework`)."""
        if framework is not None:
            self.code.set_framework(framework)
        self.code_dock.show()
        self.code_dock.raise_()
        return self.code

    def escape(self) -> None:
        """Esc: unpin the views' picked cells when any is pinned, else cancel a timing run."""
        sessions = [view.session for view in self.views
                    if view.session.selection_target is not None or view.session.hover_target is not None]
        for session in sessions:
            session.clear_selection()
        if not sessions:
            self.timing.cancel()

    @property
    def transport(self):
        """What the playback keys drive: the session, or both sessions while comparing."""
        return self.comparison if self.comparison is not None else self.session

    def _change_speed(self, direction: int) -> None:
        index = min(range(len(SPEEDS)), key=lambda k: abs(SPEEDS[k] - self.session.speed))
        index = max(0, min(len(SPEEDS) - 1, index + direction))
        self.session.set_speed(SPEEDS[index])

    def set_transposed_view(self, view: str) -> None:
        """Draw transposed convolutions "direct" or as a "scatter", in both sessions when comparing."""
        for session in (self.comparison.sessions if self.comparison is not None else (self.session,)):
            session.set_transposed_view(view)

    def toggle_full_screen(self) -> None:
        self.showNormal() if self.isFullScreen() else self.showFullScreen()

    def _show_timing(self) -> bool:
        self.timing_dock.show()
        self.timing_dock.raise_()
        return True

    # presentation ------------------------------------------------------------------------------
    def set_presentation(self, on: bool, full_screen: bool = False) -> None:
        """Presentation mode for a projector: large fonts and thick lines, colour-blind-safe maps,
        the settings, timing and code docks closed (F9 opens the settings; they come back as they
        were when the mode ends; a lesson's dock stays). Remembered on close. `full_screen` also enters (or leaves) full screen."""
        on = bool(on)
        self.presentation_action.setChecked(on)
        if on != self.presentation:
            self.presentation = on
            theme = theme_for(on)
            docks = (self.controls_dock, self.timing_dock, self.code_dock)  # the lesson dock stays
            if on and theme.hide_docks:
                self._docks_shown = [not dock.isHidden() for dock in docks]
                for dock in docks:
                    dock.hide()
            elif not on:
                for dock, shown in zip(docks, getattr(self, "_docks_shown", (True, False, False))):
                    dock.setVisible(shown)
            for view in self.views:
                view.apply_theme(theme)
            if self.compare_panel is not None:
                self.compare_panel.apply_theme(theme)
            if self.compare_playback is not None:
                self.compare_playback.apply_theme(theme)
            self.lessons.panel.apply_theme(theme)
            self.lessons.fit_dock()
        if full_screen and on and not self.isFullScreen():
            self.showFullScreen()
        elif full_screen and not on and self.isFullScreen():
            self.showNormal()

    # compare -----------------------------------------------------------------------------------
    def compare_dialog(self) -> None:
        """Ask what B is: a copy of A to edit, or a spec file; then compare."""
        box = QtWidgets.QMessageBox(self)
        box.setWindowTitle("Compare with…")
        box.setText("Show a second spec (B) beside this one (A), played in step, with the difference of "
                    "their coverage maps. B's settings are in the Settings dock, tab B.")
        copy = box.addButton("A copy to edit", QtWidgets.QMessageBox.ButtonRole.AcceptRole)
        from_file = box.addButton("Spec file…", QtWidgets.QMessageBox.ButtonRole.ActionRole)
        box.addButton(QtWidgets.QMessageBox.StandardButton.Cancel)
        box.exec()
        if box.clickedButton() is copy:
            self.compare_with(self.session.spec)
        elif box.clickedButton() is from_file:
            self.compare_with_file()

    def compare_with_file(self, path: str | None = None) -> bool:
        from ..core import ConvSpec
        from ..session.files import load_spec_file

        if not path:
            path, _ = QtWidgets.QFileDialog.getOpenFileName(self, "Compare with spec", "", "Spec JSON (*.json)")
        if not path:
            return False
        try:
            spec = ConvSpec.from_dict(load_spec_file(path))
            self.compare_with(spec)
        except ConvSpecError as error:
            self._file_failed(f"cannot compare with {path}: {error}")
            return False
        self._file_done(f"comparing with {path}")
        return True

    def compare_with(self, spec) -> SessionView:
        """Show `spec` as B beside the current session (A), or make it B's spec when comparing
        already; playback of both is kept in step. Raises ConvSpecError for a spec that cannot
        be drawn."""
        from ..session.compare import Comparison

        if self.comparison is not None:
            second = self.comparison.b
            if not second.set_spec(spec):
                raise ConvSpecError(second.error)
            second.set_transposed_view(self.session.transposed_view)
            return self.views[1]
        runner = partial(self.run_output, jobs=self._compared_outputs)
        if spec == self.session.spec:  # a copy to edit: what A shows, its image and weights too
            second = self.session.twin(output_runner=runner)
        else:
            second = Session(spec, pattern=self.session.pattern, preset=self.session.preset, seed=self.session.seed,
                             output_runner=runner)
        second.set_transposed_view(self.session.transposed_view)
        self.comparison = Comparison(self.session, second)
        assembled = not any(shown.large for shown in self.views) and not SessionView.grids_large(second)
        if not assembled:
            # nothing in the middle is painted until every part is there and laid out: each new
            # widget would otherwise repaint both views, and again as the layout settles
            self.central.setUpdatesEnabled(False)
        view = self.add_view(second, place=False)
        for shown in self.views:
            shown.drives_playback = False
            shown.timer.stop()
        self.compare_playback = PlaybackBar(self.comparison)
        self.compare_playback.setObjectName("compare_playback")
        for session in self.comparison.sessions:
            session.subscribe(self._compare_changed)
        self._compare_changed(EVERYTHING)
        theme = theme_for(self.presentation)
        view.apply_theme(theme)
        self.compare_playback.apply_theme(theme)
        self.close_compare_action.setEnabled(True)
        if not self.controls_dock.isHidden():
            self.status.showMessage("comparing A with B: B's settings are in the Settings dock, tab B", 8000)
        self._compare_parts = [self._place_compared, self._add_compare_panel, self._add_compare_controls,
                               self._show_compared]
        if assembled:
            while self._compare_parts:
                self._compare_parts.pop(0)()
        else:
            QtCore.QTimer.singleShot(1, self._next_compare_part)  # a timer: the loop runs between
        return view

    def _next_compare_part(self) -> None:
        """Compare mode on large specs is put together over a few turns of the event loop (its
        widgets take tens of milliseconds each to make and lay out), the GUI answering between."""
        if self.comparison is None or not self._compare_parts:
            return
        self._compare_parts.pop(0)()
        if self._compare_parts:
            QtCore.QTimer.singleShot(1, self._next_compare_part)  # a timer: the loop runs between

    def _place_compared(self) -> None:
        """B beside A, both compact and captioned, one playback bar under them (laying out the
        middle again: a part of its own when compare mode is put together over turns)."""
        self.central.addWidget(self.views[1])
        for shown in self.views:
            shown.playback.hide()
        self.middle_layout.addWidget(self.compare_playback)
        self._fit_compare()
        for name, shown in zip("AB", self.views):
            shown.set_caption(name)
            shown.set_compact(True)

    def _show_compared(self) -> None:
        """Paint the middle again (compare mode was put together or taken apart)."""
        self.central.setUpdatesEnabled(True)

    def _add_compare_panel(self) -> None:
        from .compare_panel import ComparePanel

        self.compare_panel = ComparePanel(self.comparison)
        self.compare_panel.apply_theme(theme_for(self.presentation))
        self.central.addWidget(self.compare_panel)
        self.central.setStretchFactor(0, 3)
        self.central.setStretchFactor(1, 3)
        self.central.setStretchFactor(2, 2)
        self._fit_compare()

    def _add_compare_controls(self) -> None:
        """B's settings, tab B of the Settings dock."""
        self.compare_controls = Controls(self.comparison.b)
        scroll = QtWidgets.QScrollArea()
        scroll.setWidget(self.compare_controls)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.controls_tabs.setTabText(0, "A")
        self.controls_tabs.addTab(scroll, "B")
        self.controls_tabs.tabBar().setVisible(True)
        self.controls_tabs.setCurrentIndex(1)

    def _compare_changed(self, changes) -> None:
        """Both sessions' playback on the one bar and the one clock."""
        comparison = self.comparison
        if comparison is None:
            return
        self.compare_playback.draw(comparison.frame(), set(changes) | {SPEC})
        self.compare_timer.setInterval(comparison.interval_ms)
        if comparison.playing and not self.compare_timer.isActive():
            self.compare_timer.start()
        elif not comparison.playing:
            self.compare_timer.stop()

    def _fit_compare(self) -> None:
        """Close the settings dock while comparing in a window too narrow for it and three columns;
        share the width 3 : 3 : 2 between A, B and the comparison."""
        if self.comparison is None:
            return
        if self.width() < WIDE_ENOUGH_TO_COMPARE_WITH_SETTINGS and not self.controls_dock.isHidden():
            self.controls_dock.hide()
            self._settings_closed_for_compare = True
            self.status.showMessage("comparing A with B: F9 opens the settings (tab B edits B)", 10000)
        width = max(self.central.width(), 800)
        self.central.setSizes([3 * width // 8, 3 * width // 8, 2 * width // 8])

    def close_compare(self) -> None:
        """Back to one session."""
        if self.comparison is None:
            return
        comparison, self.comparison = self.comparison, None
        comparison.close()
        self.central.setUpdatesEnabled(False)  # painted once, when the layout has settled
        for session in comparison.sessions:
            session.unsubscribe(self._compare_changed)
        self.compare_timer.stop()
        self.compare_playback.setParent(None)
        self.compare_playback.deleteLater()
        self.compare_playback = None
        self.view.set_caption("")
        self.view.set_compact(False)
        self.view.drives_playback = True
        self.view.playback.show()
        if getattr(self, "_settings_closed_for_compare", False) and not self.presentation:
            self.controls_dock.show()
        self._settings_closed_for_compare = False
        self.remove_view(self.views[1])
        self._compare_parts = []
        QtCore.QTimer.singleShot(1, self._show_compared)
        if self.compare_panel is not None:
            self.compare_panel.detach()
            self.compare_panel.setParent(None)
            self.compare_panel.deleteLater()
            self.compare_panel = None
        if self.compare_controls is not None:
            scroll = self.controls_tabs.widget(1)
            self.controls_tabs.removeTab(1)
            self.compare_controls.session.unsubscribe(self.compare_controls.on_change)
            scroll.deleteLater()
            self.compare_controls = None
        self.controls_tabs.tabBar().setVisible(False)
        self.close_compare_action.setEnabled(False)
        comparison.b.pause()

    # session → window --------------------------------------------------------------------------
    def on_change(self, changes) -> None:
        session = self.session
        if SPEC in changes:
            # from the plan: the frame may still be building off this thread
            self.status.showMessage(f"{session.spec.describe()}  ·  {session.shape_text}")
            self.scatter_action.setChecked(session.transposed_view == "scatter")
        if ERROR in changes and session.error:
            self.status.showMessage("not applied: " + session.error, 8000)

    # more sessions -------------------------------------------------------------------------------
    def add_view(self, session: Session, place: bool = True) -> SessionView:
        """Show a second session beside the first (`place`; else the caller places it); the
        controls, keys and timing stay on the first."""
        view = SessionView(session)
        view.grids_drawn.connect(self._resume_outputs)
        self.views.append(view)
        if place:
            self.central.addWidget(view)
        return view

    def remove_view(self, view: SessionView) -> None:
        if view is self.view or view not in self.views:
            raise ValueError("only a view added with add_view can be removed")
        self.views.remove(view)
        view.detach()
        view.setParent(None)
        view.deleteLater()
        self._start_outputs()

    def _grids_drawn(self) -> bool:
        """No view is building grids, and what they drew has been painted: the output
        convolutions wait for that."""
        return not self._paint_awaited and not any(view.building for view in self.views)

    def _resume_outputs(self) -> None:
        """A view drew new grids: the outputs start once the window has painted them (at once
        when the window is not on screen, which paints nothing)."""
        if self.isVisible() and not self.isMinimized():
            self._paint_awaited = True
        else:
            self._start_outputs()

    def event(self, event) -> bool:
        handled = super().event(event)
        if event.type() == QtCore.QEvent.Type.UpdateRequest and self._paint_awaited:
            self._paint_awaited = False  # everything drawn so far is on screen now
            QtCore.QTimer.singleShot(0, self._start_outputs)
        return handled

    def _start_outputs(self) -> None:
        for jobs in (self._outputs, self._compared_outputs):
            jobs.resume()

    # files -------------------------------------------------------------------------------------
    def open_image(self, path: str | None = None) -> bool:
        """Use an image file as the input. What cannot be used is refused at once (False); a large
        image is decoded on a worker thread and used when it arrives (the status bar says so)."""
        from .images import ImageError, decode_image, inspect_image

        if not path:
            path, _ = QtWidgets.QFileDialog.getOpenFileName(
                self, "Open image", "", "Images (*.png *.jpg *.jpeg *.bmp *.gif *.pgm *.ppm);;All files (*)")
        if not path:
            return False
        try:
            image = inspect_image(path)
            self._image_token += 1
            if image.pixels <= DECODED_AT_ONCE:
                self._image_read(self._image_token, path, decode_image(image))
                return True
        except ImageError as error:
            self._file_failed(str(error))
            return False
        token = self._image_token
        self.status.showMessage(f"reading image {path} ({image.width}×{image.height})…")
        self._images.run(partial(decode_image, image), partial(self._image_read, token, path),
                         partial(self._image_failed, token))
        return True

    @property
    def reading_image(self) -> bool:
        """An image is being decoded on a worker thread."""
        return self._images.busy

    def _image_read(self, token: int, path: str, grey) -> None:
        if token != self._image_token:
            return  # another image was opened since
        self.session.set_pattern("image file", image=grey)
        self.session.clear_error()
        self._file_done(f"opened image {path}")

    def _image_failed(self, token: int, error) -> None:
        if token == self._image_token:
            self._file_failed(str(error))

    def open_spec(self, path: str | None = None) -> bool:
        from ..session.files import load_spec_file

        if not path:
            path, _ = QtWidgets.QFileDialog.getOpenFileName(self, "Open spec", "", "Spec JSON (*.json)")
        if not path:
            return False
        try:
            values = load_spec_file(path)
        except ConvSpecError as error:
            self._file_failed(str(error))
            return False
        if not self.session.set_spec_dict(values):
            self._file_failed(f"spec file {path} cannot be used: {self.session.error}")
            return False
        self._file_done(f"opened spec {path}")
        return True

    def save_spec(self, path: str | None = None) -> bool:
        if not path:
            path, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Save spec", "spec.json", "Spec JSON (*.json)")
        if not path:
            return False
        text = json.dumps(self.session.spec.to_dict(), indent=2) + "\n"
        return self._write_file(path, text.encode("utf-8"), "spec")

    @property
    def busy(self) -> bool:
        """An image is being read, a view is building its grids, a session's output or the
        comparison's coverage difference is being computed, compare mode is being put together."""
        return (self.reading_image
                or any(view.building or view.settling or view.session.output_pending for view in self.views)
                or bool(self._compare_parts) or (self.compare_panel is not None and self.compare_panel.computing))

    def wait_until_drawn(self, timeout_s: float = 120.0) -> bool:
        """Process events until every view has drawn its session's latest spec and output (for
        screenshots); False when `timeout_s` passed first."""
        import time

        deadline = time.monotonic() + timeout_s
        while self.busy:
            if time.monotonic() > deadline:
                return False
            QtWidgets.QApplication.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 20)
            QtCore.QThread.msleep(2)
        QtWidgets.QApplication.processEvents()
        return True

    def save_screenshot_dialog(self) -> None:
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Save screenshot", "convviz.png", "PNG (*.png)")
        if path:
            self.save_screenshot(path)

    def save_screenshot(self, path: str) -> bool:
        """The window as a PNG (PNG only: SVG export fails on Qt 6.11)."""
        QtWidgets.QApplication.processEvents()
        data = png_bytes(self.grab())
        if data is None:
            self._file_failed("could not make the screenshot: the window could not be drawn as PNG")
            return False
        return self._write_file(path, data, "screenshot")

    def _write_file(self, path: str, data: bytes, what: str) -> bool:
        """Write whole or not at all, through a symlink to its target (`write_atomic`)."""
        from ..session.files import FileRefused, write_atomic

        try:
            write_atomic(path, data, what)
        except FileRefused as error:
            self._file_failed(str(error))
            return False
        self._file_done(f"saved {what} to {path}")
        return True

    @property
    def file_error(self) -> str | None:
        """Why the last File action failed, until one succeeds."""
        return self._file_error

    def _file_failed(self, message: str) -> None:
        """A File action that did not work: said beside the controls and in the status bar."""
        self._file_error = message
        self.controls.show_error(message)
        self.status.showMessage(message, 10000)

    def _file_done(self, message: str) -> None:
        if self.controls.error_label.text() == self._file_error:
            self.controls.show_error("")
        self._file_error = None
        self.status.showMessage(message, 8000)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not getattr(self, "_shown_once", False):
            # keys go to the animation from the start: Space plays, arrows step (not a spin box)
            self._shown_once = True
            self.view.animation.grid.setFocus(QtCore.Qt.FocusReason.OtherFocusReason)
            self._fit_compare()
            if self.height() < TALL_ENOUGH_FOR_TIMING and not self.timing.running:
                self.timing_dock.hide()
                if self.presentation:
                    self._docks_shown[1] = False

    # closing -----------------------------------------------------------------------------------
    def run_output(self, job, deliver, jobs: LatestJobs | None = None) -> None:
        """A session's `output_runner`: its shown convolution on a worker thread (`jobs`, A's by
        default), the result delivered back on the GUI thread. One runs at a time; of those asked
        for meanwhile only the latest waits (each is superseded by the next spec change anyway)."""
        (jobs or self._outputs).run(job, deliver,
                                    lambda error: self.status.showMessage(f"could not compute the output: {error}"))

    def closeEvent(self, event) -> None:
        self.compare_timer.stop()
        for view in self.views:
            view.session.pause()
            view.timer.stop()
        if self.settings is not None:
            # written (and synced) before the wait for a timing run, which can be long
            stored.save(self.settings, self.session, self.saveGeometry())
            stored.save_presentation(self.settings, self.presentation)
        self.timing.shutdown()
        for view in self.views:
            view.stop_building()
        if self.compare_panel is not None:
            self.compare_panel.detach()
        self._images.close(3000)
        for jobs in (self._outputs, self._compared_outputs):
            jobs.close(3000)  # one convolution cannot be interrupted: parked after 3 s, left to finish
        super().closeEvent(event)
