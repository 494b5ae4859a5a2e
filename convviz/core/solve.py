"""The padding solver: the least padding that gives a target output size.

Per axis the output size only grows with the total padding (each extra padded index adds a
window or not), so the solver searches the total padding with the axis' own `output_size`
rather than inverting the formula: one geometry. The total is split as TensorFlow's SAME splits
it, half before and the odd pixel after.
"""

from __future__ import annotations

import dataclasses
import numbers
from typing import NamedTuple

from .axis import Axis
from .errors import ConvSpecError
from .spec import MAX_EXTENT, ConvSpec


class SolvedPadding(NamedTuple):
    """The solved spec, its pads (top, bottom, left, right), its output shape (N, K, H, W) and one
    line per axis saying how the total padding was found."""

    spec: ConvSpec
    pads: tuple[int, int, int, int]
    output_shape: tuple[int, int, int, int]
    explanation: tuple[str, str]


def split(total: int) -> tuple[int, int]:
    """(before, after): half each, the odd pixel after (TensorFlow's SAME convention)."""
    return total // 2, total - total // 2


def padded(axis: Axis, total: int) -> Axis:
    """The axis with `total` padding split by `split`."""
    before, after = split(total)
    return dataclasses.replace(axis, before=before, after=after)


def _first(predicate, low: int, high: int) -> int:
    """The least total in [low, high] where `predicate` (false, then true) holds; high + 1 if none."""
    while low <= high:
        middle = (low + high) // 2
        if predicate(middle):
            high = middle - 1
        else:
            low = middle + 1
    return low


def _largest_allowed(axis: Axis, limit: int) -> int:
    """The largest total padding up to `limit` that the axis' padding mode can make."""
    return _first(lambda total: padded(axis, total).padding_problem() is not None, 0, limit) - 1


def solve_axis(axis: Axis, target: int) -> tuple[int, int, str]:
    """(before, after, explanation) of the least padding that gives `target` windows along `axis`.

    Raises ConvSpecError saying the nearest sizes padding reaches when `target` is not one of them.
    """
    if isinstance(target, bool) or not isinstance(target, numbers.Integral) or target < 1:
        raise ConvSpecError(f"the target output {axis.name} must be a whole number of at least 1 (got {target!r})")
    limit = 2 * MAX_EXTENT
    unpadded = padded(axis, 0)
    smallest = unpadded.output_size if unpadded.window_fits else 1
    if target < smallest:
        raise ConvSpecError(
            f"no padding gives an output {axis.name} of {target}: the smallest reachable is {smallest}, "
            f"with no padding ({unpadded.formula()}), and padding only adds windows"
        )
    total = _first(lambda total: padded(axis, total).output_size >= target, 0, limit)
    if total > limit:
        raise ConvSpecError(
            f"an output {axis.name} of {target} needs more padding than convviz's limit of {MAX_EXTENT:,} per side"
        )
    solved = padded(axis, total)
    if solved.output_size != target:
        below = padded(axis, total - 1).output_size
        raise ConvSpecError(
            f"no padding gives an output {axis.name} of {target} at stride {axis.stride}; the nearest "
            f"reachable are {below} and {solved.output_size}"
        )
    problem = solved.padding_problem()
    if problem:
        largest = padded(axis, _largest_allowed(axis, total)).output_size
        raise ConvSpecError(
            f"an output {axis.name} of {target} needs padding {solved.before} before and {solved.after} after, "
            f"but {problem}; the largest output {axis.name} {axis.mode} padding reaches is {largest}"
        )
    needed = "no padding" if total == 0 else f"total padding {total} ({solved.before} before, {solved.after} after)"
    return solved.before, solved.after, f"{axis.name}: {needed}, {solved.formula()}"


def solve_padding(spec: ConvSpec, target) -> SolvedPadding:
    """The least padding per axis that makes `spec`'s output (height, width) equal `target`.

    The other fields of the spec are kept; its padding becomes the explicit
    (top, bottom, left, right). Raises ConvSpecError, in words, when no padding in the spec's
    padding mode reaches the target.
    """
    if spec.operation != "conv":
        raise ConvSpecError(f"the padding solver solves convolution; {spec.operation} takes the same padding "
                            "on both sides of an axis (see its output-size formula)")
    if isinstance(target, (str, bytes)) or not hasattr(target, "__len__") or len(target) != 2:
        raise ConvSpecError(f"the target output size must be (height, width) (got {target!r})")
    (top, bottom, top_text), (left, right, left_text) = (
        solve_axis(axis, int(size) if isinstance(size, numbers.Integral) else size)
        for axis, size in zip(spec.axes, target)
    )
    solved = spec.replace(padding=(top, bottom, left, right))
    rows, cols = solved.axes
    output_shape = (solved.batch, solved.out_channels, rows.output_size, cols.output_size)
    return SolvedPadding(solved, (top, bottom, left, right), output_shape, (top_text, left_text))
