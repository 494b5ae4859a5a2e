"""The memory estimate is the truth: it bounds the peak RSS a profiling run really reaches.

Cases run in a fresh subprocess (tests/helpers/memory_probe.py), each with the kernel's RSS
high-water mark reset first, so nothing else's allocations count. Every NumPy strategy is
tried, over random specs, padding modes and both dtypes; a strategy whose declared scratch
(`declares_scratch`) misses an allocation fails here."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from helpers import ROOT, memory_probe

from convviz import ConvSpec, plan
from convviz.backends import get_backend
from convviz.backends.numpy_backend import NumpyBackend
from convviz.core import reference_conv2d
from convviz.profiling.memory import run_estimate
from convviz.profiling.peers import get_peer

MARGIN = 16 * 2**20
"""Allowed above the estimate: the allocator's slack and Python objects the estimate leaves out."""


def _can_reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as clear:
            clear.write("5")
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _can_reset_peak(), reason="needs Linux /proc/self/clear_refs to reset the peak RSS")
def test_estimate_bounds_the_measured_peak_rss():
    count = len(memory_probe.algorithms()) + 2
    result = subprocess.run([sys.executable, str(ROOT / "tests" / "helpers" / "memory_probe.py"), "7", str(count)],
                            cwd=ROOT, capture_output=True, text=True, timeout=300,
                            env={**os.environ, "PYTHONPATH": str(ROOT), "CONVVIZ_MEMORY_LIMIT": "4G"})
    assert result.returncode == 0, result.stderr
    cases = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(cases) == count
    assert {case["algorithm"] for case in cases} == set(memory_probe.algorithms())
    for case in cases:
        print(f"{case['algorithm']:<15} {case['dtype']} {case['spec']:<48} estimate "
              f"{case['estimate'] / 2**20:6.1f} MiB, measured {case['measured'] / 2**20:6.1f} MiB")
        assert case["measured"] <= case["estimate"] + MARGIN, case


@pytest.mark.skipif(not _can_reset_peak(), reason="needs Linux /proc/self/clear_refs to reset the peak RSS")
def test_peer_estimates_bound_the_measured_peak_rss():
    """PyTorch's and SciPy's own scratch (oneDNN layouts, ATen's im2col columns, SciPy's whole
    correlation) is declared beside each peer, so a timing run with peers is guarded as well."""
    names = [name for name in memory_probe.PEER_KINDS if get_peer(name).available().ok]
    if not names:
        pytest.skip("neither PyTorch nor SciPy is installed")
    result = subprocess.run([sys.executable, str(ROOT / "tests" / "helpers" / "memory_probe.py"), "peers", "11",
                             ",".join(names)], cwd=ROOT, capture_output=True, text=True, timeout=300,
                            env={**os.environ, "PYTHONPATH": str(ROOT), "CONVVIZ_MEMORY_LIMIT": "4G"})
    assert result.returncode == 0, result.stderr
    cases = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(cases) == sum(len(memory_probe.PEER_KINDS[name]) for name in names)
    for case in cases:
        print(f"{case['algorithm']:<28} {case['dtype']} {case['spec']:<52} estimate "
              f"{case['estimate'] / 2**20:6.1f} MiB, measured {case['measured'] / 2**20:6.1f} MiB")
        assert case["measured"] <= case["estimate"] + MARGIN, case


def test_one_row_too_wide_for_the_budget_is_split_into_columns():
    """A single output row whose im2col matrix is over the scratch budget is done in pieces."""
    spec = ConvSpec((1, 2, 3, 300), 3, (2, 9), padding=(1, 4), dilation=(1, 2), stride=(1, 2),
                    padding_mode="reflect")
    conv_plan = plan(spec)
    backend = NumpyBackend(scratch_budget=2 * 2 * 9 * 8 * 7)
    assert backend.chunk_shape(conv_plan, 8) == (1, 7)
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal(spec.input_shape), rng.standard_normal(spec.weight_shape)
    result = backend.convolve(x, w, conv_plan, algorithm="im2col-chunked")
    np.testing.assert_allclose(result, reference_conv2d(x, w, conv_plan), atol=1e-12)
    scratch = backend.scratch_parts(conv_plan, np.float64, "im2col-chunked")
    assert scratch["im2col matrix"] == 2 * 2 * 9 * 8 * 7


def test_the_issue_cases_fit_or_are_refused_before_allocating():
    """The profiler counts its own float64 draw and the reference, not only the convolution."""
    big = ConvSpec((4096, 4096, 10, 10), 4096, 3)
    estimate = run_estimate(big, "float32", [(get_backend("numpy"), "im2col-chunked")])
    assert estimate.parts["input"] == 4096 * 4096 * 100 * 4
    assert estimate.total > 4096 * 4096 * 100 * (4 + 8)
    row = ConvSpec((1, 1, 1, 262144), 1, (1, 1024))
    reference = run_estimate(row, "float32", [])
    assert reference.total < 600 * 2**20  # the float64 oracle works in blocks, not one 2 GiB row


@pytest.mark.skipif(not _can_reset_peak(), reason="needs Linux /proc for the peak RSS")
def test_a_refused_bench_allocates_nothing_big():
    # VmHWM, not ru_maxrss: the latter keeps the forking parent's size across exec
    code = ("from convviz.cli import main\n"
            "status = main(['bench', '--input', '16000', '--backends', 'numpy', '--quiet'])\n"
            "peak = [line for line in open('/proc/self/status') if line.startswith('VmHWM:')][0].split()[1]\n"
            "print(status, peak)\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PYTHONPATH": str(ROOT), "CONVVIZ_MEMORY_LIMIT": "1G"})
    status, peak_kib = result.stdout.split()
    assert status == "2"
    assert int(peak_kib) < 300 * 1024
    assert "more than the limit of 1.0 GiB" in result.stderr and len(result.stderr.strip().splitlines()) == 1
