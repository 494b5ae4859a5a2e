"""SessionView: one session drawn, its animation, output and coverage panels and its playback.

Live, it follows its session: every change is drawn from `session.frame()`, clicks become the
session's intents, and its own timer plays the animation at the session's speed. Detached
(`live=False`), it draws whatever frames it is given and never changes the session, which is
how frames are rendered offscreen (convviz.gui.render). Two views can share a window.
"""

from __future__ import annotations

from PyQt6 import QtCore, QtWidgets

from ..session import COVERAGE, DATA, PLAYING, SELECTION, SPEC, SPEED, STEP, SelectionTarget, Session
from ..session.scatter import scatter_plan
from ..session.scatter_frame import ScatterFrame
from .panels import AnimationPanel, CoveragePanel, OutputPanel
from .playback import PlaybackBar
from .scatter_panels import OverlapPanel, ScatterInputPanel, ScatterOutputPanel
from .textures import colour_grids
from .worker import LatestJobs

EVERYTHING = frozenset({SPEC, DATA, STEP, SELECTION, PLAYING, SPEED, COVERAGE})


MIN_PANEL = (190, 180)
"""Smallest width and height of the output and coverage panels: their numbers stay readable."""
MIN_ANIMATION = (300, 260)
WIDE = 1.25
"""Width/height ratio above which the output and coverage panels stand to the right of the
animation; below it they sit side by side under it (narrow windows, compare mode)."""
BACKGROUND_CELLS = 2**16
"""A live view builds and colours the grids of a new spec or data on a worker thread when the
padded input or the output has at least this many cells (256×256); smaller ones at once."""


def _build(token, job, theme):
    """A worker's part of a new frame: the step-independent grids, and their colours."""
    grids = job()
    colour_grids(grids, theme)
    return token, grids


class SessionView(QtWidgets.QWidget):
    """The panels and playback of one session."""

    grids_drawn = QtCore.pyqtSignal()
    """A build of grids off the GUI thread ended (drawn, failed, or stopped); the drawing is
    painted when the window next updates."""

    def __init__(self, session: Session, live: bool = True, parent=None):
        super().__init__(parent)
        self.session = session
        self.live = live
        self.caption = QtWidgets.QLabel()
        self.caption.setObjectName("view_caption")
        self.caption.setVisible(False)
        font = self.caption.font()
        font.setPointSizeF(14.0)
        font.setBold(True)
        self.caption.setFont(font)
        self.animation = AnimationPanel()
        self.output = OutputPanel()
        self.coverage = CoveragePanel()
        self.kernel = self.animation.kernel
        self.playback = PlaybackBar(session)
        self.playback.setVisible(live)
        if live:  # a detached view renders frames at whatever size it is asked for
            self.animation.setMinimumSize(*MIN_ANIMATION)
            for panel in (self.output, self.coverage):
                panel.setMinimumSize(*MIN_PANEL)

        self._scatter_panels: tuple | None = None
        self._compact = False
        self._stacks = []
        for direct in (self.animation, self.output, self.coverage):
            stack = QtWidgets.QStackedWidget()
            stack.addWidget(direct)
            self._stacks.append(stack)
        self._show_page(0)
        self.scattering = False
        """Whether the scatter panels are shown (the frame drawn last was a ScatterFrame)."""
        self.results = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical)
        self.results.addWidget(self._stacks[1])
        self.results.addWidget(self._stacks[2])
        self.splitter = QtWidgets.QSplitter(QtCore.Qt.Orientation.Horizontal)
        self.splitter.addWidget(self._stacks[0])
        self.splitter.addWidget(self.results)
        for splitter in (self.splitter, self.results):
            splitter.setChildrenCollapsible(False)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        if live:
            # the smaller of the two arrangements' minimum widths and heights: _arrange picks the one that fits
            self.setMinimumSize(2 * MIN_PANEL[0] + 12, max(MIN_ANIMATION[1], 2 * MIN_PANEL[1]) + 60)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.caption)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.playback)

        self.timer = QtCore.QTimer(self)
        self.timer.setTimerType(QtCore.Qt.TimerType.PreciseTimer)
        self.drives_playback = True
        """False: this view's timer never runs (compare mode's one clock moves its session)."""
        self.animation.fit_button.clicked.connect(self.fit)
        self.animation.follow.toggled.connect(self._follow_toggled)
        self._frame = None
        self.building = False
        """The grids of the session's latest spec or data are being built on a worker; until they
        arrive the view shows the last ones it drew, under a “building…” note."""
        self.settling = False
        """The view's new panels are being laid out; they are painted when it is done."""
        self._held: set = set()
        """Changes not drawn yet because a build is under way."""
        self._builds = LatestJobs(self)
        self.building_note = QtWidgets.QLabel(self)
        self.building_note.setObjectName("building_note")
        self.building_note.setStyleSheet("background: rgba(255, 244, 214, 235); color: #5c3d00; "
                                         "border: 1px solid #d9a400; padding: 3px 8px;")
        self.building_note.setAttribute(QtCore.Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.building_note.hide()
        self._pending_hover: tuple | None = None
        self._hover_timer = QtCore.QTimer(self)
        self._hover_timer.setSingleShot(True)
        self._hover_timer.timeout.connect(self._apply_hover)
        if live:
            self.timer.timeout.connect(session.tick)
            self.output.cell_clicked.connect(self._output_clicked)
            self.coverage.cell_clicked.connect(lambda row, col: self._pin("input", row, col))
            self.kernel.grid.cell_clicked.connect(lambda row, col: self._pin("weight", *self._weight_at(row, col)))
            self.animation.grid.cell_clicked.connect(self._padded_clicked)
            self.animation.channels.chosen.connect(lambda c: session.show_channels(in_channel=c))
            self.output.channels.chosen.connect(lambda k: session.show_channels(out_channel=k))
            self.coverage.wins.toggled.connect(lambda on: session.set_coverage_view("wins" if on else "reads"))
            self.output.grid.cell_hovered.connect(lambda row, col: self._hover("output", row, col))
            self.coverage.grid.cell_hovered.connect(lambda row, col: self._hover("input", row, col))
            self.kernel.grid.cell_hovered.connect(lambda row, col: self._hover("weight", *self._weight_at(row, col)))
            self.animation.grid.cell_hovered.connect(
                lambda row, col: self._hover("input", *self._input_cell_at(row, col)))
            session.subscribe(self.on_change)
            self.on_change(EVERYTHING)

    @property
    def scatter_input(self) -> ScatterInputPanel:
        return self._scatter()[0]

    @property
    def scatter_output(self) -> ScatterOutputPanel:
        return self._scatter()[1]

    @property
    def overlap(self) -> OverlapPanel:
        return self._scatter()[2]

    def _scatter(self) -> tuple:
        """The scatter view of a transposed convolution (input, output, overlap panels, in place of
        output, animation and coverage), made the first time it is needed: most views never show
        it, and a view without it is made in half the time (compare mode makes one at once)."""
        if self._scatter_panels is None:
            panels = self._scatter_panels = ScatterInputPanel(), ScatterOutputPanel(), OverlapPanel()
            # the output is the scatter's stage: it takes the animation's place, the input the output's
            page = self._stacks[0].currentIndex()
            for stack, panel in zip(self._stacks, (panels[1], panels[0], panels[2])):
                stack.addWidget(panel)
            self._page = None
            self._show_page(page)
            theme = getattr(self, "theme", None)
            if theme is not None:
                for panel in panels:
                    panel.apply_theme(theme)
            self._compact_scatter()
            stage = panels[1]
            stage.fit_button.clicked.connect(self.fit)
            stage.follow.setChecked(self.animation.follow.isChecked())
            stage.follow.toggled.connect(self.animation.follow.setChecked)  # one setting, shown in both views
            self.animation.follow.toggled.connect(stage.follow.setChecked)
            if self.live:
                self._connect_scatter(self.session)
        return self._scatter_panels

    def _connect_scatter(self, session) -> None:
        """Pointing and clicking in the scatter view: an output cell shows its writers (a click goes
        to the step that completes it), an input cell the output cells it writes (a click goes to
        its step), a weight the products it makes."""
        for grid in (self.scatter_output.grid, self.overlap.grid):
            grid.cell_hovered.connect(lambda row, col: self._hover("output", row, col))
            grid.cell_clicked.connect(self._output_clicked)
        self.scatter_input.grid.cell_hovered.connect(lambda row, col: self._hover("input", row, col))
        self.scatter_input.grid.cell_clicked.connect(self._scatter_input_clicked)
        self.scatter_input.kernel.cell_hovered.connect(lambda row, col: self._hover("weight", row, col))
        self.scatter_input.kernel.cell_clicked.connect(lambda row, col: self._pin("weight", row, col))
        self.scatter_input.channels.chosen.connect(lambda c: session.show_channels(in_channel=c))
        self.scatter_output.channels.chosen.connect(lambda k: session.show_channels(out_channel=k))

    def _scatter_input_clicked(self, row: int, col: int) -> None:
        self.session.set_step(scatter_plan(self.session.plan).step_of(row, col))
        self._pin("input", row, col)

    def _show_page(self, index: int) -> None:
        """Show the direct (0) or scatter (1) panels; the hidden ones take no part in the sizes."""
        if index == 1:
            self._scatter()
        if getattr(self, "_page", None) == index:
            return
        self._page = index
        ignored, preferred = QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Preferred
        for stack in self._stacks:
            for page in range(stack.count()):
                policy = preferred if page == index else ignored
                stack.widget(page).setSizePolicy(policy, policy)
            stack.setCurrentIndex(index)

    def set_caption(self, text: str) -> None:
        """A name over the view ("A", "B" in compare mode); empty: none."""
        self.caption.setText(text)
        self.caption.setVisible(bool(text))

    def set_compact(self, compact: bool) -> None:
        """Compact: without the legend, the kernel panel and the output formulas (compare mode shows
        the formulas of both in their own column), the titles on one line (the whole title in
        their tooltips), so two views fit side by side on a projector."""
        self.animation.legend.setVisible(not compact)
        self.output.formula_label.setVisible(not compact)
        self.animation.kernel.setVisible(not compact)
        self.output.set_compact(compact)
        for heading in (self.animation.title, self.coverage.title, self.coverage.summary):
            heading.set_one_line(compact)
        self._compact = compact
        self._compact_scatter()

    def _compact_scatter(self) -> None:
        if self._scatter_panels is None:
            return
        source, stage, overlap = self._scatter_panels
        for label in (stage.formula_label, stage.legend, source.legend, overlap.summary):
            label.setVisible(not self._compact)

    def apply_theme(self, theme) -> None:
        """Draw with `theme` from now on (fonts, lines, colour maps), redrawing everything."""
        self.theme = theme
        for panel in (self.animation, self.output, self.coverage, *(self._scatter_panels or ())):
            panel.apply_theme(theme)
        font = self.caption.font()
        font.setPointSizeF(theme.font(14.0))
        font.setBold(True)
        self.caption.setFont(font)
        self.playback.apply_theme(theme)
        if self.live:
            self._show(EVERYTHING)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self.live:  # a detached view keeps one arrangement: exported frames all look alike
            self._arrange(event.size().width(), event.size().height())

    def _arrange(self, width: int, height: int) -> None:
        """Results beside the animation when the view is wide, under it when it is narrow."""
        wide = width >= max(WIDE * height, MIN_ANIMATION[0] + MIN_PANEL[0] + 12)
        horizontal, vertical = QtCore.Qt.Orientation.Horizontal, QtCore.Qt.Orientation.Vertical
        outer = horizontal if wide else vertical
        if self.splitter.orientation() == outer:
            return
        self.splitter.setOrientation(outer)
        self.results.setOrientation(vertical if wide else horizontal)
        first = width if not wide else height
        self.splitter.setSizes([int(width * 0.6), int(width * 0.4)] if wide else [int(height * 0.58), int(height * 0.42)])
        self.results.setSizes([first, first])

    # pointing and picking ------------------------------------------------------------------------
    def _input_cell_at(self, padded_row: int, padded_col: int) -> tuple[int, int]:
        """The input cell a padded cell holds (itself or the cell a padding copy copies); (-1, -1)
        for zero padding or off the grid."""
        picture = self._frame.input if self._frame is not None else None
        if picture is None or padded_row < 0 or padded_col < 0:
            return -1, -1
        row, col = int(picture.source_rows[padded_row]), int(picture.source_cols[padded_col])
        return (row, col) if row >= 0 and col >= 0 else (-1, -1)

    def _weight_at(self, row: int, col: int) -> tuple[int, int]:
        """The weight a kernel cell shows (a transposed convolution's kernel is drawn flipped)."""
        kernel = self._frame.kernel if self._frame is not None else None
        if kernel is None or row < 0 or col < 0:
            return row, col
        height, width = kernel.values.shape
        if row >= height or col >= width:
            return -1, -1
        return kernel.weight_of(row, col)

    def _hover(self, kind: str, row: int, col: int) -> None:
        """Point at a cell; applied once the event queue is empty, so a fast pointer costs one
        redraw per pause, not one per cell crossed."""
        self._pending_hover = None if row < 0 or col < 0 else SelectionTarget(kind, row, col)
        self._hover_timer.start(0)

    def _apply_hover(self) -> None:
        self.session.hover(self._pending_hover)

    def _pin(self, kind: str, row: int, col: int) -> None:
        if row >= 0 and col >= 0:
            self._hover_timer.stop()
            self.session.hover(None)
            self.session.toggle_selection(SelectionTarget(kind, row, col))

    def _padded_clicked(self, padded_row: int, padded_col: int) -> None:
        self._pin("input", *self._input_cell_at(padded_row, padded_col))

    def _output_clicked(self, i: int, j: int) -> None:
        self.session.go_to_output(i, j)
        self._pin("output", i, j)

    def on_change(self, changes) -> None:
        self._show(changes)
        session = self.session
        if SPEED in changes:
            self.timer.setInterval(session.interval_ms)
        if PLAYING in changes:
            if session.playing and self.drives_playback:
                self.timer.start(session.interval_ms)
            else:
                self.timer.stop()

    # building off the GUI thread -------------------------------------------------------------------
    def _show(self, changes) -> None:
        """Draw the session's frame; when its grids are missing and large, build them on a worker
        first (drawing resumes when they arrive)."""
        changes = set(changes)
        if changes & {SPEC, DATA, COVERAGE}:
            build = self.session.grids_job()
            if build is not None and self.large:
                self._held |= changes
                self._start_build(build)
                return
            if self.building:  # drawn at once from here: a build still under way is stale
                self._end_building()
                changes |= self._held
                self._held = set()
        if self.building:
            self._held |= changes
            return
        self.draw(self.session.frame(), changes)

    @property
    def large(self) -> bool:
        """The session's grids have BACKGROUND_CELLS or more: they are built on a worker."""
        return self.grids_large(self.session)

    @staticmethod
    def grids_large(session) -> bool:
        conv_plan = session.plan
        cells = max(conv_plan.padded_shape[0] * conv_plan.padded_shape[1], conv_plan.steps)
        return cells >= BACKGROUND_CELLS

    def _start_build(self, build) -> None:
        token, job = build
        self.building = True
        session = self.session
        height, width = session.plan.output_size if session.scatter_shown else session.plan.padded_shape
        self.building_note.setText(f"building the {height}×{width} grids…")
        self.building_note.adjustSize()
        if session.scatter_shown:
            self._scatter()  # made now, while the worker builds: not with the grids when they arrive
        shown = self.scatter_output if self.scattering else self.animation
        corner = shown.grid.mapTo(self, QtCore.QPoint(8, 8)) if shown.grid.isVisible() else QtCore.QPoint(8, 8)
        self.building_note.move(corner)  # over the grids it replaces, not over their titles
        self.building_note.raise_()
        self.building_note.show()
        theme = getattr(self, "theme", None) or self.animation.theme
        self._builds.run(lambda: _build(token, job, theme), self._built, self._build_failed)

    def _built(self, result) -> None:
        token, grids = result
        if not self.building:
            return  # drawn at once meanwhile
        if not self.session.adopt_grids(token, grids):
            if not self._builds.waiting:  # stale, and nothing newer asked for: ask again
                build = self.session.grids_job()
                if build is not None:
                    self._start_build(build)
                    return
            else:
                return
        self._end_building()
        changes, self._held = self._held, set()
        self.draw(self.session.frame(), changes | {SPEC, DATA})

    def _build_failed(self, error) -> None:
        """A build that raised (a bug): drawn on the GUI thread instead, where the error is reported."""
        if self.building:
            self._end_building()
            changes, self._held = self._held, set()
            self.draw(self.session.frame(), changes | {SPEC, DATA})

    def _end_building(self) -> None:
        was_building, self.building = self.building, False
        if was_building:
            self.grids_drawn.emit()
        self.building_note.hide()

    def stop_building(self) -> None:
        """No more builds (the view is going): one under way is waited for, or left to finish."""
        self._builds.close(3000)
        self._end_building()
        self._held = set()

    def draw(self, frame, changes=EVERYTHING) -> None:
        """Draw `frame`; `changes` says which of its parts are new (all of them by default)."""
        changes = set(changes)
        self._frame = frame
        scattering = isinstance(frame, ScatterFrame)
        if scattering != self.scattering:
            self.scattering = scattering
            if self.live:
                self._hold_paint()
            self._show_page(1 if scattering else 0)
            changes |= EVERYTHING
        panels = (self.scatter_input, self.scatter_output, self.overlap) if scattering else \
            (self.animation, self.output, self.coverage)
        for panel in (*panels, self.playback):
            panel.draw(frame, changes)
        if STEP in changes and self.animation.follow.isChecked():
            self._follow_kernel(readable=False)

    def _hold_paint(self) -> None:
        """Paint the view once its new panels are laid out, on a later turn of the event loop:
        a switch between the direct and the scatter panels otherwise paints every grid before
        the layout settles and again after (three times over, 100 ms at 1024²)."""
        if not self.settling:
            self.settling = True
            self.setUpdatesEnabled(False)
            QtCore.QTimer.singleShot(1, self._release_paint)

    def _release_paint(self) -> None:
        self.settling = False
        self.setUpdatesEnabled(True)

    @property
    def grids(self):
        if self.scattering:
            return (self.scatter_input.grid, self.scatter_output.grid, self.overlap.grid)
        return (self.animation.grid, self.output.grid, self.coverage.grid)

    def fit(self) -> None:
        """Every grid of the view shown whole."""
        for grid in self.grids:
            grid.fit()

    def _follow_toggled(self, on: bool) -> None:
        if on:
            self._follow_kernel(readable=True)

    def _follow_kernel(self, readable: bool) -> None:
        """Keep the step's window and output cell in view; `readable`: zoom in until values show."""
        frame = self._frame
        if frame is None:
            return
        if isinstance(frame, ScatterFrame):
            a, b = frame.cell
            self.scatter_input.grid.keep_in_view(a, b, 1, 1, readable=readable)
            self.scatter_output.grid.keep_in_view(*frame.window, readable=readable)
            return
        self.animation.grid.keep_in_view(*frame.window, readable=readable)
        i, j = frame.position
        self.output.grid.keep_in_view(i, j, 1, 1, readable=readable)

    def detach(self) -> None:
        """Stop following the session (the view is about to go)."""
        if self.live:
            self.session.unsubscribe(self.on_change)
            self.timer.stop()
            self.stop_building()
            self.live = False
