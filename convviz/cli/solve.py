"""`convviz solve`: the least padding that gives a target output size."""

from __future__ import annotations

import json

from ..core.solve import solve_padding
from .specargs import add_spec_arguments, parse_pair, spec_from_args


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "solve", help="the least padding (split as TensorFlow does) that gives a target output size")
    add_spec_arguments(parser)
    parser.add_argument("--target", required=True, metavar="HxW", help="output height x width wanted (e.g. 7 or 7x9)")
    parser.add_argument("--json", action="store_true", help="print the answer as JSON")


def solved_record(solved) -> dict:
    return {
        "pads": list(solved.pads),
        "output_shape": list(solved.output_shape),
        "spec": solved.spec.to_dict(),
        "explanation": list(solved.explanation),
    }


def format_solved(solved) -> str:
    top, bottom, left, right = solved.pads
    n, k, ho, wo = solved.output_shape
    return "\n".join([
        f"pads      top {top}, bottom {bottom}, left {left}, right {right}",
        f"output    {n}×{k}×{ho}×{wo}",
        *(f"  {line}" for line in solved.explanation),
        f"flags     --padding {top},{bottom},{left},{right}",
    ])


def run(args) -> int:
    spec = spec_from_args(args)
    solved = solve_padding(spec, parse_pair(args.target, "target output size"))
    print(json.dumps(solved_record(solved)) if args.json else format_solved(solved))
    return 0
