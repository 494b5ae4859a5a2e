"""Spec flags shared by every command (GUI, plan, bench): parse text into a ConvSpec."""

from __future__ import annotations

import re

from ..core import PADDING_MODES, ConvSpec, ConvSpecError
from ..core.axis import OPERATIONS
from ..core.spec import MAX_EXTENT
from ..session.files import load_spec_file
from ..session.jsonfile import read_json_file
from ..session.scene import Scene, is_scene, load_lesson, scene_from_json
from .numbers import whole

SPEC_FLAGS = ("spec", "lesson", "input", "kernel", "stride", "padding", "dilation", "padding_mode", "channels",
              "out_channels", "batch", "operation", "groups", "output_padding", "ceil_mode", "count_include_pad")
"""The argparse destinations of the spec flags add_spec_arguments adds."""

_PAIR = re.compile(r"^\s*(-?\d{1,30})\s*(?:[x×,]\s*(-?\d{1,30})\s*)?$")


def shown(text, limit: int = 40) -> str:
    """`text` quoted for a message, cut short when long."""
    text = str(text)
    return repr(text) if len(text) <= limit else f"{text[:limit]!r}… ({len(text):,} characters)"


def parse_pair(text: str, field: str) -> tuple[int, int]:
    """'7' → (7, 7); '7x9' (or 7×9, 7,9) → (7, 9)."""
    match = _PAIR.match(str(text))
    if not match:
        raise ConvSpecError(f"{field} must be a number or HxW, like 7 or 7x9 (got {shown(text)})")
    first = int(match.group(1))
    second = int(match.group(2)) if match.group(2) is not None else first
    return first, second


def parse_padding(text: str):
    """'same' | 'valid' | 'full' | '1' | '1,2' | '1,1,2,2' (top, bottom, left, right)."""
    word = str(text).strip().lower()
    if word.isalpha():
        return word
    parts = [part for part in re.split(r"[\s,x×]+", word) if part]
    try:
        if any(len(part) > 30 for part in parts):
            raise ValueError("too many digits")
        numbers = [int(part) for part in parts]
    except ValueError:
        raise ConvSpecError(
            f"padding must be valid, same, full, a number, PH,PW or TOP,BOTTOM,LEFT,RIGHT (got {shown(text)})"
        ) from None
    if len(numbers) == 1:
        return numbers[0]
    return tuple(numbers)


def add_spec_arguments(parser) -> None:
    group = parser.add_argument_group("convolution")
    group.add_argument("--spec", metavar="FILE.json", help="start from the spec in this JSON file (a spec or a scene)")
    group.add_argument("--lesson", metavar="NAME", help="start from a lesson (its name, or a scene .json file)")
    group.add_argument("--input", metavar="HxW", help="input height x width (e.g. 7 or 7x9)")
    group.add_argument("--kernel", metavar="KHxKW", help="kernel size (e.g. 3 or 3x5)")
    group.add_argument("--stride", metavar="SHxSW", help="stride (e.g. 2 or 1x2)")
    group.add_argument("--padding", metavar="P", help="valid, same, full, P, PH,PW or TOP,BOTTOM,LEFT,RIGHT")
    group.add_argument("--dilation", metavar="DHxDW", help="dilation (e.g. 2)")
    group.add_argument("--padding-mode", choices=PADDING_MODES)
    count = whole(1, MAX_EXTENT)
    group.add_argument("--channels", type=count, metavar="C", help="input channels")
    group.add_argument("--out-channels", type=count, metavar="K", help="output channels")
    group.add_argument("--batch", type=count, metavar="N", help="batch size")
    group.add_argument("--operation", choices=OPERATIONS, help="conv (default), conv_transpose, max_pool or avg_pool")
    group.add_argument("--groups", type=count, metavar="G", help="channel groups (in and out channels divisible by G)")
    group.add_argument("--output-padding", metavar="OPHxOPW", help="transposed convolution: extra output rows/columns")
    group.add_argument("--ceil-mode", action="store_true", default=None,
                       help="pooling: round the output size up (PyTorch's ceil_mode)")
    group.add_argument("--no-count-include-pad", dest="count_include_pad", action="store_false", default=None,
                       help="average pooling: divide by the input cells in the window, not counting padding")


DEFAULT_SPEC = {"input_shape": [1, 1, 7, 7], "kernel_size": [3, 3], "padding": "valid"}


def spec_given(args) -> bool:
    """Whether any spec flag (or --spec) was given on the command line."""
    return any(getattr(args, name, None) is not None for name in SPEC_FLAGS)


def spec_from_args(args, default: dict | None = None) -> ConvSpec:
    """The spec from --spec (if any), overridden by the flags given beside it."""
    values = dict(DEFAULT_SPEC if default is None else default)
    if getattr(args, "spec", None) and getattr(args, "lesson", None):
        raise ConvSpecError("give --spec or --lesson, not both")
    if getattr(args, "spec", None):
        values.update(load_spec_file(args.spec))
    if getattr(args, "lesson", None):
        values.update(load_lesson(args.lesson).spec.to_dict())
    shape = list(values["input_shape"])
    if args.batch is not None:
        shape[0] = args.batch
    if args.channels is not None:
        shape[1] = args.channels
    if args.input is not None:
        shape[2:] = parse_pair(args.input, "input size")
    values["input_shape"] = shape
    if args.out_channels is not None:
        values["out_channels"] = args.out_channels
    if args.kernel is not None:
        values["kernel_size"] = parse_pair(args.kernel, "kernel size")
    if args.stride is not None:
        values["stride"] = parse_pair(args.stride, "stride")
    if args.dilation is not None:
        values["dilation"] = parse_pair(args.dilation, "dilation")
    if args.padding is not None:
        values["padding"] = parse_padding(args.padding)
    if args.padding_mode is not None:
        values["padding_mode"] = args.padding_mode
    if getattr(args, "operation", None) is not None:
        values["operation"] = args.operation
    if getattr(args, "groups", None) is not None:
        values["groups"] = args.groups
    if getattr(args, "output_padding", None) is not None:
        values["output_padding"] = parse_pair(args.output_padding, "output padding")
    if getattr(args, "ceil_mode", None) is not None:
        values["ceil_mode"] = args.ceil_mode
    if getattr(args, "count_include_pad", None) is not None:
        values["count_include_pad"] = args.count_include_pad
    return ConvSpec.from_dict(values)


def scene_from_args(args) -> Scene | None:
    """The scene to start from: --lesson, or a --spec file that is a scene; None otherwise."""
    if getattr(args, "spec", None) and getattr(args, "lesson", None):
        raise ConvSpecError("give --spec or --lesson, not both")
    if getattr(args, "lesson", None):
        return load_lesson(args.lesson)
    if getattr(args, "spec", None):
        values = read_json_file(args.spec)
        if is_scene(values):
            return scene_from_json(values, args.spec)
    return None


def session_from_args(args):
    """(scene or None, a Session on it) with the spec flags given beside the scene applied."""
    from ..session import Session

    scene = scene_from_args(args)
    spec = spec_from_args(args)
    if scene is None:
        return None, Session(spec)
    session = scene.session()
    if spec != scene.spec and not session.set_spec(spec):
        raise ConvSpecError(session.error)
    return scene, session
