"""Honest CPU timing: the stability verdict, the adaptive stopping rule, the thread counts applied
inside the timed call and recorded, and the new fields in JSON and CSV."""

import csv
import io
import json
import time

import pytest
from threadpoolctl import threadpool_info

from convviz.backends import BACKEND_CLASSES, get_backend
from convviz.backends.numpy_backend import NumpyBackend
from convviz.core import ConvSpec
from convviz.profiling import peers, profile, records_from_json, records_to_csv, records_to_json, summarize
from convviz.profiling.runner import MAX_REPEATS, MIN_REPEATS, timing_done
from convviz.profiling.stats import SPREAD_LIMIT, busy_load, judge, spread_ratio

SMALL = ConvSpec(input_shape=(1, 4, 12, 12), out_channels=4, kernel_size=3, padding=1)
QUICK = dict(roofline_peaks=False, settle_s=0.0)


def _blas_threads() -> set:
    return {item["num_threads"] for item in threadpool_info() if item["user_api"] == "blas"}


# the verdict --------------------------------------------------------------------------------------

def test_a_steady_timing_on_a_quiet_machine_is_stable():
    verdict = judge(summarize([1.0, 1.05, 1.1, 1.0, 1.02]), 0.4, 0.6, 2)
    assert verdict.stable and verdict.reason == "" and verdict.short == "stable"


def test_a_wide_spread_is_unstable_and_says_so():
    samples = [1.0] * 5 + [3.0] * 5
    assert spread_ratio(summarize(samples)) > SPREAD_LIMIT
    verdict = judge(summarize(samples), 0.1, 0.1, 2)
    assert not verdict.stable and "spread" in verdict.reason and verdict.brief.startswith("spread 3×")
    assert verdict.short == f"UNSTABLE: {verdict.brief}"
    assert judge(summarize(samples), 0.1, 0.1, 2, spread_limit=5.0).stable  # the threshold is the rule


def test_load_above_the_cpus_before_or_after_is_busy():
    steady = summarize([2.0, 2.0, 2.1])
    for before, after in ((3.5, 0.5), (0.5, 2.5)):
        verdict = judge(steady, before, after, 2)
        assert not verdict.stable and "busy" in verdict.brief and "on 2 CPUs" in verdict.reason
    assert judge(steady, 2.0, 1.9, 2).stable  # a load equal to the CPUs is not above them
    assert judge(steady, None, None, 2).stable and not busy_load(None, 2) and not busy_load(9.0, None)


def test_one_run_has_no_spread_to_judge():
    assert judge(summarize([5.0]), 0.1, 0.1, 2).stable


# the stopping rule --------------------------------------------------------------------------------

def test_repeats_when_given_are_all_that_counts():
    assert not timing_done([1.0, 9.0], repeats=3) and timing_done([1.0, 9.0, 1.0], repeats=3)


def test_the_minimum_comes_first():
    assert not timing_done([1.0] * (MIN_REPEATS - 1), min_time_s=0.002, max_time_s=10)
    assert not timing_done([1.0] * MIN_REPEATS, min_time_s=0.1, max_time_s=10)  # 5 ms < 100 ms of work
    assert timing_done([1.0] * MIN_REPEATS, min_time_s=0.005, max_time_s=10)
    assert timing_done([300.0] * 3, min_time_s=0.2, max_time_s=10)  # one run alone fills the time: 3 suffice


def test_a_large_spread_keeps_timing_until_the_budget_is_spent():
    noisy = [1.0, 4.0] * 5  # 25 ms of work, p90/p10 about 4
    assert not timing_done(noisy, min_time_s=0.01, max_time_s=1.0)
    assert timing_done(noisy, min_time_s=0.01, max_time_s=0.02)  # budget spent: stop, unstable
    assert timing_done([1.0, 1.1] * 5, min_time_s=0.01, max_time_s=1.0)  # small spread: stop at the minimum
    assert timing_done([0.001, 1.0] * (MAX_REPEATS // 2), min_time_s=0.0, max_time_s=1e9)


class Wobbly(NumpyBackend):
    """A backend whose runs alternate between fast and very slow: a spread no repeat can shrink."""

    name = "wobbly"
    device = "CPU (alternating on purpose)"
    runs = 0

    def convolve(self, x, w, conv_plan, bias=None, algorithm=None):
        Wobbly.runs += 1
        time.sleep(0.02 if Wobbly.runs % 2 else 0.0005)
        return super().convolve(x, w, conv_plan, bias=bias, algorithm=algorithm)


class ThreadWitness(NumpyBackend):
    """Notes the BLAS thread counts in force inside every call it is timed with."""

    name = "witness"
    device = "CPU (notes its threads)"
    seen: list = []

    def convolve(self, x, w, conv_plan, bias=None, algorithm=None):
        ThreadWitness.seen.append(_blas_threads())
        return super().convolve(x, w, conv_plan, bias=bias, algorithm=algorithm)


@pytest.fixture
def test_backends(monkeypatch):
    monkeypatch.setitem(BACKEND_CLASSES, "wobbly", (__name__, "Wobbly"))
    monkeypatch.setitem(BACKEND_CLASSES, "witness", (__name__, "ThreadWitness"))
    get_backend.cache_clear()
    yield
    get_backend.cache_clear()


def test_a_spread_that_stays_large_is_timed_to_the_budget_and_marked(test_backends):
    began = time.perf_counter()
    records = profile(SMALL, backends=["wobbly"], min_time_s=0.02, max_time_s=0.3, **QUICK)
    assert time.perf_counter() - began >= 0.3  # it kept going past the minimum ...
    record = records[0]
    assert record.repeats > MIN_REPEATS and record.repeats * record.min_ms < 0.6 * 1e3  # ... to about the budget
    assert record.stable is False and "spread" in record.stability and not record.trusted
    assert record.load_before is not None and record.load_after is not None


def test_the_thread_count_is_applied_inside_the_timed_call_and_recorded(test_backends):
    outside = _blas_threads()
    for count in (1, 2):
        ThreadWitness.seen = []
        records = profile(SMALL, backends=["witness"], repeats=3, threads=count, **QUICK)
        assert ThreadWitness.seen and all(seen == {count} for seen in ThreadWitness.seen)
        assert {record.thread_count for record in records} == {count}
        assert {record.threads["blas_threads"] for record in records} == {count}
        assert _blas_threads() == outside  # put back afterwards


def test_the_peer_gets_its_own_count(test_backends, monkeypatch):
    torch = pytest.importorskip("torch", reason="PyTorch is not installed")

    class TorchWitness(peers.TorchCpuPeer):
        seen: list = []

        def convolve(self, x, w, conv_plan, bias=None, algorithm=None):
            TorchWitness.seen.append(torch.get_num_threads())
            return super().convolve(x, w, conv_plan, bias=bias, algorithm=algorithm)

    monkeypatch.setitem(peers.PEER_CLASSES, "torch-cpu", TorchWitness)
    monkeypatch.setattr(peers, "_peers", {})
    before = torch.get_num_threads()
    ThreadWitness.seen = []
    records = profile(SMALL, backends=["witness", "torch-cpu"], repeats=2, threads=1, peer_threads=2, **QUICK)
    assert set(TorchWitness.seen) == {2} and all(seen == {1} for seen in ThreadWitness.seen)
    assert {(record.backend, record.thread_count) for record in records} == {("witness", 1), ("torch-cpu", 2)}
    assert torch.get_num_threads() == before
    # the same count for both unless told otherwise
    TorchWitness.seen = []
    profile(SMALL, backends=["torch-cpu"], repeats=2, threads=1, **QUICK)
    assert set(TorchWitness.seen) == {1}


def test_threads_load_and_verdict_travel_in_json_and_csv():
    records = profile(SMALL, backends=["numpy"], repeats=3, threads=1, **QUICK)
    document = json.loads(records_to_json(records, {"cpu": "x"}))
    for saved in document["records"]:
        assert saved["thread_count"] == 1 and isinstance(saved["stable"], bool)
        assert isinstance(saved["load_before"], float) and isinstance(saved["load_after"], float)
        assert saved["stability"] == ("" if saved["stable"] else saved["stability"]) and "threads" in saved
    back = records_from_json(records_to_json(records))
    assert [(r.thread_count, r.stable, r.stability, r.load_before) for r in back] == \
        [(r.thread_count, r.stable, r.stability, r.load_before) for r in records]
    rows = list(csv.DictReader(io.StringIO(records_to_csv(records))))
    assert {"thread_count", "load_before", "load_after", "stable", "stability"} <= set(rows[0])
    assert [row["thread_count"] for row in rows] == ["1"] * len(records)
    assert {row["stable"] for row in rows} <= {"True", "False"}
    assert float(rows[0]["load_before"]) == records[0].load_before


def test_records_saved_before_verdicts_still_load_and_count():
    saved = json.loads(records_to_json(profile(SMALL, backends=["numpy"], repeats=2, **QUICK)))
    for record in saved["records"]:
        for name in ("thread_count", "load_before", "load_after", "stable", "stability"):
            record.pop(name)
    old = records_from_json(json.dumps(saved))
    assert all(record.stable is None and record.trusted and record.stability_text() == "" for record in old)
