"""Peers (PyTorch CPU, SciPy) agree with the float64 reference; skipped when not installed."""

import numpy as np
import pytest

from convviz.core import ConvSpec, plan, reference_conv2d
from convviz.profiling import profile
from convviz.profiling.peers import get_peer

PEER_SPECS = [
    ConvSpec(input_shape=(2, 3, 9, 8), out_channels=4, kernel_size=3, padding=1),
    ConvSpec(input_shape=(1, 2, 10, 7), out_channels=3, kernel_size=(3, 2), stride=(2, 1), padding=(1, 2, 0, 1)),
    ConvSpec(input_shape=(1, 2, 9, 9), out_channels=2, kernel_size=3, dilation=2, padding="same",
             padding_mode="reflect"),
    ConvSpec(input_shape=(1, 1, 8, 9), out_channels=1, kernel_size=3, padding=2, padding_mode="circular"),
    ConvSpec(input_shape=(1, 1, 8, 9), out_channels=1, kernel_size=(2, 4), padding="full",
             padding_mode="replicate"),
]
SINGLE = [spec for spec in PEER_SPECS if spec.in_channels == 1 and spec.out_channels == 1]


def _run(peer, spec, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(spec.input_shape).astype(dtype)
    w = rng.standard_normal(spec.weight_shape).astype(dtype)
    y = peer.to_host(peer.convolve(peer.to_device(x), peer.to_device(w), plan(spec)))
    return y, reference_conv2d(x, w, plan(spec))


@pytest.mark.parametrize("spec", PEER_SPECS, ids=lambda spec: spec.describe())
def test_torch_cpu_matches_reference(spec):
    pytest.importorskip("torch")
    y, expected = _run(get_peer("torch-cpu"), spec)
    np.testing.assert_allclose(y, expected, atol=1e-10)


@pytest.mark.parametrize("name", ["scipy-ndimage", "scipy-signal"])
@pytest.mark.parametrize("spec", SINGLE + [SINGLE[0].replace(stride=[2, 3]), SINGLE[0].replace(input_shape=[3, 1, 8, 9])],
                         ids=lambda spec: spec.describe() if hasattr(spec, "describe") else spec)
def test_scipy_matches_reference(name, spec):
    pytest.importorskip("scipy")
    y, expected = _run(get_peer(name), spec)
    np.testing.assert_allclose(y, expected, atol=1e-10)


def test_scipy_says_what_it_cannot_do():
    peer = get_peer("scipy-ndimage")
    assert "one input and one output channel" in peer.supports(plan(PEER_SPECS[0]))
    assert "dilation" in peer.supports(plan(SINGLE[0].replace(dilation=2)))


def test_profile_with_peers_checks_them():
    pytest.importorskip("torch")
    pytest.importorskip("scipy")
    spec = SINGLE[0]
    records = profile(spec, backends=["numpy", "torch", "scipy"], repeats=1, min_time_s=0, roofline_peaks=False,
                      settle_s=0)
    backends = {record.backend for record in records}
    assert {"numpy", "torch-cpu", "scipy-ndimage", "scipy-signal"} <= backends
    assert all(record.correct for record in records)


def test_torch_cuda_says_why_not():
    pytest.importorskip("torch")
    import torch

    status = get_peer("torch-cuda").available()
    assert bool(status) == torch.cuda.is_available()
    if not status:
        assert "CUDA" in status.reason
