"""The colours of the panels' cells, as plain NumPy arrays (no Qt object is made here).

A frame's grids are coloured off the GUI thread (convviz.gui.session_view) and the panels draw
the same arrays on it: each function keeps what it made for the last few grids, recognised by
identity (a grid is an immutable part of a frame), so the panel's call finds it made.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict

import numpy as np

from ..session.scatter_frame import ScatterGrids
from .grid import colour_cells

PADDING_TINT = np.array([190, 170, 250, 255])
ZERO_PAD = (226, 226, 226, 255)
INSERTED = (255, 236, 179, 255)
"""Zeros a transposed convolution's stride inserts between input cells: pale amber, apart from the
grey border padding and from the input's blues."""
KEPT = 8
"""Colourings kept at most (a frame's three grids, for two views, and one more); those of grids
no longer held anywhere are dropped first (a 1024² grid's colours are 5 MB)."""

_kept: OrderedDict = OrderedDict()
_lock = threading.Lock()


def _once(picture, key: tuple, make):
    """`make()`, or what it gave for this very `picture` and `key` before."""
    token = (id(picture), key)
    with _lock:
        found = _kept.get(token)
        if found is not None and found[0]() is picture:
            _kept.move_to_end(token)
            return found[1]
    made = make()
    with _lock:
        for stale in [key for key, (ref, _) in _kept.items() if ref() is None]:
            del _kept[stale]
        _kept[token] = (weakref.ref(picture), made)
        while len(_kept) > KEPT:
            _kept.popitem(last=False)
    return made


def fill(rgba: np.ndarray, mask: np.ndarray, colour) -> None:
    """rgba[mask] = colour, one 32-bit store per cell (a tenth of the time of the 4-channel
    assignment on a million cells); `rgba` is a C-contiguous (H, W, 4) uint8 array."""
    cells = rgba.view(np.uint32).reshape(mask.shape)
    cells[mask] = np.asarray(colour, dtype=np.uint8).view(np.uint32)[0]


def input_colours(picture, theme) -> tuple[np.ndarray, np.ndarray]:
    """(rgba, dark) of an InputGrid: a picture in grey, numbers on the theme's input map, padding
    tinted violet (grey for zero padding), max pooling's −∞ padding uncoloured, a transposed
    convolution's inserted zeros amber."""
    colormap, lightness = (theme.picture_map, 0.9) if picture.pictorial else (theme.input_map, 0.6)

    def make():
        mask, values = picture.padding, picture.values
        infinite = np.isinf(values)
        rgba, dark = colour_cells(np.where(infinite, np.nan, values) if infinite.any() else values, colormap,
                                  lightness=lightness)
        if picture.mode == "zeros":
            fill(rgba, mask, ZERO_PAD)
        else:
            rgba[mask] = (0.55 * rgba[mask] + 0.45 * PADDING_TINT).astype(np.uint8)
        if picture.inserted is not None:
            fill(rgba, picture.inserted, INSERTED)
        return rgba, dark

    return _once(picture, ("input", colormap, lightness), make)


def output_colours(picture, theme) -> tuple[np.ndarray, np.ndarray]:
    """(rgba, dark) of an OutputGrid's values on the theme's output map."""
    return _once(picture, ("output", theme.output_map),
                 lambda: colour_cells(picture.values, theme.output_map, lightness=0.6))


def coverage_colours(picture, theme) -> tuple[np.ndarray, np.ndarray]:
    """(rgba, dark) of a CoverageGrid: reads from 0 to the most on the coverage map, unread cells
    in the theme's unread colour."""
    def make():
        rgba, dark = colour_cells(picture.counts, theme.coverage_map, low=0, high=max(picture.most, 1),
                                  lightness=1.0)
        fill(rgba, picture.unread, theme.unread_colour)
        return rgba, dark

    return _once(picture, ("coverage", theme.coverage_map, tuple(theme.unread_colour)), make)


PENDING_FADE = 0.75
"""How far the scatter's input cells still to scatter are faded towards white."""
EMPTY = (255, 255, 255, 255)
"""Output cells the scatter has not written yet."""


def scatter_input_colours(grids, theme) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rgba, faded, dark) of a ScatterGrids' shown input: on the theme's input map, and the same
    faded towards white (cells still to scatter)."""
    def make():
        rgba, dark = colour_cells(grids.input, theme.input_map, lightness=0.6)
        return rgba, (rgba * (1 - PENDING_FADE) + 255 * PENDING_FADE).astype(np.uint8), dark

    return _once(grids, ("scatter input", theme.input_map), make)


def scatter_output_colours(grids, done: int, partial, written, theme, whole: bool = True):
    """(rgba, dark) of a ScatterGrids' output `partial` with its writes `written`, after `done`
    steps (or a block of them, `whole` False), on the scale of the whole output; cells not written
    yet white. The whole grid's are kept, by `grids` and `done`."""
    def make():
        low, high = grids.final_range
        rgba, dark = colour_cells(partial, theme.output_map, low=low, high=high, lightness=0.6)
        fill(rgba, np.asarray(written) == 0, EMPTY)
        return rgba, dark

    return _once(grids, ("scatter output", done, theme.output_map), make) if whole else make()


def overlap_colours(grids, theme) -> tuple[np.ndarray, np.ndarray]:
    """(rgba, dark) of a ScatterGrids' overlap counts, from 0 to the most on the coverage map."""
    most = max(grids.scatter.overlap_range[1], 1)
    return _once(grids, ("overlap", theme.coverage_map),
                 lambda: colour_cells(grids.overlap, theme.coverage_map, low=0, high=most, lightness=1.0))


def colour_grids(grids, theme) -> None:
    """Colour the input, output and coverage grids of a frame (kept for the panels' calls); of a
    scatter's grids, its input, its overlap and its output at the step its build made."""
    if isinstance(grids, ScatterGrids):
        scatter_input_colours(grids, theme)
        overlap_colours(grids, theme)
        done = grids.progress.get("done")
        if done is not None:
            scatter_output_colours(grids, done, *grids.shown_output(done), theme)
        return
    input_grid, output_grid, coverage_grid = grids[:3]
    input_colours(input_grid, theme)
    output_colours(output_grid, theme)
    coverage_colours(coverage_grid, theme)
