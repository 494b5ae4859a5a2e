"""Two sessions compared: playback kept in step, and the difference of their coverage maps.

`Comparison` ties two `Session`s together without Qt: a step, play, pause or speed change on
either is mirrored on the other, and `tick()` is the one clock that moves both. Both show the
same step number; a session with fewer steps waits at its last one until the other is done.

`coverage_difference` says, cell by cell of the input, how many more multiplications read
the cell under B than under A.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .session import PLAYING, SPEC, SPEED, STEP, Session


@dataclass(frozen=True)
class CoverageDifference:
    """B's coverage minus A's on the input cells both have, aligned at the top-left cell."""

    values: np.ndarray
    """(max H, max W) float: B − A where both inputs have the cell, NaN where only one has it."""
    shared: tuple[int, int]
    """Rows and columns both inputs have."""
    low: int
    high: int
    summary: str

    @property
    def same_shape(self) -> bool:
        return self.shared == self.values.shape


def coverage_difference(plan_a, plan_b) -> CoverageDifference:
    """B − A reads per input cell. Cell (r, c) is the same input cell in both: inputs of
    different sizes are aligned at their top-left cell and compared where both have it; the
    cells only one input has are NaN and the summary says so."""
    a, b = np.asarray(plan_a.coverage), np.asarray(plan_b.coverage)
    rows, cols = min(a.shape[0], b.shape[0]), min(a.shape[1], b.shape[1])
    values = np.full((max(a.shape[0], b.shape[0]), max(a.shape[1], b.shape[1])), np.nan)
    shared = b[:rows, :cols].astype(np.int64) - a[:rows, :cols].astype(np.int64)
    values[:rows, :cols] = shared
    low, high = (int(shared.min()), int(shared.max())) if shared.size else (0, 0)
    more, fewer = int((shared > 0).sum()), int((shared < 0).sum())
    if low == high == 0:
        summary = "B reads every shared input cell exactly as often as A"
    else:
        summary = (f"B − A reads per input cell: from {low:+d} to {high:+d}; "
                   f"{more} cell{'s' if more != 1 else ''} read more under B, {fewer} fewer")
    if (rows, cols) != values.shape:
        (ha, wa), (hb, wb) = a.shape, b.shape
        summary += (f". The inputs differ ({ha}×{wa} vs {hb}×{wb}): compared on the {rows}×{cols} cells "
                    "both have, aligned at the top-left; the grey rest exists in only one")
    return CoverageDifference(values, (rows, cols), low, high, summary)


class Comparison:
    """Keeps two sessions' playback together: the same step (each clamped to its last), both
    playing or both paused, the same speed."""

    def __init__(self, first: Session, second: Session):
        self.first, self.second = first, second
        self._mirroring = False
        self._difference: CoverageDifference | None = None
        second.set_speed(first.speed)
        if first.playing:
            second.play()
        else:
            second.pause()
        self._follow(first, second)
        first.subscribe(self._first_changed)
        second.subscribe(self._second_changed)

    @property
    def sessions(self) -> tuple[Session, Session]:
        return self.first, self.second

    def close(self) -> None:
        """Stop tying the sessions together."""
        self.first.unsubscribe(self._first_changed)
        self.second.unsubscribe(self._second_changed)

    @property
    def steps(self) -> int:
        """Steps until both are done: the longer of the two."""
        return max(self.first.steps, self.second.steps)

    @property
    def at_end(self) -> bool:
        return self.first.at_end and self.second.at_end

    def difference(self) -> CoverageDifference:
        if self._difference is None:
            self._difference = coverage_difference(self.first.plan, self.second.plan)
        return self._difference

    def tick(self) -> None:
        """One playback tick of both: the next step on each that has one; pause when both are done."""
        if not (self.first.playing or self.second.playing):
            return
        if self.at_end:
            self._pause_both()
            return
        step = max(self.first.step, self.second.step) + 1
        self._mirroring = True
        try:
            for session in self.sessions:
                session.set_step(min(step, session.steps - 1))
        finally:
            self._mirroring = False
        if self.at_end:
            self._pause_both()

    def _pause_both(self) -> None:
        for session in self.sessions:
            session.pause()

    def _first_changed(self, changes) -> None:
        self._changed(self.first, self.second, changes)

    def _second_changed(self, changes) -> None:
        self._changed(self.second, self.first, changes)

    def _changed(self, source: Session, other: Session, changes) -> None:
        if SPEC in changes:
            self._difference = None
        if self._mirroring:
            return
        self._mirroring = True
        try:
            if STEP in changes:
                self._follow(source, other)
            if SPEED in changes:
                other.set_speed(source.speed)
            if PLAYING in changes:
                if source.playing and not other.playing:
                    if source.step == 0:
                        other.first()
                    if not other.at_end:  # play() would rewind it; it waits at its end instead
                        other.play()
                elif not source.playing:
                    other.pause()
        finally:
            self._mirroring = False

    @staticmethod
    def _follow(source: Session, other: Session) -> None:
        other.set_step(min(source.step, other.steps - 1))
