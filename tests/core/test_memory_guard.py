"""The memory guard refuses work that cannot fit, with the estimate and the limit."""

import numpy as np
import pytest

from convviz import ConvSpec, ConvSpecError, convolve, plan
from convviz.core import reference_conv2d
from convviz.core.memory import MemoryLimitError, array_estimate, check_fits, format_bytes, parse_bytes


def test_parse_and_format_bytes():
    assert parse_bytes("512M") == 512 * 2**20
    assert parse_bytes("2G") == 2 * 2**30
    assert parse_bytes("1.5 GiB") == int(1.5 * 2**30)
    assert parse_bytes("100") == 100
    assert format_bytes(3 * 2**20) == "3.0 MiB"
    with pytest.raises(ConvSpecError, match="memory limit must look like"):
        parse_bytes("lots")


def test_estimate_counts_every_array():
    spec = ConvSpec((2, 3, 10, 12), 4, 3, padding=1)
    estimate = array_estimate(plan(spec), np.float32)
    assert estimate.parts["input"] == 2 * 3 * 10 * 12 * 4
    assert estimate.parts["weights"] == 4 * 3 * 3 * 3 * 4
    assert estimate.parts["output"] == 2 * 4 * 10 * 12 * 4
    assert estimate.parts["padded input"] == 2 * 3 * 12 * 14 * 4
    assert estimate.total == sum(estimate.parts.values())


def test_over_the_limit_is_refused_with_estimate_and_limit(monkeypatch):
    spec = ConvSpec((1, 4, 256, 256), 8, 3, padding="same")
    rng = np.random.default_rng(5)
    x = rng.standard_normal(spec.input_shape).astype(np.float32)
    w = rng.standard_normal(spec.weight_shape).astype(np.float32)
    monkeypatch.setenv("CONVVIZ_MEMORY_LIMIT", "1M")
    with pytest.raises(MemoryLimitError) as caught:
        convolve(x, w, spec)
    message = str(caught.value)
    assert "more than the limit of 1.0 MiB" in message
    assert "input 1.0 MiB" in message and "output 2.0 MiB" in message
    assert isinstance(caught.value, ConvSpecError)
    monkeypatch.delenv("CONVVIZ_MEMORY_LIMIT")
    small = spec.replace(input_shape=(1, 4, 9, 9))
    xs, ws = x[:, :, :9, :9].copy(), w
    np.testing.assert_allclose(convolve(xs, ws, small), reference_conv2d(xs, ws, plan(small)), rtol=1e-5, atol=1e-4)


def test_check_fits_accepts_what_fits():
    estimate = array_estimate(plan(ConvSpec((1, 1, 8, 8), 1, 3)), np.float64)
    check_fits(estimate, limit=10**6)
    with pytest.raises(MemoryLimitError, match="this convolution needs about"):
        check_fits(estimate, limit=10)
