"""A picked cell, and its text form: "output:I,J", "input:R,C" or "weight:R,C".

The text is what the command line (`--select`), lessons and scenes store; `parse_selection`
and `format_selection` round-trip it. Which cells exist depends on the spec, so a target is
checked against a plan (`SelectionTarget.check`) before a session takes it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..core import ConvSpecError

KINDS = ("output", "input", "weight")
"""What can be picked: an output cell (i, j), an input cell (row, col), a kernel weight (r, s)."""

_TEXT = re.compile(r"^\s*([a-z]+)\s*:\s*([+-]?\d+)\s*[,x×]\s*([+-]?\d+)\s*$", re.IGNORECASE)
FORMS = "output:I,J, input:R,C or weight:R,C"


@dataclass(frozen=True)
class SelectionTarget:
    """One cell of the output, the (unpadded) input or the kernel."""

    kind: str
    row: int
    col: int

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ConvSpecError(f"a selection is one of {', '.join(KINDS)} (got {self.kind!r})")
        for value in (self.row, self.col):
            if isinstance(value, bool) or not isinstance(value, int):
                raise ConvSpecError(f"a selected cell is two whole numbers (got {self.row!r}, {self.col!r})")

    @property
    def cell(self) -> tuple[int, int]:
        return self.row, self.col

    def shape_in(self, conv_plan) -> tuple[int, int]:
        """The (rows, columns) of the grid this target picks from, in `conv_plan`."""
        if self.kind == "output":
            return tuple(conv_plan.output_size)
        if self.kind == "input":
            return tuple(conv_plan.spec.input_size)
        return tuple(conv_plan.spec.kernel_size)

    def fits(self, conv_plan) -> bool:
        height, width = self.shape_in(conv_plan)
        return 0 <= self.row < height and 0 <= self.col < width

    def check(self, conv_plan) -> SelectionTarget:
        """This target, or a ConvSpecError naming the cells that exist."""
        if not self.fits(conv_plan):
            height, width = self.shape_in(conv_plan)
            grid = {"output": "output", "input": "input", "weight": "kernel"}[self.kind]
            raise ConvSpecError(
                f"{self.kind} cell {self.row},{self.col} is outside the {height}×{width} {grid}: "
                f"rows go 0–{height - 1}, columns 0–{width - 1}"
            )
        return self

    def __str__(self) -> str:
        return format_selection(self)


def parse_selection(text) -> SelectionTarget:
    """"output:2,3" → SelectionTarget("output", 2, 3); a ConvSpecError in words otherwise."""
    if isinstance(text, SelectionTarget):
        return text
    match = _TEXT.match(str(text))
    if not match:
        raise ConvSpecError(f"a selection is written {FORMS}, like output:2,3 (got {str(text)!r})")
    kind = match.group(1).lower()
    if kind not in KINDS:
        raise ConvSpecError(f"a selection is written {FORMS}; {match.group(1)!r} is not one of "
                            f"{', '.join(KINDS)}")
    row, col = int(match.group(2)), int(match.group(3))
    if row < 0 or col < 0:
        raise ConvSpecError(f"a selected cell counts from 0; {row},{col} has a negative index")
    return SelectionTarget(kind, row, col)


def format_selection(target: SelectionTarget) -> str:
    """The text `parse_selection` reads back: "kind:row,col"."""
    return f"{target.kind}:{target.row},{target.col}"
