"""The command line: the GUI by default, headless sub-commands beside it.

Each sub-command is a module here with `add_parser(subparsers)` and `run(args) -> int`.
A bad argument or spec exits 2 with one line.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys

from ..core import ConvSpecError
from ..session.files import check_output_path
from . import bench, code, export, plan, solve
from .numbers import harden, parser_tree, unparsed_numbers
from .specargs import add_spec_arguments, scene_from_args, spec_from_args, spec_given
from .windowargs import add_window_arguments, window_options

COMMANDS = {"plan": plan, "bench": bench, "solve": solve, "code": code, "export": export}


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports a bad argument in one line and exits 2."""

    def error(self, message):
        argv = getattr(self, "argv", None)  # set on the top-level parser only
        unknown = unknown_options(self, argv) if argv is not None else None
        if unknown:
            message = unknown
        self.exit(2, f"{self.prog}: error: {one_line(message)}\n")


def unknown_options(parser: argparse.ArgumentParser, argv) -> str | None:
    """'unknown option --x …' for the first option in `argv` (before a command) that `parser`
    does not know, with the nearest known one; None when every option is known. argparse
    would otherwise blame the option's value ("invalid choice: '3'")."""
    import difflib

    known = list(parser._option_string_actions)
    commands = set()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            commands.update(action.choices)
    for token in argv:
        if token in commands or token == "--":
            return None
        if not token.startswith("-") or token == "-" or _is_number(token):
            continue
        name = token.split("=", 1)[0]
        if name in known or (name.startswith("--") and sum(option.startswith(name) for option in known) == 1):
            continue
        near = difflib.get_close_matches(name, [option for option in known if option.startswith("--")], n=1)
        hint = f"; did you mean {near[0]}?" if near else ""
        return f"unknown option {name}{hint} (convviz --help lists them)"
    return None


def _is_number(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


def one_line(message) -> str:
    return " ".join(str(message).split())


def _step_number(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a step is a whole number, 1 for the first (got {text!r})") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"steps are counted from 1 (got {number})")
    return number


def _selection(text: str):
    from ..session.selection import parse_selection

    try:
        return parse_selection(text)
    except ConvSpecError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="convviz",
        description="See, and time, what a 2-D convolution does. With no command, opens the window.",
    )
    add_spec_arguments(parser)
    parser.add_argument("--screenshot", metavar="FILE.png", help="render the window offscreen to a PNG and exit")
    add_window_arguments(parser)
    view = parser.add_argument_group("what the window shows (also with --screenshot)")
    view.add_argument("--step", type=_step_number, metavar="N",
                      help="show animation step N, counted as the window shows it (1 = the first)")
    view.add_argument("--select", type=_selection, metavar="KIND:R,C",
                      help="pin a cell: output:I,J, input:R,C or weight:R,C (counted from 0)")
    view.add_argument("--transposed-view", choices=("direct", "scatter"),
                      help="draw a transposed convolution as the direct convolution over the zero-inserted "
                           "input, or as each input cell scattering its weighted kernel (one step per input cell)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineParser)
    for module in COMMANDS.values():
        module.add_parser(subparsers)
    harden(parser)
    share_top_level_flags(parser)
    return parser


def share_top_level_flags(parser: argparse.ArgumentParser) -> None:
    """Let flags a sub-command shares with the top level (the spec flags) come before or after
    the command: the sub-command's own default no longer overwrites a value given before it."""
    top = {action.dest for action in parser._actions if action.option_strings}
    for sub in list(parser_tree(parser))[1:]:
        for action in sub._actions:
            if action.option_strings and action.dest in top and action.dest != "help":
                action.default = argparse.SUPPRESS


def misplaced_flags(parser: argparse.ArgumentParser, args) -> list[str]:
    """Top-level flags given with a sub-command that has no such flag (they would do nothing)."""
    if args.command is None:
        return []
    sub = _subcommand_parser(parser, args.command)
    own = {action.dest for action in sub._actions}
    return ["/".join(action.option_strings) for action in parser._actions
            if action.option_strings and action.dest not in own and action.dest != "help"
            and getattr(args, action.dest, None) not in (None, action.default, False)]


def _subcommand_parser(parser, command):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices[command]
    raise KeyError(command)


def main(argv=None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:
        # the reader went away (`convviz plan | head`): stop quietly, as `cat` does
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def _main(argv) -> int:
    parser = build_parser()
    parser.argv = sys.argv[1:] if argv is None else list(argv)
    try:
        args = parser.parse_args(argv)
    except SystemExit as leaving:  # --help, or a bad argument already said in one line
        return leaving.code if isinstance(leaving.code, int) else 2
    try:
        unparsed = unparsed_numbers(parser, args)
        if unparsed:
            raise ConvSpecError(f"{', '.join(unparsed)} need(s) a number")
        misplaced = misplaced_flags(parser, args)
        if misplaced:
            raise ConvSpecError(f"{', '.join(misplaced)} belong(s) to the window, not to the {args.command} "
                                f"command; give them without a command")
        if args.command is None:
            from ..gui.app import run_gui

            if args.screenshot is not None:
                check_output_path(args.screenshot, "screenshot")
            spec = spec_from_args(args) if spec_given(args) else None
            return run_gui(spec, screenshot=args.screenshot, step=args.step, select=args.select,
                           scene=scene_from_args(args), transposed_view=args.transposed_view, **window_options(args))
        return COMMANDS[args.command].run(args)
    except ConvSpecError as error:
        print(f"convviz: {one_line(error)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("convviz: interrupted", file=sys.stderr)
        return 130
