"""Two sessions compared: playback kept in step, and the difference of their coverage maps.

`Comparison` ties two `Session`s together without Qt: a step, play, pause or speed change on
either is mirrored on the other, and `tick()` is the one clock that moves both. Both show the
same step number; a session with fewer steps waits at its last one until the other is done.

`coverage_difference` says, cell by cell of the input, how many more multiplications read
the cell under B than under A.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np

from .session import PLAYING, SPEC, SPEED, STEP, Session, advance_playback


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


def _signed(count: int) -> str:
    return f"{count:+d}".replace("-", "−") if count else "0"


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
        summary = (f"B − A reads per input cell: from {_signed(low)} to {_signed(high)}; "
                   f"{more} cell{'s' if more != 1 else ''} read more under B, {fewer} fewer")
    if (rows, cols) != values.shape:
        (ha, wa), (hb, wb) = a.shape, b.shape
        summary += (f". The inputs differ ({ha}×{wa} vs {hb}×{wb}): compared on the {rows}×{cols} cells "
                    "both have, aligned at the top-left; the grey rest exists in only one")
    return CoverageDifference(values, (rows, cols), low, high, summary)


@dataclass(frozen=True)
class ComparisonFrame:
    """Where the two are, as a playback bar shows it."""

    step: int
    steps: int

    @property
    def step_label(self) -> str:
        return f"step {self.step + 1} / {self.steps}"


class Comparison:
    """Keeps two sessions' playback together: the same step (each clamped to its last), both
    playing or both paused, the same speed."""

    def __init__(self, a: Session, b: Session):
        self.a, self.b = a, b
        self._mirroring = False
        self._difference: CoverageDifference | None = None
        self._difference_token = 0
        """Counts the spec changes: `difference_job` hands it out, `adopt_difference` checks it."""
        b.set_speed(a.speed)
        if a.playing:
            b.play()
        else:
            b.pause()
        self._follow(a, b)
        a.subscribe(self._a_changed)
        b.subscribe(self._b_changed)

    @property
    def sessions(self) -> tuple[Session, Session]:
        return self.a, self.b

    def close(self) -> None:
        """Stop tying the sessions together."""
        self.a.unsubscribe(self._a_changed)
        self.b.unsubscribe(self._b_changed)

    @property
    def steps(self) -> int:
        """Steps until both are done: the longer of the two."""
        return max(self.a.steps, self.b.steps)

    @property
    def at_end(self) -> bool:
        return self.a.at_end and self.b.at_end

    def difference(self) -> CoverageDifference:
        if self._difference is None:
            self._difference = self.difference_job()[1]()
        return self._difference

    def difference_job(self):
        """(token, job): `job()` computes the coverage difference of the two plans as they are now
        without reading the sessions again, so it can run on another thread; `adopt_difference(token,
        difference)` then keeps it unless a spec changed meanwhile."""
        return self._difference_token, partial(coverage_difference, self.a.plan, self.b.plan)

    def adopt_difference(self, token, difference: CoverageDifference) -> bool:
        """Keep a difference a `difference_job` computed; False (nothing kept) when a spec changed since."""
        if token != self._difference_token:
            return False
        self._difference = difference
        return True

    # one transport for both (what a playback bar and the keys drive in compare mode) ------------
    @property
    def step(self) -> int:
        return max(self.a.step, self.b.step)

    @property
    def playing(self) -> bool:
        return self.a.playing or self.b.playing

    @property
    def speed(self) -> float:
        return self.a.speed

    @property
    def interval_ms(self) -> int:
        return self.a.interval_ms

    def frame(self) -> ComparisonFrame:
        return ComparisonFrame(self.step, self.steps)

    def set_step(self, step: int) -> None:
        """Both to `step`, each clamped to its last."""
        step = max(0, min(int(step), self.steps - 1))
        self._mirroring = True
        try:
            for session in self.sessions:
                session.set_step(min(step, session.steps - 1))
        finally:
            self._mirroring = False

    def first(self) -> None:
        self.set_step(0)

    def last(self) -> None:
        self.set_step(self.steps - 1)

    def step_forward(self) -> None:
        self.set_step(self.step + 1)

    def step_back(self) -> None:
        self.set_step(self.step - 1)

    def set_speed(self, steps_per_second: float) -> None:
        self.a.set_speed(steps_per_second)

    def play(self) -> None:
        """Play both from here (from the start when both are done); one already at its end waits there."""
        if self.playing:
            return
        if self.at_end:
            self.set_step(0)
        self._mirroring = True
        try:
            for session in self.sessions:
                if not session.at_end:
                    session.play()
        finally:
            self._mirroring = False

    def pause(self) -> None:
        for session in self.sessions:
            session.pause()

    def toggle_play(self) -> None:
        self.pause() if self.playing else self.play()

    def tick(self) -> None:
        """One playback tick of both: the next step on each that has one; pause when both are done."""
        advance_playback(self)

    def _a_changed(self, changes) -> None:
        self._changed(self.a, self.b, changes)

    def _b_changed(self, changes) -> None:
        self._changed(self.b, self.a, changes)

    def _changed(self, source: Session, other: Session, changes) -> None:
        if SPEC in changes:
            self._difference = None
            self._difference_token += 1
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
