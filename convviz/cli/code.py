"""`convviz code`: PyTorch or TensorFlow code that computes exactly what the spec computes."""

from __future__ import annotations

import sys

from ..session.framework_code import FRAMEWORKS, framework_code
from .specargs import add_spec_arguments, spec_from_args


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("code", help="print PyTorch or TensorFlow code for the spec")
    add_spec_arguments(parser)
    parser.add_argument("--framework", choices=FRAMEWORKS, default="pytorch",
                        help="pytorch (default): layer and forward(x), NCHW; tensorflow: forward(x, kernel), NHWC")


def run(args) -> int:
    generated = framework_code(spec_from_args(args), args.framework)
    if generated.problem:
        print(f"convviz: {generated.problem}", file=sys.stderr)
        return 2
    sys.stdout.write(generated.code)
    return 0
