"""The profiler as generators: profile_events and sweep_events yield progress, skips and each record as it
is timed, and return the records; cancelling stays prompt."""

import importlib
import threading
import time

import pytest

from convviz.backends import convolve
from convviz.backends.base import PEER, Availability, Backend
from convviz.core import ConvSpec
from convviz.profiling import (
    Cancelled,
    Measurement,
    Progress,
    Skipped,
    SweptValue,
    profile,
    profile_events,
    sweep_events,
)
from convviz.profiling import peers as peers_module

FAST = dict(repeats=2, min_time_s=0.0, roofline_peaks=False, settle_s=0.0)
SMALL = ConvSpec(input_shape=(1, 2, 7, 6), out_channels=3, kernel_size=3, padding=1)


def _run(events) -> tuple[list, list]:
    """Every event the generator yields, and what it returns."""
    seen = []
    while True:
        try:
            seen.append(next(events))
        except StopIteration as end:
            return seen, end.value


def test_profile_events_yields_steps_skips_and_each_record_then_returns_them():
    events, records = _run(profile_events(SMALL, backends=["numpy", "scipy"], algorithms="all", **FAST))
    skipped = [(event.backend, event.algorithm) for event in events if isinstance(event, Skipped)]
    # scipy: one channel only (or not installed); numpy's strategies for one channel and for 1×1: said, not timed
    assert [backend for backend, _ in skipped[:2]] == ["scipy-ndimage", "scipy-signal"]
    assert skipped[2:] == [("numpy", "toeplitz"), ("numpy", "pointwise")]
    yielded = [event for event in events if isinstance(event, Measurement)]
    assert len(records) == 6 and {id(record) for record in yielded} == {id(record) for record in records}
    steps = [event for event in events if isinstance(event, Progress)]
    assert steps[0].message.startswith("computing the float64 reference") and steps[-1].message.startswith("timed")
    assert all(0 <= step.done <= step.total for step in steps)
    first_record = next(index for index, event in enumerate(events) if isinstance(event, Measurement))
    last_timing = max(index for index, event in enumerate(events)
                      if isinstance(event, Progress) and event.message.startswith("timing"))
    assert first_record < last_timing  # records come while the rest are still being timed


def test_a_set_cancel_stops_the_generator_at_its_next_step():
    cancel = threading.Event()
    events = profile_events(SMALL, backends=["numpy"], cancel=cancel, **FAST)
    assert isinstance(next(events), Progress)
    cancel.set()
    with pytest.raises(Cancelled):
        next(events)


class _HostPeer(Backend):
    """A second host library, so that the profiler pauses (settle_s) between it and NumPy."""

    name = "fake-host"
    device = "CPU (fake)"
    host = True
    family = PEER
    algorithms = ("numpy-again",)

    def available(self):
        return Availability(True)

    def choose_algorithm(self, conv_plan, dtype):
        return "numpy-again"

    def convolve(self, x, w, conv_plan, bias=None, algorithm=None):
        return convolve(x, w, conv_plan)


def test_cancel_during_the_pause_between_backends_is_prompt(monkeypatch):
    monkeypatch.setitem(peers_module.PEER_CLASSES, "fake-host", _HostPeer)
    monkeypatch.setattr(peers_module, "_peers", {})
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    began = time.perf_counter()
    with pytest.raises(Cancelled):
        profile(SMALL, backends=["numpy", "fake-host"], cancel=cancel, repeats=2, min_time_s=0, roofline_peaks=False,
                settle_s=60)
    assert time.perf_counter() - began < 10


def test_sweep_events_report_each_value_once_done_and_a_repeated_skip_once():
    spec = ConvSpec(input_shape=(1, 2, 8, 8), out_channels=2, kernel_size=5)
    events, records = _run(sweep_events(spec, "input-size", [2, 8, 12], backends=["numpy", "scipy"], **FAST))
    swept = [(event.value, len(event.records)) for event in events if isinstance(event, SweptValue)]
    assert swept == [(2, 0), (8, 2), (12, 2)]
    skipped = [event.backend for event in events if isinstance(event, Skipped)]
    assert skipped == ["input-size=2", "scipy-ndimage", "scipy-signal"]  # the same reason at 8 and 12: once
    yielded = [event for event in events if isinstance(event, Measurement)]
    assert [record.sweep_value for record in yielded] == [8, 8, 12, 12]  # labelled when yielded
    assert {id(record) for record in yielded} == {id(record) for record in records}
    steps = [event for event in events if isinstance(event, Progress)]
    assert all(0 <= step.done <= step.total for step in steps)
    assert any(step.message.startswith("input-size 12: timing") for step in steps)


def test_closing_a_sweep_closes_the_profile_it_is_in():
    spec = ConvSpec(input_shape=(1, 1, 8, 8), out_channels=1, kernel_size=3)
    closed, kept = [], []

    def watched_run(*args, **kwargs):
        try:
            yield from profile_events(*args, **kwargs)
        finally:
            closed.append(True)

    def watched(*args, **kwargs):
        kept.append(watched_run(*args, **kwargs))  # alive here: only an explicit close() ends it now
        return kept[-1]

    sweep_module = importlib.import_module("convviz.profiling.sweep")  # the package's `sweep` is the function
    events = sweep_events(spec, "input-size", [8, 16], backends=["numpy"], **FAST)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sweep_module, "profile_events", watched)
        assert isinstance(next(events), Progress)
        events.close()
    assert closed == [True]
