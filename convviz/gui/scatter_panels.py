"""The scatter view of a transposed convolution: three panels that draw a `ScatterFrame`.

- `ScatterInputPanel`: the input, the cell scattering now framed, the cells still to come faded;
  the kernel as the scatter applies it; the step's arithmetic.
- `ScatterOutputPanel`: the output accumulating, the step's dilated kernel window on it (cropped
  where it passes the edge) with what each tap adds.
- `OverlapPanel`: how many input cells write each output cell (the checkerboard), with a colour
  bar and a sentence saying what the numbers count.

They compute nothing: every number comes from the frame (convviz.session.scatter_frame).
"""

from __future__ import annotations

import numpy as np
from PyQt6 import QtCore, QtWidgets

from ..session import DATA, SELECTION, SPEC, STEP
from ..session.patterns import format_value
from .colour_bar import ColourBar
from .grid import CellGrid, colour_cells
from .highlight import Highlight
from .panels import (
    KERNEL_HEIGHT,
    SELECTION_COLOUR,
    ChannelChooser,
    _label,
    _outline,
    scale_labels,
    step_labels,
    view_tools,
    words_area,
)
from .textures import overlap_colours, scatter_input_colours, scatter_output_colours
from .theme import NORMAL, Theme

MAX_CELLS_CHANGED = 4096
"""Input cells recoloured one by one when the step moves; a longer jump recolours the whole grid."""


class ScatterInputPanel(QtWidgets.QWidget):
    """The input (cell by cell, in scatter order) and the kernel as the scatter applies it."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("scatter_input")
        self.theme = NORMAL
        self.title = _label(size=12, bold=True)
        self.legend = _label()
        self.legend.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.channels = ChannelChooser("input channel:", "c")
        self.grid = CellGrid()
        self.grid.setToolTip("Point at an input cell to see the output cells it writes; click to go to its step")
        self.kernel_title = _label(size=10, bold=True)
        self.kernel = CellGrid()
        self.kernel.setMinimumSize(110, 110)
        self.kernel.setToolTip("The kernel as the scatter applies it: w[r,s] lands r·d rows, s·d columns "
                               "from the input cell's window corner")
        kernel_box = QtWidgets.QWidget()
        kernel_layout = QtWidgets.QVBoxLayout(kernel_box)
        kernel_layout.setContentsMargins(0, 0, 0, 0)
        kernel_layout.addWidget(self.kernel_title)
        kernel_layout.addWidget(self.kernel, 1)
        kernel_box.setMaximumWidth(250)
        kernel_box.setMaximumHeight(KERNEL_HEIGHT)
        middle = QtWidgets.QHBoxLayout()
        middle.addWidget(self.grid, 3)
        middle.addWidget(kernel_box, 2, QtCore.Qt.AlignmentFlag.AlignTop)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.title)
        layout.addWidget(self.legend)
        layout.addWidget(self.channels)
        layout.addLayout(middle, 1)
        self.current = self.grid.add_rect(NORMAL.window_colour, 3.5)
        self.picked = Highlight(self.grid, SELECTION_COLOUR, z=2)
        self.kernel_picked = Highlight(self.kernel, SELECTION_COLOUR, z=2)
        self._rgba = self._faded = self._display = np.zeros((1, 1, 4), np.uint8)
        self._shown = -1

    def apply_theme(self, theme: Theme) -> None:
        self.theme = theme
        scale_labels(self, theme)
        for grid in (self.grid, self.kernel):
            grid.apply_theme(theme)
        self.current.setPen(_outline(theme.window_colour, theme.line(3.5)))

    def draw(self, frame, changes) -> None:
        grids = frame.grids
        if changes & {SPEC, DATA}:
            self._draw_input(frame)
            self._draw_kernel(grids)
            self.channels.show_channels(frame.in_channels, frame.in_channel)
            self.title.setText(grids.input_title)
            theme = self.theme
            self.legend.setText(
                f"<span style='color:{theme.window_colour}'><b>▭ {theme.window_name}</b></span>: the cell "
                "scattering now · faded: still to come")
        elif STEP in changes:
            self._fade_to(frame.step)
        if changes & {SPEC, DATA, STEP}:
            a, b = frame.cell
            self.current.setRect(QtCore.QRectF(b, a, 1, 1))
        if changes & {SPEC, DATA, SELECTION}:
            self._draw_selection(frame)

    def _draw_input(self, frame) -> None:
        grids = frame.grids
        self._rgba, self._faded, dark = scatter_input_colours(grids, self.theme)

        def texts(rows, cols):
            return ([[format_value(value) for value in row] for row in grids.input[rows, cols]],
                    np.where(dark[rows, cols], "#111", "#fff").tolist(), None)

        self._shown = -1
        self.grid.set_cells(self._shown_colours(frame.step), texts)
        self.grid.set_axis_labels(*grids.input_labels)

    def _shown_colours(self, step: int) -> np.ndarray:
        width = self._rgba.shape[1]
        order = np.arange(self._rgba.shape[0] * width).reshape(self._rgba.shape[:2])
        self._shown = step
        self._display = np.where((order > step)[..., None], self._faded, self._rgba)
        return self._display

    def _fade_to(self, step: int) -> None:
        """Show cells up to `step` in full colour; a few steps from the last shown change only
        their cells (playback), a jump recolours the grid."""
        low, high = sorted((self._shown, step))
        if high - low > MAX_CELLS_CHANGED:
            self._shown_colours(step)
        elif high > low:
            width = self._rgba.shape[1]
            cells = np.arange(low + 1, high + 1)
            rows, cols = cells // width, cells % width
            self._display[rows, cols] = (self._rgba if step > self._shown else self._faded)[rows, cols]
            self._shown = step
        else:
            return
        self.grid.image.setImage(self._display, autoLevels=False, levels=None)

    def _draw_kernel(self, grids) -> None:
        values = grids.kernel
        bound = float(np.abs(values).max()) or 1.0
        rgba, dark = colour_cells(values, "CET-CBD1", low=-bound, high=bound, lightness=0.55)

        def texts(rows, cols):
            return ([[format_value(value) for value in row] for row in values[rows, cols]],
                    np.where(dark[rows, cols], "#111", "#fff").tolist(), None)

        self.kernel.set_cells(rgba, texts)
        self.kernel.set_axis_labels(*grids.kernel_labels)
        self.kernel_title.setText(grids.kernel_title)

    def _draw_selection(self, frame) -> None:
        picked = frame.selection
        if picked is None:
            self.picked.clear()
            self.kernel_picked.clear()
            return
        self.picked.show(*frame.selected_inputs, counts=False)
        self.kernel_picked.show(*frame.selected_weights, counts=False)


class ScatterOutputPanel(QtWidgets.QWidget):
    """The output accumulating step by step, the step's kernel window on it, and its arithmetic."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("scatter_output")
        self.theme = NORMAL
        self.shape_label = _label(size=12, bold=True)
        self.shape_label.setObjectName("scatter_output_shape")
        self.formula_label = _label(size=11)
        self.channels = ChannelChooser("output channel:", "k")
        self.grid = CellGrid()
        self.grid.setToolTip("Point at an output cell to see the input cells that write it; "
                             "click to go to the step that completes it")
        self.legend = _label()
        self.legend.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.arithmetic, self.selection_text = step_labels("scatter_")
        self.words = words_area(self.selection_text, self.arithmetic)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.fit_button, self.follow, tools = view_tools(self.legend, "scatter_")
        layout.addWidget(self.shape_label)
        layout.addWidget(self.formula_label)
        layout.addLayout(tools)
        layout.addWidget(self.channels)
        self.middle = QtWidgets.QHBoxLayout()
        self.middle.addWidget(self.grid, 3)
        layout.addLayout(self.middle, 3)
        layout.addWidget(self.words, 1)
        self._layout = layout
        self.window_rect = self.grid.add_rect(NORMAL.window_colour, 3.5)
        self.taps = Highlight(self.grid, NORMAL.window_colour, fill_alpha=70, width=1.5, z=1)
        self.picked = Highlight(self.grid, SELECTION_COLOUR, z=2)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._place_words(event.size().width(), event.size().height())

    def _place_words(self, width: int, height: int) -> None:
        """The arithmetic beside the grid in a wide, short panel (the grid keeps its height), under
        it otherwise."""
        beside = width > 1.6 * height
        if (self.middle.indexOf(self.words) >= 0) == beside:
            return
        (self._layout if beside else self.middle).removeWidget(self.words)
        if beside:
            self.middle.addWidget(self.words, 2)
        else:
            self._layout.addWidget(self.words, 1)

    def apply_theme(self, theme: Theme) -> None:
        self.theme = theme
        scale_labels(self, theme)
        font = self.arithmetic.font()
        font.setPointSizeF(theme.arithmetic_points)
        self.arithmetic.setFont(font)
        self.grid.apply_theme(theme)
        self.window_rect.setPen(_outline(theme.window_colour, theme.line(3.5)))

    def draw(self, frame, changes) -> None:
        grids = frame.grids
        if changes & {SPEC, DATA}:
            self.shape_label.setText(grids.output_title)
            self.formula_label.setText(grids.formulas)
            self.channels.show_channels(frame.out_channels, frame.out_channel)
            theme = self.theme
            self.legend.setText(
                f"<span style='color:{theme.window_colour}'><b>▭ {theme.window_name}</b></span>: where this step's "
                "kernel lands (+ what each tap adds) · white: not written yet · "
                f"<span style='color:{SELECTION_COLOUR}'><b>blue</b></span>: the pointed cell's writers")
        if changes & {SPEC, DATA, STEP}:
            self._draw_values(frame, step_only=not changes & {SPEC, DATA})
            top, left, height, width = frame.window
            self.window_rect.setRect(QtCore.QRectF(left, top, width, height))
            terms = frame.terms
            inside = terms.inside
            rows_in, cols_in = inside.any(axis=1), inside.any(axis=0)
            ho, wo = frame.partial.shape
            row_counts = np.bincount(terms.rows[rows_in], minlength=ho) if rows_in.any() else np.zeros(ho, int)
            col_counts = np.bincount(terms.cols[cols_in], minlength=wo) if cols_in.any() else np.zeros(wo, int)
            products = terms.products[np.ix_(rows_in, cols_in)]
            self.taps.show(row_counts, col_counts, texts=[f"+{format_value(value)}" for value in products.ravel()])
            self.arithmetic.setText(frame.arithmetic)
        if changes & {SPEC, DATA, SELECTION}:
            if frame.selection is None:
                self.picked.clear()
                self.selection_text.setVisible(False)
            else:
                self.picked.show(*frame.selected_outputs, counts=False)
                how = "pinned · Esc clears" if frame.selection.pinned else "click to pin"
                self.selection_text.setText(f"{frame.selection_text}  ({how})")
                self.selection_text.setVisible(True)

    def _colours(self, frame, rows=slice(None), cols=slice(None)):
        whole = (rows, cols) == (slice(None), slice(None))
        return scatter_output_colours(frame.grids, frame.step + 1, frame.partial[rows, cols], frame.written[rows, cols],
                                      self.theme, whole)

    def _draw_values(self, frame, step_only: bool = False) -> None:
        """The output so far. Playing forward while no values are written in the cells (a grid too
        large to read them) recolours only the step's window; otherwise every cell."""
        previous, self._frame = getattr(self, "_frame", None), frame
        if (step_only and previous is not None and previous.grids is frame.grids and previous.step == frame.step - 1
                and not self.grid.values_visible()):
            top, left, height, width = frame.window
            rows = slice(max(top, 0), max(min(top + height, frame.partial.shape[0]), 0))
            cols = slice(max(left, 0), max(min(left + width, frame.partial.shape[1]), 0))
            self._rgba[rows, cols] = self._colours(frame, rows, cols)[0]
            self.grid.image.setImage(self._rgba, autoLevels=False, levels=None)
            return
        self._rgba = self._colours(frame)[0].copy()  # playback recolours windows of it in place

        def texts(rows, cols):  # the frame shown when the cells come into view, not the one drawn here
            shown = self._frame
            dark = self._colours(shown, rows, cols)[1]
            return shown.output_texts(rows, cols), np.where(dark, "#111", "#fff").tolist(), None

        self.grid.set_cells(self._rgba, texts)
        self.grid.set_axis_labels(*frame.grids.output_labels)


class OverlapPanel(QtWidgets.QWidget):
    """How many input cells write each output cell: uneven (a checkerboard) when the kernel is
    not a multiple of the stride."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("overlap")
        self.theme = NORMAL
        self.title = _label(size=12, bold=True)
        self.summary = _label(size=11)
        self.summary.setObjectName("overlap_summary")
        self.grid = CellGrid()
        self.grid.setToolTip("Point at an output cell to see the input cells that write it; click to pin")
        self.colour_bar = ColourBar(self.grid, NORMAL.coverage_map)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.title)
        layout.addWidget(self.summary)
        layout.addWidget(self.grid, 1)
        self.window_rect = self.grid.add_rect(NORMAL.window_colour, 2.5)
        self.picked = Highlight(self.grid, SELECTION_COLOUR, fill_alpha=110, width=3.5, z=2)

    def apply_theme(self, theme: Theme) -> None:
        self.theme = theme
        scale_labels(self, theme)
        self.grid.apply_theme(theme)
        self.colour_bar.apply_theme(theme.coverage_map)
        self.window_rect.setPen(_outline(theme.window_colour, theme.line(2.5)))

    def draw(self, frame, changes) -> None:
        grids = frame.grids
        if changes & {SPEC, DATA}:
            counts = grids.overlap
            most = max(grids.scatter.overlap_range[1], 1)
            rgba, dark = overlap_colours(grids, self.theme)

            def texts(rows, cols):
                return ([[str(int(value)) for value in row] for row in counts[rows, cols]],
                        np.where(dark[rows, cols], "#111", "#fff").tolist(), None)

            self.grid.set_cells(rgba, texts)
            self.grid.set_axis_labels(*grids.output_labels)
            self.colour_bar.show(0, most, 5)
            self.title.setText(grids.overlap_title)
            self.summary.setText(grids.overlap_summary)
            self.grid.setToolTip(f"Input cells writing each output cell ({self.theme.window_name} frame: this "
                                 "step's window). Point at a cell to see its writers; click to pin")
        if changes & {SPEC, DATA, STEP}:
            top, left, height, width = frame.window
            self.window_rect.setRect(QtCore.QRectF(left, top, width, height))
        if changes & {SPEC, DATA, SELECTION}:
            if frame.selection is None:
                self.picked.clear()
            else:
                self.picked.show(*frame.selected_outputs, counts=False)
