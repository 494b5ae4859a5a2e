"""`convviz plan`: the geometry of one spec, as text or JSON."""

from __future__ import annotations

import json

from ..core import plan as make_plan
from .specargs import add_spec_arguments, spec_from_args

MAX_GRID = 32
MAX_JSON_CELLS = 1 << 20


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("plan", help="print pads, output size and coverage of a spec")
    add_spec_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print the plan as JSON")


def plan_record(conv_plan) -> dict:
    """The plan as plain JSON-ready values (the coverage grid only up to a million cells)."""
    height, width = conv_plan.spec.input_size
    fewest, most = conv_plan.coverage_range
    return {
        "spec": conv_plan.spec.to_dict(),
        "pads": list(conv_plan.pads),
        "padded_shape": list(conv_plan.padded_shape),
        "output_shape": list(conv_plan.output_shape),
        "output_formula": [axis.formula() for axis in conv_plan.axes],
        "coverage": conv_plan.coverage.tolist() if height * width <= MAX_JSON_CELLS else None,
        "coverage_min": fewest,
        "coverage_max": most,
        "unread_rows": list(conv_plan.unread_rows),
        "unread_cols": list(conv_plan.unread_cols),
        "flops": conv_plan.flops,
    }


def format_plan(conv_plan) -> str:
    spec = conv_plan.spec
    top, bottom, left, right = conv_plan.pads
    n, k, ho, wo = conv_plan.output_shape
    lines = [
        f"spec      {spec.describe()} ({spec.padding_mode} padding)",
        f"pads      top {top}, bottom {bottom}, left {left}, right {right}" + _pads_note(spec),
        f"padded    {conv_plan.padded_shape[0]}×{conv_plan.padded_shape[1]}",
        f"output    {n}×{k}×{ho}×{wo}",
        *(f"  {axis.name:<8}{axis.formula()}" for axis in conv_plan.axes),
    ]
    height, width = spec.input_size
    if height <= MAX_GRID and width <= MAX_GRID:
        coverage = conv_plan.coverage
        cell = max(2, len(str(int(coverage.max()))) + 1)
        lines.append("coverage  (windows that include each input cell)" if spec.is_pooling
                     else "coverage  (multiplications that read each input cell)")
        for row in coverage:
            lines.append("  " + "".join(f"{int(value):>{cell}}" for value in row))
    else:
        fewest, most = conv_plan.coverage_range
        lines.append(f"coverage  min {fewest}, max {most} (grid shown up to {MAX_GRID}×{MAX_GRID})")
    lines.append(f"unread    rows {_listing(conv_plan.unread_rows)}; columns {_listing(conv_plan.unread_cols)}")
    return "\n".join(lines)


def _pads_note(spec) -> str:
    if spec.operation == "conv_transpose":
        return " (of the equivalent direct convolution over the zero-inserted input: d·(k−1) − p)"
    if spec.ceil_mode:
        return " (bottom and right include what ceil mode's last window reaches past the padding)"
    return ""


def _listing(indices) -> str:
    return ", ".join(map(str, indices)) if indices else "none"


def run(args) -> int:
    conv_plan = make_plan(spec_from_args(args))
    if args.json:
        print(json.dumps(plan_record(conv_plan)))
    else:
        print(format_plan(conv_plan))
    return 0
