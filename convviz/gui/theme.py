"""How the window looks: the normal theme and the presentation theme for a projector.

Plain data, no Qt: the panels read sizes, colours and colour-map names from the theme they are
given. The presentation theme enlarges fonts and lines for the back of a room and uses only
colour-blind-safe colours: cividis and CET colour-blind maps for the heatmaps, the Okabe–Ito
palette for series, each series with its own marker so colour is never the only cue.
"""

from __future__ import annotations

from dataclasses import dataclass

OKABE_ITO = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")
"""Okabe & Ito's colour-blind-safe palette: blue, vermillion, bluish green, reddish purple,
orange, sky blue, yellow, black."""
SERIES_MARKERS = ("o", "s", "t", "d", "+", "x", "star", "h")
"""pyqtgraph symbols, one per series, in the order of OKABE_ITO."""


@dataclass(frozen=True)
class Theme:
    name: str
    font_scale: float
    """Multiplies every font size the panels set."""
    line_scale: float
    """Multiplies the width of outlines (window, current cell, marks, grid lines)."""
    arithmetic_points: float
    """Font size of the step's arithmetic line (the line the back of the room must read)."""
    input_map: str
    picture_map: str
    output_map: str
    coverage_map: str
    difference_map: str
    """A diverging map for signed differences (compare mode)."""
    window_colour: str
    selection_colour: str
    input_border: str
    unread_colour: tuple[int, int, int, int]
    window_name: str
    border_name: str
    series_colours: tuple[str, ...] = OKABE_ITO
    series_markers: tuple[str, ...] = SERIES_MARKERS
    hide_docks: bool = False
    """Close the settings and timing docks (the panels get the whole window)."""

    def font(self, points: float) -> float:
        return points * self.font_scale

    def line(self, width: float) -> float:
        return width * self.line_scale

    def series(self, index: int) -> tuple[str, str]:
        """(colour, marker) of the index-th series."""
        return (self.series_colours[index % len(self.series_colours)],
                self.series_markers[index % len(self.series_markers)])


NORMAL = Theme(
    name="normal", font_scale=1.0, line_scale=1.0,
    arithmetic_points=13.0, input_map="CET-L12", picture_map="CET-L1", output_map="viridis", coverage_map="viridis",
    difference_map="CET-CBD1",
    window_colour="#e8590c", selection_colour="#1c7ed6", input_border="#1f3b73",
    unread_colour=(231, 76, 60, 255), window_name="orange", border_name="blue frame",
)

PRESENTATION = Theme(
    name="presentation", font_scale=1.35, line_scale=1.6,
    arithmetic_points=20.0, input_map="CET-CBL1", picture_map="CET-L1", output_map="cividis", coverage_map="cividis",
    difference_map="CET-CBD1",
    window_colour=OKABE_ITO[1], selection_colour=OKABE_ITO[0], input_border="#000000",
    unread_colour=(204, 121, 167, 255), window_name="vermillion", border_name="black frame",
    hide_docks=True,
)


def theme_for(presentation: bool) -> Theme:
    return PRESENTATION if presentation else NORMAL
