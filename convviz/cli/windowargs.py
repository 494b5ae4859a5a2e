"""Window flags of the GUI: its size, presentation mode, and a second spec to compare with."""

from __future__ import annotations

from ..core import ConvSpec, ConvSpecError
from ..session.files import load_spec_file
from .specargs import parse_pair

SMALLEST_WINDOW = (640, 480)
LARGEST_WINDOW = (7680, 4320)


def add_window_arguments(parser) -> None:
    group = parser.add_argument_group("window")
    group.add_argument("--window-size", metavar="WxH",
                       help="window width x height in pixels, e.g. 1024x768 (also the --screenshot size)")
    group.add_argument("--presentation", action="store_true",
                       help="presentation mode for a projector: large fonts, thick lines, colour-blind-safe "
                            "colours, the docks closed (F9 opens the settings)")
    group.add_argument("--compare", metavar="FILE.json", help="show the spec in this file beside the first, in step")


def parse_window_size(text: str) -> tuple[int, int]:
    """'1024x768' → (1024, 768), within what a screen can show."""
    width, height = parse_pair(text, "window size")
    if "x" not in text.lower() and "×" not in text and "," not in text:
        raise ConvSpecError(f"window size must be WIDTHxHEIGHT in pixels, like 1024x768 (got {text!r})")
    low, high = SMALLEST_WINDOW, LARGEST_WINDOW
    if not (low[0] <= width <= high[0] and low[1] <= height <= high[1]):
        raise ConvSpecError(f"window size {width}x{height} is outside {low[0]}x{low[1]} … {high[0]}x{high[1]}")
    return width, height


def window_options(args) -> dict:
    """run_gui's keyword arguments from the window flags."""
    size = parse_window_size(args.window_size) if getattr(args, "window_size", None) else None
    compare = None
    if getattr(args, "compare", None):
        compare = ConvSpec.from_dict(load_spec_file(args.compare))
    return {"window_size": size, "compare": compare, "presentation": bool(getattr(args, "presentation", False))}
