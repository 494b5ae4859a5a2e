"""The three grids of one session: the padded input with the sliding window, the output map
filling in, and the border-coverage heatmap. Each draws a `Frame` (convviz.session.frame) and
redraws only what changed; clicks are emitted as signals, never acted on here."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtCore, QtGui, QtWidgets

from ..session import COVERAGE, DATA, SELECTION, SPEC, STEP
from ..session.patterns import format_value
from .colour_bar import ColourBar
from .grid import CellGrid, colour_cells
from .highlight import Highlight
from .textures import EMPTY, coverage_colours, fill, input_colours, output_colours
from .theme import NORMAL, Theme

UNREAD_HATCH = "#c92a2a"
SELECTION_COLOUR = "#1c7ed6"
INSERTED_TEXT = "#9c6d00"
DOTS_MIN_PIXELS = 14
"""Cell size (screen pixels) from which the inserted zeros are dotted; smaller, only tinted."""
WINNER_COLOUR = "#009E73"
"""Okabe–Ito bluish green: max pooling's winning cell."""


class Heading(QtWidgets.QLabel):
    """A plain-text label that wraps or, on one line (`set_one_line`: compare mode's narrow
    columns, where a wrapped title took three lines from a 6×6 grid), ends what does not fit
    with '…' and shows the whole text as its tooltip. `text()` is always the whole text."""

    def __init__(self, text: str = ""):
        super().__init__()
        self._whole = ""
        self._one_line = False
        self.setWordWrap(True)
        self.setText(text)

    def setText(self, text: str) -> None:  # noqa: N802 (Qt's name)
        self._whole = text
        self._show()

    def text(self) -> str:
        return self._whole

    @property
    def one_line(self) -> bool:
        return self._one_line

    def set_one_line(self, on: bool) -> None:
        self._one_line = on
        self.setWordWrap(not on)
        horizontal = QtWidgets.QSizePolicy.Policy.Ignored if on else QtWidgets.QSizePolicy.Policy.Preferred
        self.setSizePolicy(horizontal, QtWidgets.QSizePolicy.Policy.Preferred)
        self._show()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        if self._one_line:
            self._show()

    def _show(self) -> None:
        shown = self._whole
        if self._one_line:
            shown = self.fontMetrics().elidedText(self._whole, QtCore.Qt.TextElideMode.ElideRight, max(1, self.width()))
        super().setText(shown)
        self.setToolTip(self._whole if shown != self._whole else "")


def _label(text="", size=None, bold=False, wrap=True, heading=False) -> QtWidgets.QLabel:
    label = Heading(text) if heading else QtWidgets.QLabel(text)
    label.setWordWrap(wrap)
    label.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
    font = label.font()
    if size:
        font.setPointSizeF(size)
    font.setBold(bold)
    label.setFont(font)
    label.setProperty("base_points", size or font.pointSizeF())
    return label


def view_tools(legend: QtWidgets.QLabel, prefix: str = ""):
    """(Fit button, "Follow the kernel" box, a row with `legend` and both), named `{prefix}fit`
    and `{prefix}follow`: the direct view's and the scatter view's, which the view keeps in step."""
    fit_button = QtWidgets.QToolButton(text="Fit")
    fit_button.setObjectName(f"{prefix}fit")
    fit_button.setToolTip("Show the whole grids again (or double-click a grid). Mouse wheel: zoom; drag: pan")
    follow = QtWidgets.QCheckBox("Follow the kernel")
    follow.setObjectName(f"{prefix}follow")
    follow.setToolTip("While zoomed in, keep the kernel's window (and the output cell) in view; "
                      "turning it on zooms in until values can be read")
    follow.setChecked(True)
    tools = QtWidgets.QHBoxLayout()
    tools.addWidget(legend, 1)
    for widget in (fit_button, follow):
        widget.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
        tools.addWidget(widget, 0, QtCore.Qt.AlignmentFlag.AlignTop)
    return fit_button, follow, tools


def step_labels(prefix: str = "") -> tuple[QtWidgets.QLabel, QtWidgets.QLabel]:
    """The step's arithmetic and the pointed cell's words (hidden until something is pointed at),
    named `{prefix}arithmetic` and `{prefix}selection_text`."""
    arithmetic = _label(size=13)
    arithmetic.setObjectName(f"{prefix}arithmetic")
    arithmetic.setAlignment(QtCore.Qt.AlignmentFlag.AlignTop | QtCore.Qt.AlignmentFlag.AlignLeft)
    selection = _label(size=11)
    selection.setObjectName(f"{prefix}selection_text")
    selection.setStyleSheet(f"color: {SELECTION_COLOUR}")
    selection.setVisible(False)
    return arithmetic, selection


def words_area(*labels: QtWidgets.QLabel) -> QtWidgets.QScrollArea:
    """`labels` one under the other, top-aligned, scrolling vertically when they do not fit."""
    words = QtWidgets.QWidget()
    layout = QtWidgets.QVBoxLayout(words)
    layout.setContentsMargins(0, 0, 0, 0)
    for label in labels:
        layout.addWidget(label)
    layout.addStretch(1)
    scroll = QtWidgets.QScrollArea()
    scroll.setWidget(words)
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
    scroll.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    scroll.setMinimumHeight(48)
    return scroll


def scale_labels(widget: QtWidgets.QWidget, theme: Theme) -> None:
    """Every label made by `_label` under `widget` at its base size times the theme's scale."""
    for label in widget.findChildren(QtWidgets.QLabel):
        base = label.property("base_points")
        if base:
            font = label.font()
            font.setPointSizeF(theme.font(float(base)))
            label.setFont(font)


MAX_OUTLINED_TAPS = 400
"""Kernels with more taps than this (20×20) show them as one tinted image, without outlines."""


def _tap_image(row_offsets, col_offsets, colour: QtGui.QColor) -> np.ndarray:
    """RGBA over the window's extent: `colour` at the taps, clear between (dilation's gaps)."""
    image = np.zeros((int(row_offsets[-1]) + 1, int(col_offsets[-1]) + 1, 4), dtype=np.uint8)
    image[np.ix_(np.asarray(row_offsets, dtype=int), np.asarray(col_offsets, dtype=int))] = colour.getRgb()
    return image


def _outline(colour: str, width: float) -> QtGui.QPen:
    pen = QtGui.QPen(QtGui.QColor(colour))
    pen.setCosmetic(True)
    pen.setWidthF(width)
    return pen


KERNEL_HEIGHT = 210
"""Tallest the kernel panel gets."""
MAX_CHANNEL_TABS = 64
"""Input channels get a tab each up to this many; past it, a spin box."""


MAX_MERGED_UNREAD = 32
"""Unread rows and columns up to which their hatching is merged into one outline."""
SHOWN_TERMS = 1024
"""The labels list a step's products up to this many (a 32×32 kernel on one channel), past it
one sum per channel: laying out the 3,721 products of a 61×61 kernel took Qt about 0.3 s a step."""

class ChannelChooser(QtWidgets.QWidget):
    """Which channel a panel shows: tabs for a few channels, a spin box for many; hidden for one."""

    chosen = QtCore.pyqtSignal(int)

    def __init__(self, label: str, name: str, parent=None):
        super().__init__(parent)
        self.name = name
        self.tabs = QtWidgets.QTabBar()
        self.tabs.setObjectName(f"{name}_tabs")
        self.tabs.setUsesScrollButtons(True)
        self.tabs.setExpanding(False)
        self.tabs.setDrawBase(False)
        self.tabs.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
        self.spin = QtWidgets.QSpinBox()
        self.spin.setObjectName(f"{name}_spin")
        self.label = QtWidgets.QLabel(label)
        self.count_label = QtWidgets.QLabel()
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.spin)
        layout.addWidget(self.count_label)
        layout.addStretch(0)
        self.tabs.currentChanged.connect(self._picked)
        self.spin.valueChanged.connect(self._picked)
        self.setVisible(False)

    def show_channels(self, count: int, current: int, groups=(), colours=()) -> None:
        """`count` channels, `current` chosen; with `groups` (each channel's group), each tab gets
        its group's colour from `colours` and the count says the chosen one's group."""
        for widget in (self.tabs, self.spin):
            widget.blockSignals(True)
        tabbed = count <= MAX_CHANNEL_TABS
        if tabbed and self.tabs.count() != count:
            while self.tabs.count():
                self.tabs.removeTab(0)
            for index in range(count):
                self.tabs.addTab(f"{self.name}={index}")
        if tabbed:
            for index in range(count):
                colour = colours[groups[index] % len(colours)] if len(groups) == count and colours else None
                self.tabs.setTabIcon(index, _swatch(colour) if colour else QtGui.QIcon())
                self.tabs.setTabToolTip(index, f"group {groups[index]}" if colour else "")
        self.tabs.setVisible(tabbed)
        self.spin.setVisible(not tabbed)
        self.spin.setRange(0, max(count - 1, 0))
        self.spin.setValue(current)
        if tabbed:
            self.tabs.setCurrentIndex(current)
        group = f" · group {groups[current]}" if len(groups) == count and count else ""
        self.count_label.setText(f"of {count}{group}")
        self.count_label.setVisible(not tabbed)
        for widget in (self.tabs, self.spin):
            widget.blockSignals(False)
        self.setVisible(count > 1)

    def _picked(self, index: int) -> None:
        if index >= 0:
            self.chosen.emit(int(index))


def _swatch(colour: str, side: int = 10) -> QtGui.QIcon:
    """A small square of `colour`: a group's mark on a channel tab."""
    pixmap = QtGui.QPixmap(side, side)
    pixmap.fill(QtGui.QColor(colour))
    return QtGui.QIcon(pixmap)


def _remove(items) -> None:
    for item in items:
        item.setParentItem(None)
        if item.scene() is not None:
            item.scene().removeItem(item)


class AnimationPanel(QtWidgets.QWidget):
    """The padded input grid, the kernel window over its taps, and the step's arithmetic."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.title = _label(size=12, bold=True, heading=True)
        self.legend = _label()
        self.legend.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.grid = CellGrid()
        self.channels = ChannelChooser("input channel:", "c")
        self.channels.setToolTip("The input channel shown, with its kernel slice w[k, c]; "
                                 "each output sums every channel")
        self.arithmetic, self.selection_text = step_labels()
        self.notes = _label(size=10)
        self.notes.setObjectName("grid_notes")
        self.notes.setStyleSheet("color: #555")
        self.notes.setVisible(False)
        self.arithmetic_scroll = words_area(self.selection_text, self.arithmetic, self.notes)
        self.fit_button, self.follow, tools = view_tools(self.legend)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.title)
        layout.addLayout(tools)
        layout.addWidget(self.channels)
        self.middle = QtWidgets.QHBoxLayout()
        self.middle.addWidget(self.grid, 1)
        layout.addLayout(self.middle, 1)
        self.theme = NORMAL
        self.kernel = KernelPanel()
        self.kernel.setMaximumWidth(250)
        self.kernel.setMaximumHeight(KERNEL_HEIGHT)
        bottom = self.bottom = QtWidgets.QHBoxLayout()
        bottom.addWidget(self.kernel)
        bottom.addWidget(self.arithmetic_scroll, 1)
        layout.addLayout(bottom)
        self.input_border = self.grid.add_rect(NORMAL.input_border, 3.0)
        self.window_rect = self.grid.add_rect(NORMAL.window_colour, 3.5)
        self.winner = self.grid.add_rect(WINNER_COLOUR, 4.0)
        """Max pooling: the cell the step's window passes on."""
        self.winner.setVisible(False)
        self.taps = pg.ItemGroup()
        self.taps.setParentItem(self.grid.overlay_layer)
        self.tap_marks = QtWidgets.QGraphicsPathItem(self.taps)
        """Every tap of the kernel's window, one path (a 63×63 kernel is 3,969 squares: as items
        they took a fifth of a second to make and remove on each spec change)."""
        self.tap_fill = pg.ImageItem(axisOrder="row-major")
        """Past `MAX_OUTLINED_TAPS` the taps are one tinted image instead: the path of a 61×61
        kernel took 11 of an input grid's 13 ms to paint, and a spec change paints it three times."""
        self.tap_fill.setParentItem(self.taps)
        self.tap_fill.setVisible(False)
        self.unread = QtWidgets.QGraphicsPathItem(self.grid.overlay_layer)
        self.unread.setBrush(QtGui.QBrush(QtGui.QColor(UNREAD_HATCH), QtCore.Qt.BrushStyle.BDiagPattern))
        unread_pen = QtGui.QPen(QtGui.QColor(UNREAD_HATCH))
        unread_pen.setCosmetic(True)
        unread_pen.setWidthF(1.5)
        self.unread.setPen(unread_pen)
        self.unread_fill = pg.ImageItem(axisOrder="row-major")
        """Many unread rows and columns as a tint per cell: Qt fills a path of n overlapping
        rectangles in time that grows as n² (seconds for a few hundred, on every repaint)."""
        self.unread_fill.setParentItem(self.grid.overlay_layer)
        self.unread_fill.setLookupTable(np.array([(0, 0, 0, 0), (*QtGui.QColor(UNREAD_HATCH).getRgb()[:3], 110)],
                                                 dtype=np.uint8))
        self.unread_fill.setVisible(False)
        self.inserted_marks = QtWidgets.QGraphicsPathItem(self.grid.overlay_layer)
        self.inserted_marks.setBrush(QtGui.QBrush(QtGui.QColor(INSERTED_TEXT), QtCore.Qt.BrushStyle.Dense6Pattern))
        self.inserted_marks.setPen(QtGui.QPen(QtCore.Qt.PenStyle.NoPen))
        self.inserted_marks.setCacheMode(QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache)
        """Dots over the inserted zeros: a mark that does not rely on their colour."""
        self.grid.view.sigRangeChanged.connect(self._update_inserted_visibility)
        self.grid.view.sigResized.connect(self._update_inserted_visibility)
        self.picked = Highlight(self.grid, SELECTION_COLOUR, z=2)
        """Padded cells the selection reads (with how often, for a picked input cell)."""
        self.copies = Highlight(self.grid, SELECTION_COLOUR, width=2.0, dashed=True, z=2)
        """A picked input cell and its padding copies, read or not."""
        self._drawn_input = None

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._place_kernel(event.size().width(), event.size().height())

    def _place_kernel(self, width: int, height: int) -> None:
        """The kernel beside the input grid in a wide, short panel (a projector's 768 rows), under
        it otherwise; never more than a quarter of the panel's height under it."""
        beside = width > 1.6 * height
        least = self.kernel.minimumSizeHint().height()
        self.kernel.setMaximumHeight(KERNEL_HEIGHT if beside else max(least, min(KERNEL_HEIGHT, height // 4)))
        layout = self.middle if beside else self.bottom
        if layout.indexOf(self.kernel) >= 0:
            return
        (self.bottom if beside else self.middle).removeWidget(self.kernel)
        if beside:
            self.middle.addWidget(self.kernel, 0, QtCore.Qt.AlignmentFlag.AlignTop)
        else:
            self.bottom.insertWidget(0, self.kernel)

    def apply_theme(self, theme: Theme) -> None:
        """Colours, line widths and font sizes of `theme`; the next full draw uses its maps."""
        self.theme = theme
        self._drawn_input = None
        scale_labels(self, theme)
        font = self.arithmetic.font()
        font.setPointSizeF(theme.arithmetic_points)
        self.arithmetic.setFont(font)
        self.grid.apply_theme(theme)
        self.input_border.setPen(_outline(theme.input_border, theme.line(3.0)))
        self.window_rect.setPen(_outline(theme.window_colour, theme.line(3.5)))

    def draw(self, frame, changes) -> None:
        if SPEC in changes or DATA in changes:
            if frame.input is not self._drawn_input:  # new data can leave the input as it was
                self._draw_grid(frame.input)
                self._drawn_input = frame.input
            self.channels.show_channels(frame.in_channels, frame.in_channel, frame.in_groups,
                                        self.theme.series_colours)
        if changes & {SPEC, DATA, STEP}:
            self._draw_step(frame)
        if changes & {SPEC, DATA, SELECTION}:
            weighted = frame.kernel is not None and frame.kernel.weighted
            self._draw_selection(frame.selection, frame.selection_terms, frame.kernel.values if weighted else None)
        self.kernel.draw(frame, changes)

    def _draw_selection(self, picked, terms=None, weights=None) -> None:
        """Light up what `picked` reads on the padded grid: a picked output cell's taps with the
        weight each is multiplied by (`weights`, the shown kernel slice), a picked input cell's
        copies with how often each is read, the cells a picked weight multiplies."""
        if picked is None:
            self.picked.clear()
            self.copies.clear()
            self.selection_text.setText("")
            self.selection_text.setVisible(False)
            return
        texts = None
        if picked.kind == "output" and weights is not None:
            texts = [f"·{format_value(value)}" for value in np.ravel(weights)]
        self.picked.show(picked.rows.padded, picked.cols.padded, counts=picked.kind == "input", texts=texts)
        if picked.kind == "input":
            rows, cols = picked.copies
            self.copies.show(np.bincount(rows, minlength=1), np.bincount(cols, minlength=1), fill=False,
                             counts=False)
        else:
            self.copies.clear()
        how = "pinned · Esc clears" if picked.pinned else "click to pin"
        text = f"{picked.text}  ({how})"
        if terms is not None:
            text += "\n" + terms.text(SHOWN_TERMS)
        self.selection_text.setText(text)
        self.selection_text.setVisible(True)

    def _draw_grid(self, picture) -> None:
        mask, mode = picture.padding, picture.mode
        theme = self.theme
        rgba, dark = input_colours(picture, theme)
        inserted = picture.inserted if picture.inserted is not None else np.zeros_like(mask)

        pad_text_colour = "#8a8a8a" if mode == "zeros" else "#4c2a9e"

        def texts(rows, cols):
            colours = np.where(mask[rows, cols], pad_text_colour, np.where(dark[rows, cols], "#111", "#fff"))
            colours = np.where(inserted[rows, cols], INSERTED_TEXT, colours)
            return picture.cell_texts(rows, cols), colours.tolist(), picture.copy_labels(rows, cols)

        self.grid.set_cells(rgba, texts)
        self.grid.set_axis_labels(picture.row_labels, picture.col_labels)
        top, left, height, width = picture.shown_input_rect
        self.input_border.setRect(QtCore.QRectF(left, top, width, height))
        row_offsets, col_offsets = picture.tap_offsets
        fill_colour = QtGui.QColor(theme.window_colour)
        fill_colour.setAlpha(70)
        outlined = len(row_offsets) * len(col_offsets) <= MAX_OUTLINED_TAPS
        marks = QtGui.QPainterPath()
        if outlined:
            for row_offset in row_offsets:
                for col_offset in col_offsets:
                    marks.addRect(float(col_offset) + 0.06, float(row_offset) + 0.06, 0.88, 0.88)
        else:
            self.tap_fill.setImage(_tap_image(row_offsets, col_offsets, fill_colour), autoLevels=False)
            self.tap_fill.setRect(QtCore.QRectF(0, 0, int(col_offsets[-1]) + 1, int(row_offsets[-1]) + 1))
        self.tap_fill.setVisible(not outlined)
        self.tap_marks.setPath(marks)
        self.tap_marks.setBrush(QtGui.QBrush(fill_colour))
        self.tap_marks.setPen(_outline(theme.window_colour, theme.line(1.5)))
        self._draw_unread(picture)
        self._draw_inserted(picture)
        self.title.setText(picture.title)
        if not picture.has_padding:
            pad_text = ""
        elif picture.operation == "max_pool":
            pad_text = "<span style='background:#e2e2e2'>&nbsp;grey&nbsp;</span> padding, −∞ &nbsp; "
        elif mode == "zeros":
            pad_text = "<span style='background:#e2e2e2'>&nbsp;grey&nbsp;</span> zero padding &nbsp; "
        else:
            pad_text = (f"<span style='background:#d5c8f5'>&nbsp;violet&nbsp;</span> {mode} padding "
                        "(↤r,c: the input cell it copies) &nbsp; ")
        unread_text = ""
        if picture.unread_rows or picture.unread_cols:
            unread_text = (f" &nbsp; <span style='color:{UNREAD_HATCH}'><b>▨ red hatching</b></span>: "
                           f"{picture.unread_text}" + (" (where the grid crops the input, not drawn)"
                                                       if picture.unread_cropped else ""))
        if picture.inserted is not None and picture.inserted.any():
            pad_text += ("<span style='background:#ffecb3'>&nbsp;dotted amber&nbsp;</span> zeros inserted "
                         "between input cells &nbsp; ")
        taps = "the window's taps" if picture.operation in ("max_pool", "avg_pool") else "the kernel's taps"
        winner = (f" &nbsp; <span style='color:{WINNER_COLOUR}'><b>▣ green</b></span>: the window's winner "
                  "(first largest)" if picture.operation == "max_pool" else "")
        self.notes.setText(picture.notes)
        self.notes.setVisible(bool(picture.notes))
        self.legend.setText(
            f"<span style='color:{theme.input_border}'><b>▭ {theme.border_name}</b></span>: the input &nbsp; "
            f"{pad_text}<span style='color:{theme.window_colour}'><b>■ {theme.window_name}</b></span>: "
            f"{taps}, {picture.kernel_text}{winner}{unread_text}"
        )

    def _draw_inserted(self, picture) -> None:
        """Dot the rows and columns of zeros a transposed convolution's stride inserts, across the input."""
        top, left, height, width = picture.shown_input_rect
        rows, cols = picture.inserted_lines
        path = QtGui.QPainterPath()
        for row in rows:
            path.addRect(QtCore.QRectF(left, float(row), width, 1))
        for col in cols:
            path.addRect(QtCore.QRectF(float(col), top, 1, height))
        path.setFillRule(QtCore.Qt.FillRule.WindingFill)
        self.inserted_marks.setPath(path)
        self._update_inserted_visibility()

    def _update_inserted_visibility(self, *args) -> None:
        """The dots only where cells are big enough to show them (painting them over a fitted
        1000-cell grid took a quarter of a second a frame)."""
        self.inserted_marks.setVisible(self.grid.cell_pixels() >= DOTS_MIN_PIXELS)

    def _draw_unread(self, picture) -> None:
        """Hatch the input rows and columns no window reads, on the input itself (where it is on
        the grid: a transposed convolution may crop them)."""
        rows, cols = picture.unread_grid_lines
        shown_top, shown_left, shown_height, shown_width = picture.shown_input_rect
        path = QtGui.QPainterPath()
        for row in rows:
            path.addRect(QtCore.QRectF(shown_left, row, shown_width, 1))
        for col in cols:
            path.addRect(QtCore.QRectF(col, shown_top, 1, shown_height))
        path.setFillRule(QtCore.Qt.FillRule.WindingFill)
        # simplified() and the fill itself are far from linear in the rectangles (hundreds of rows
        # and columns took seconds to minutes): few are merged into one outline, many are a tint
        few = len(rows) + len(cols) <= MAX_MERGED_UNREAD
        self.unread.setPath(path.simplified() if few else QtGui.QPainterPath())
        self.unread_fill.setVisible(not few)
        if not few:
            mask = np.zeros((shown_height, shown_width), dtype=np.uint8)
            mask[[row - shown_top for row in rows], :] = 1
            mask[:, [col - shown_left for col in cols]] = 1
            self.unread_fill.setImage(mask, autoLevels=False, levels=(0, 1))
            self.unread_fill.setRect(QtCore.QRectF(shown_left, shown_top, shown_width, shown_height))

    def _draw_step(self, frame) -> None:
        top, left, height, width = frame.window
        self.window_rect.setRect(QtCore.QRectF(left, top, width, height))
        self.taps.setPos(left, top)
        self.arithmetic.setText(frame.arithmetic_listing(SHOWN_TERMS))
        winner = getattr(frame.terms, "winner_cell", None)
        self.winner.setVisible(winner is not None)
        if winner is not None:
            row, col = winner
            self.winner.setRect(QtCore.QRectF(col + 0.12, row + 0.12, 0.76, 0.76))


class OutputPanel(QtWidgets.QWidget):
    """The output map, filled up to the current step, with its shape and size formulas."""

    cell_clicked = QtCore.pyqtSignal(int, int)
    """(i, j) of an output cell the user clicked."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.shape_label = _label(size=12, bold=True, heading=True)
        self.shape_label.setObjectName("output_shape")
        self.formula_label = _label(size=11)
        self.formula_label.setObjectName("output_formula")
        self.grid = CellGrid()
        self.channels = ChannelChooser("output channel:", "k")
        self.channels.setToolTip("The output channel shown: its map and its weights w[k]")
        self.groups_label = _label(size=10)
        self.groups_label.setObjectName("groups")
        self.groups_label.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.groups_label.setVisible(False)
        self.compact = False
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.shape_label)
        layout.addWidget(self.formula_label)
        layout.addWidget(self.channels)
        layout.addWidget(self.groups_label)
        layout.addWidget(self.grid, 1)
        self.theme = NORMAL
        self.current = self.grid.add_rect(NORMAL.window_colour, 3.5)
        self.grid.cell_clicked.connect(self.cell_clicked)
        self.grid.setToolTip("Point at an output cell to see its window; click to go to its step and pin it")
        self.picked = Highlight(self.grid, SELECTION_COLOUR, z=2)
        self._rgba = np.zeros((1, 1, 4), np.uint8)
        self._display = self._rgba
        self._picture = None
        self._shown = -1

    def draw(self, frame, changes) -> None:
        if SPEC in changes or DATA in changes:
            self._draw_grid(frame)
            self.channels.show_channels(frame.out_channels, frame.out_channel, frame.out_groups,
                                        self.theme.series_colours)
            self._draw_groups(frame)
        if changes & {SPEC, DATA, STEP}:
            self._draw_step(frame)
        if changes & {SPEC, SELECTION}:
            picked = frame.selection
            if picked is None:
                self.picked.clear()
            else:
                self.picked.show(picked.rows.output, picked.cols.output, counts=picked.kind == "input",
                                 outline=picked.kind != "weight")

    def set_compact(self, compact: bool) -> None:
        """Compact (compare mode): without the groups line, the shape on one line; the channel tabs
        keep their group colours."""
        self.compact = compact
        self.shape_label.set_one_line(compact)
        self.groups_label.setVisible(not compact and bool(self.groups_label.text()))

    def _draw_groups(self, frame) -> None:
        """Which input channels feed which output channels, the shown one's group marked in its colour."""
        text = frame.groups_text
        if not text:
            self.groups_label.setText("")
        self.groups_label.setVisible(bool(text) and not self.compact)
        if text:
            group = frame.out_groups[frame.out_channel]
            colour, _ = self.theme.series(group)
            self.groups_label.setText(f"<span style='color:{colour}'>■</span> group {group} · {text}")

    def _draw_grid(self, frame) -> None:
        picture = self._picture = frame.output
        self._rgba, dark = output_colours(picture, self.theme)

        def texts(rows, cols):
            return picture.cell_texts(rows, cols), np.where(dark[rows, cols], "#111", "#fff").tolist(), None

        step = frame.step
        self.grid.text_shown = lambda row, col: picture.cell_steps[row, col] <= step
        self._display = self._rgba.copy()
        fill(self._display, picture.cell_steps > step, EMPTY)
        self.grid.set_cells(self._display, texts)
        self.grid.set_axis_labels(picture.row_labels, picture.col_labels)
        self._shown = step  # cells and texts are shown up to this step
        self.shape_label.setText(picture.title)
        self.formula_label.setText(picture.formulas)

    def apply_theme(self, theme: Theme) -> None:
        self.theme = theme
        scale_labels(self, theme)
        self.grid.apply_theme(theme)
        self.current.setPen(_outline(theme.window_colour, theme.line(3.5)))

    def _draw_step(self, frame) -> None:
        picture, step = self._picture, frame.step
        low, high = sorted((self._shown, step))
        if high > low:
            # only the cells between the last shown step and this one change
            rows, cols = picture.step_cells[low + 1:high + 1].T
            self._display[rows, cols] = self._rgba[rows, cols] if step > self._shown else EMPTY
            self.grid.image.setImage(self._display, autoLevels=False, levels=None)
            if high - low <= len(self.grid.texts):
                for index in range(low + 1, high + 1):
                    self.grid.set_text_shown(*picture.step_cells[index], index <= step)
            else:
                for (row, col), item in self.grid.texts.items():
                    item.setVisible(bool(picture.cell_steps[row, col] <= step))
        self._shown = step
        self.grid.text_shown = lambda row, col: picture.cell_steps[row, col] <= step
        i, j = frame.position
        self.current.setRect(QtCore.QRectF(j, i, 1, 1))


class CoveragePanel(QtWidgets.QWidget):
    """How many multiplications read each input cell; cells no window reads in red."""

    cell_clicked = QtCore.pyqtSignal(int, int)
    """(row, col) of an input cell the user clicked."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.title = _label("Coverage: reads per input cell (click one)", size=12, bold=True, heading=True)
        self.summary = _label(size=11, heading=True)
        self.summary.setObjectName("coverage_summary")
        self.wins = QtWidgets.QCheckBox("wins on this input")
        self.wins.setObjectName("coverage_wins")
        self.wins.setToolTip("Max pooling: count the windows each cell wins (is the first largest of) on "
                             "the current input, instead of the windows that include it")
        self.wins.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
        self.wins.setVisible(False)
        self.grid = CellGrid()
        self.colour_bar = ColourBar(self.grid, NORMAL.coverage_map)
        self.grid.setToolTip("Point at an input cell to see every output that reads it (blue); click to pin")
        self.grid.cell_clicked.connect(self.cell_clicked)
        self.picked = Highlight(self.grid, SELECTION_COLOUR, fill_alpha=110, width=3.5, z=2)
        self.theme = NORMAL
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.title)
        layout.addWidget(self.wins)
        layout.addWidget(self.summary)
        layout.addWidget(self.grid, 1)

    def apply_theme(self, theme: Theme) -> None:
        self.theme = theme
        scale_labels(self, theme)
        self.grid.apply_theme(theme)
        self.colour_bar.apply_theme(theme.coverage_map)

    def draw(self, frame, changes) -> None:
        coverage = frame.coverage
        redraw = SPEC in changes or COVERAGE in changes or (DATA in changes and coverage.kind == "wins")
        if redraw:
            self._draw_grid(coverage)
            self.title.setText(coverage.title)
            self.wins.blockSignals(True)
            self.wins.setChecked(coverage.kind == "wins")
            self.wins.blockSignals(False)
            self.wins.setVisible(coverage.wins_available)
        if changes & {SPEC, SELECTION}:
            picked = frame.selection
            if picked is None:
                self.picked.clear()
            elif picked.kind == "input":
                row, col = picked.cell
                self.picked.show(np.arange(row + 1) == row, np.arange(col + 1) == col, counts=False)
            else:
                self.picked.show(picked.rows.input, picked.cols.input)
        if redraw:
            self.summary.setText(coverage.summary)

    def _draw_grid(self, picture) -> None:
        most = max(picture.most, 1)
        rgba, dark = coverage_colours(picture, self.theme)
        unread = picture.unread

        def texts(rows, cols):
            colours = np.where(unread[rows, cols] | ~dark[rows, cols], "#fff", "#111").tolist()
            return picture.cell_texts(rows, cols), colours, None

        self.grid.set_cells(rgba, texts)
        self.grid.set_axis_labels(picture.row_labels, picture.col_labels)
        self.colour_bar.show(0, most, 5)


class KernelPanel(QtWidgets.QWidget):
    """The kernel's weights; pointing at one shows every input cell it multiplies."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.title = _label(size=10, bold=True)
        self.title.setObjectName("kernel_title")
        self.grid = CellGrid()
        self.grid.setToolTip("Point at a weight to see every input cell it multiplies; click to pin")
        self.grid.setMinimumSize(110, 110)
        self.picked = Highlight(self.grid, SELECTION_COLOUR, z=2)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.title)
        layout.addWidget(self.grid, 1)

    def draw(self, frame, changes) -> None:
        kernel = frame.kernel
        if kernel is None:
            return
        if SPEC in changes or DATA in changes:
            values = kernel.values
            bound = float(np.abs(values).max()) or 1.0
            rgba, dark = colour_cells(values, "CET-CBD1", low=-bound, high=bound, lightness=0.55)

            def texts(rows, cols):
                return kernel.cell_texts(rows, cols), np.where(dark[rows, cols], "#111", "#fff").tolist(), None

            self.grid.set_cells(rgba, texts)
            self.grid.set_axis_labels(kernel.row_labels, kernel.col_labels)
            self.title.setText(kernel.title)
        if changes & {SPEC, DATA, SELECTION}:
            picked = frame.selection
            if picked is None:
                self.picked.clear()
            else:
                self.picked.show(picked.rows.weight, picked.cols.weight, counts=picked.kind == "input")
