"""Backends declare where they compute, their family, what they support and what the profiler times by
default; the profiler asks them (never their names or device strings), and its records say what they
ran on."""

import csv
import io
import json

import numpy as np
import pytest

from convviz.backends import convolve, get_backend
from convviz.backends.base import CONVVIZ, PEER, Availability, Backend
from convviz.core import ConvSpec, plan
from convviz.profiling import Measurement, profile, records_from_json, records_to_csv, records_to_json
from convviz.profiling import peers as peers_module
from convviz.profiling.peers import get_peer

FAST = dict(repeats=2, min_time_s=0.0, roofline_peaks=False, settle_s=0.0)
SMALL = ConvSpec(input_shape=(1, 2, 7, 6), out_channels=3, kernel_size=3, padding=1)


def test_each_backend_and_peer_declares_where_it_computes_and_its_family():
    declared = {name: (backend.host, backend.family) for name, backend in
                [(name, get_backend(name)) for name in ("numpy", "cupy")]
                + [(name, get_peer(name)) for name in peers_module.PEER_CLASSES]}
    assert declared == {
        "numpy": (True, CONVVIZ), "cupy": (False, CONVVIZ),
        "torch-cpu": (True, PEER), "torch-cuda": (False, PEER),
        "scipy-ndimage": (True, PEER), "scipy-signal": (True, PEER),
    }


def test_default_algorithms_are_the_choice_except_torch_cudas_two_modes():
    conv_plan = plan(SMALL)
    numpy_backend = get_backend("numpy")
    assert numpy_backend.default_algorithms(conv_plan, np.float32) == (numpy_backend.choose_algorithm(conv_plan, np.float32),)
    assert get_peer("torch-cuda").default_algorithms(conv_plan, np.float32) == ("cudnn-fp32", "cudnn-tf32")
    assert get_peer("scipy-signal").default_algorithms(conv_plan, np.float32) == ("signal.correlate2d",)


def test_supports_defaults_to_yes_and_scipy_says_why_not():
    conv_plan = plan(SMALL)
    assert Backend().supports(conv_plan) is None and get_backend("numpy").supports(conv_plan) is None
    assert "one input and one output channel" in get_peer("scipy-signal").supports(conv_plan)


class _FakeDevice(Backend):
    """Computes on the host with NumPy, but declares a device: its device string even says CPU."""

    name = "fake-device"
    device = "CPU pretending to be a device"
    host = False
    family = PEER
    algorithms = ("first", "second")

    def available(self) -> Availability:
        return Availability(True)

    def choose_algorithm(self, conv_plan, dtype) -> str:
        return "first"

    def default_algorithms(self, conv_plan, dtype):
        return self.algorithms

    def convolve(self, x, w, conv_plan, bias=None, algorithm=None):
        self.check_algorithm(algorithm)
        return convolve(x, w, conv_plan)


class _Refuses(_FakeDevice):
    name = "fake-refuses"

    def supports(self, conv_plan):
        return "refuses every spec, for a test"


@pytest.fixture
def fake_peers(monkeypatch):
    monkeypatch.setitem(peers_module.PEER_CLASSES, "fake-device", _FakeDevice)
    monkeypatch.setitem(peers_module.PEER_CLASSES, "fake-refuses", _Refuses)
    monkeypatch.setattr(peers_module, "_peers", {})


def test_the_profiler_asks_the_backend_not_its_name_or_device(fake_peers):
    skipped = []
    records = profile(SMALL, backends=["numpy", "fake-device", "fake-refuses"], skipped=skipped, **FAST)
    fake = sorted((r.algorithm, r.kind) for r in records if r.backend == "fake-device")
    assert fake == [("copy", "copy-in"), ("copy", "copy-out"), ("first", "end-to-end"), ("first", "kernel"),
                    ("second", "end-to-end"), ("second", "kernel")]
    assert all(r.host is False and r.family == PEER and not r.note for r in records if r.backend == "fake-device")
    assert all(r.host is True and r.family == CONVVIZ for r in records if r.backend == "numpy")
    assert [(item.backend, item.reason) for item in skipped] == [("fake-refuses", "refuses every spec, for a test")]


def test_records_carry_what_they_ran_on_through_json_and_csv():
    records = profile(SMALL, backends=["numpy"], **FAST)
    assert {(r.host, r.family) for r in records} == {(True, CONVVIZ)}
    again = records_from_json(records_to_json(records))
    assert again == records and again[0].host is True and again[0].family == CONVVIZ
    rows = list(csv.DictReader(io.StringIO(records_to_csv(records))))
    assert (rows[0]["host"], rows[0]["family"]) == ("True", CONVVIZ)


def test_older_json_without_host_or_family_still_loads():
    record = profile(SMALL, backends=["numpy"], **FAST)[0]
    values = record.to_dict()
    del values["host"], values["family"]
    loaded = records_from_json(json.dumps({"machine": None, "records": [values]}))[0]
    assert isinstance(loaded, Measurement) and loaded.host is None and loaded.family is None
    assert loaded.median_ms == record.median_ms
    row = next(csv.DictReader(io.StringIO(records_to_csv([loaded]))))
    assert (row["host"], row["family"]) == ("", "")
