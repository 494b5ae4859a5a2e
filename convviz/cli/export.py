"""`convviz export`: a lesson, scene or spec as a GIF, an MP4, a PNG or a scene file, headless.

Every refusal (a bad name or folder, a missing encoder, a bad size or step range) comes before
the first frame is rendered, as one line with exit status 2.
"""

from __future__ import annotations

import sys

from ..session.export import (
    DEFAULT_SIZE,
    MAX_FPS,
    ExportError,
    ExportTarget,
    parse_size,
    parse_steps,
    write_bytes,
)
from .numbers import real
from .specargs import add_spec_arguments, session_from_args

FORMATS = ("gif", "mp4", "png", "scene")
PANEL_CHOICES = ("panels", "animation", "output", "coverage", "window")
BAR_WIDTH = 30


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "export", help="write the animation as GIF or MP4, a frame as PNG, or the scene as JSON",
        description="Render a lesson, scene or spec offscreen and write it to a file. Frames come from the "
                    "same plan the tests check; nothing is grabbed from a screen.")
    add_spec_arguments(parser)
    target = parser.add_argument_group("output (one of)").add_mutually_exclusive_group(required=True)
    target.add_argument("--gif", metavar="OUT.gif", help="the animation as an animated GIF")
    target.add_argument("--mp4", metavar="OUT.mp4", help="the animation as an H.264 MP4 video")
    target.add_argument("--png", metavar="OUT.png", help="one step (the first of --steps, else the scene's) as PNG")
    target.add_argument("--scene", metavar="OUT.json", help="the scene (spec, data, step, selection, text) as JSON")
    parser.add_argument("--fps", type=real(0, max(MAX_FPS.values())), metavar="N",
                        help="frames (steps) per second of a GIF or MP4 (default: the scene's playback speed)")
    parser.add_argument("--size", metavar="WxH", help=f"frame size in pixels (default {DEFAULT_SIZE[0]}x{DEFAULT_SIZE[1]}; "
                                                      "the window: 1500x980)")
    parser.add_argument("--steps", metavar="A:B", help="steps A to B, both included, counted from 1 as the window counts them: 1:10, 5:, :8")
    parser.add_argument("--no-compare", action="store_true",
                        help="of a scene that compares two specs, only the first (default: both, side by side)")
    parser.add_argument("--presentation", action="store_true",
                        help="draw as presentation mode does: large fonts, thick lines, colour-blind-safe maps")
    parser.add_argument("--panel", choices=PANEL_CHOICES, default="panels",
                        help="what a frame shows: every panel (default), one panel, or (PNG only) the whole window")


def _format(args) -> tuple[str, str]:
    for kind in FORMATS:
        path = getattr(args, kind)
        if path is not None:
            return kind, path
    raise ExportError("say what to write: --gif, --mp4, --png or --scene")


def progress_bar(done: int, total: int, stream=None) -> None:
    """A one-line progress bar on stderr, redrawn in place; a newline after the last frame."""
    stream = sys.stderr if stream is None else stream
    filled = BAR_WIDTH * done // max(total, 1)
    stream.write(f"\rexporting [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done}/{total} frames")
    if done >= total:
        stream.write("\n")
    stream.flush()


def run(args) -> int:
    try:
        return _run(args)
    except ExportError as error:
        print(f"convviz: {' '.join(str(error).split())}", file=sys.stderr)
        return 2


def _run(args) -> int:
    from ..session.scene import Scene

    kind, path = _format(args)
    target = ExportTarget.of(path, kind)
    if kind != "png" and args.panel == "window":
        raise ExportError("--panel window is for --png only (animations show the panels)")
    window = kind == "png" and args.panel == "window"
    size = parse_size(args.size) if args.size else ((1500, 980) if window else DEFAULT_SIZE)
    scene, session = session_from_args(args)
    second = None if scene is None or args.no_compare or window else scene.compare_session()
    steps = parse_steps(args.steps, session.steps if second is None else max(session.steps, second.steps))
    if kind == "scene":
        target.check()
        if scene is not None:
            scene = Scene.of_session(session, scene.title, scene.explanation, scene.compare)
        else:
            scene = Scene.of_session(session)
        written = write_bytes(target, scene.to_json().encode("utf-8"))
        print(f"convviz: wrote {written}")
        return 0
    if kind == "png":
        target.check(1, size)
        return _export_png(session, target, steps[0] if args.steps else None, size, args.panel, scene, second,
                           args.presentation)
    fps = session.speed if args.fps is None else args.fps
    if not 0 < fps <= MAX_FPS[kind]:
        raise ExportError(f"--fps must be above 0 and at most {MAX_FPS[kind]} for {kind.upper()} (got {fps:g})")
    if kind == "mp4":
        size = (size[0] - size[0] % 2, size[1] - size[1] % 2)  # H.264 (yuv420p) takes even sides only
    target.check(len(steps), size)
    from ..gui.app import offscreen_application
    from ..gui.export import export_animation
    from ..gui.theme import theme_for

    app = offscreen_application()  # noqa: F841 (the widgets need it alive)
    theme = theme_for(args.presentation)
    for done, total in export_animation(session, target, steps, fps, size, args.panel, second, theme):
        progress_bar(done, total)
    width, height = size
    print(f"convviz: wrote {target.path} ({len(steps)} frames, {width}×{height}, {fps:g} per second)")
    return 0


def _export_png(session, target, step, size, panel, scene, second, presentation) -> int:
    from ..gui.app import export_window_png, offscreen_application
    from ..gui.export import export_png
    from ..gui.theme import theme_for

    app = offscreen_application()  # noqa: F841
    if panel == "window":
        if step is not None:
            session.set_step(step)
        written = export_window_png(session, target, size, scene, presentation)
    else:
        written = export_png(session, target, step, size, panel, second, theme_for(presentation))
    print(f"convviz: wrote {written}")
    return 0
