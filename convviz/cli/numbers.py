"""Numbers on the command line: every numeric flag has a range, checked while parsing, before
any work starts. NaN, infinities, thousands of digits and values outside the range are refused
in words, as a bad argument (one line, exit 2).

`whole(low, high)` and `real(low, high)` are argparse types. `harden(parser)` walks a built
parser (sub-commands included) and gives any flag still typed plain `int` or `float` the widest
range a number can have here, so a flag added without one is still safe from NaN and overflow.
"""

from __future__ import annotations

import argparse
import math

MAX_DIGITS = 30
"""Longest number text read at all: far past any range here, far below Python's 4,300-digit limit."""
WIDEST = 2**63 - 1


class NumberType:
    """An argparse type for numbers in [low, high]; `kind` is int or float."""

    def __init__(self, kind, low=None, high=None, what: str = ""):
        self.kind, self.low, self.high, self.what = kind, low, high, what
        self.__name__ = self.describe()  # argparse names the type in its messages

    def describe(self) -> str:
        noun = "a whole number" if self.kind is int else "a number"
        if self.low is not None and self.high is not None:
            return f"{noun} from {self.low:,} to {self.high:,}"
        if self.low is not None:
            return f"{noun} of at least {self.low:,}"
        if self.high is not None:
            return f"{noun} of at most {self.high:,}"
        return noun

    def __call__(self, text):
        text = str(text).strip().replace("_", "")
        if len(text) > MAX_DIGITS:
            raise argparse.ArgumentTypeError(f"expected {self.describe()} (got {len(text):,} characters)")
        try:
            value = int(text) if self.kind is int else float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {self.describe()} (got {text!r})") from None
        if self.kind is float and not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"expected {self.describe()} (got {text!r})")
        if (self.low is not None and value < self.low) or (self.high is not None and value > self.high):
            raise argparse.ArgumentTypeError(f"expected {self.describe()} (got {text})")
        return value

    def __repr__(self) -> str:
        return f"NumberType({self.describe()})"


def whole(low: int | None = None, high: int | None = None) -> NumberType:
    return NumberType(int, low, high)


def real(low: float | None = None, high: float | None = None) -> NumberType:
    return NumberType(float, low, high)


def parser_tree(parser: argparse.ArgumentParser):
    """The parser and every sub-command's parser, each once."""
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in dict.fromkeys(action.choices.values()):
                yield from parser_tree(sub)


def harden(parser: argparse.ArgumentParser) -> list[str]:
    """Give plain int/float flags the widest safe range; the flags changed (to be given their own)."""
    changed = []
    for each in parser_tree(parser):
        for action in each._actions:
            if action.type is int:
                action.type = whole(-WIDEST, WIDEST)
                changed.append(f"{each.prog} {'/'.join(action.option_strings)}")
            elif action.type is float:
                action.type = real(-1e300, 1e300)
                changed.append(f"{each.prog} {'/'.join(action.option_strings)}")
    return changed


def unparsed_numbers(parser: argparse.ArgumentParser, args) -> list[str]:
    """Numeric flags whose value never went through their type (argparse drops a lone `--`
    given as a value): their names, to be refused."""
    wrong = []
    for each in parser_tree(parser):
        for action in each._actions:
            if isinstance(action.type, NumberType) and action.nargs is None:
                value = getattr(args, action.dest, None)
                if value is not None and value is not action.default and not isinstance(value, (int, float)):
                    wrong.append("/".join(action.option_strings))
    return sorted(set(wrong))
