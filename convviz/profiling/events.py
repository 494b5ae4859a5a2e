"""What the profiler's generators yield, and the callback API driven by them.

`profile_events` and `sweep_events` yield, in the order things happen:

    Progress(done, total, message)   a step began (checking, warming up, timing a pass …)
    Skipped(backend, reason, ...)    a backend, algorithm or sweep value that will not be timed
    Measurement                      a record, as soon as its timing is complete
    SweptValue(parameter, value, records)  (sweeps only) one value is done

and return the list of records. `drive` turns those events into the callbacks of `profile()` and
`sweep()` (progress, skipped, on_record); cancelling is the generator's own affair (its `cancel`
Event is checked between runs, during pauses, and at each Progress), or the consumer closes it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from .records import Measurement


class Cancelled(Exception):
    """The caller's cancel event was set; no records are returned."""


class Skipped:
    """A backend (or backend and algorithm) that was not run, and why."""

    def __init__(self, backend: str, reason: str, algorithm: str | None = None):
        self.backend, self.reason, self.algorithm = backend, reason, algorithm

    def __repr__(self):
        return f"Skipped({self.backend!r}, {self.reason!r})"


@dataclass(frozen=True)
class Progress:
    """A step of the run began: `done` of `total` steps are behind it."""

    done: int
    total: int
    message: str


@dataclass(frozen=True)
class SweptValue:
    """A sweep is done with one value: its records (none when the value was skipped)."""

    parameter: str
    value: int
    records: list = field(default_factory=list)


def check_cancel(cancel, message: str = "cancelled between runs") -> None:
    if cancel is not None and cancel.is_set():
        raise Cancelled(message)


def tick(cancel, done: int, total: int, message: str) -> Progress:
    """The Progress event of a step, after checking `cancel` (Cancelled, with the step's message)."""
    check_cancel(cancel, message)
    return Progress(int(done), int(total), message)


def sleep(seconds: float, cancel) -> None:
    """Pause, and raise Cancelled as soon as `cancel` is set during the pause."""
    if cancel is None:
        time.sleep(seconds)
    elif cancel.wait(seconds):
        raise Cancelled("cancelled")


def drive(events, progress=None, skipped=None, on_record=None) -> list[Measurement]:
    """Run a profiler generator to its end, calling progress(done, total, message) for each
    Progress, appending each Skipped to the list `skipped`, and calling on_record(measurement)
    for each record, all from the calling thread; returns the generator's records."""
    try:
        while True:
            try:
                event = next(events)
            except StopIteration as end:
                return end.value
            if isinstance(event, Progress):
                if progress is not None:
                    progress(event.done, event.total, event.message)
            elif isinstance(event, Skipped):
                if skipped is not None:
                    skipped.append(event)
            elif isinstance(event, Measurement) and on_record is not None:
                on_record(event)
    finally:
        events.close()
