"""The CUDA kernels of transposed convolution (a gather), pooling and groups (the direct kernel
with GROUPS): built by g++ under the CPU emulation and run with the backend's own launches (through
the stand-in CuPy, so the backend's whole path runs), against the float64 reference; and compiled
by NVRTC for the GPU architectures when it is installed."""

from __future__ import annotations

import re
import zlib

import numpy as np
import pytest
from helpers.cuda_emulation import compiler
from helpers.nvrtc_compile import compile_variant, nvrtc_module

import convviz
from convviz.backends import cupy_backend
from convviz.backends.cuda_kernels import algorithms_for, kernel_source, plan_launch
from convviz.backends.cupy_backend import CupyBackend
from convviz.core import ConvSpec, ConvSpecError, plan, reference_conv2d

SPECS = [
    ConvSpec((2, 4, 5, 6), 6, 3, stride=2, padding=1, output_padding=1, groups=2, operation="conv_transpose"),
    ConvSpec((1, 3, 4, 7), 2, (2, 3), stride=(3, 1), padding=(0, 2), dilation=(2, 1), output_padding=(1, 0),
             operation="conv_transpose"),
    ConvSpec((1, 2, 6, 5), 2, 1, padding=0, operation="conv_transpose"),
    ConvSpec((2, 3, 9, 8), kernel_size=3, stride=2, padding=1, dilation=(2, 1), ceil_mode=True, operation="max_pool"),
    ConvSpec((1, 2, 5, 5), kernel_size=2, stride=1, padding=1, dilation=3, operation="max_pool"),
    ConvSpec((2, 3, 7, 8), kernel_size=3, stride=2, padding=1, ceil_mode=True, operation="avg_pool"),
    ConvSpec((2, 3, 7, 8), kernel_size=(3, 2), stride=(2, 3), padding=(1, 1), ceil_mode=True, count_include_pad=False,
             operation="avg_pool"),
    ConvSpec((2, 6, 9, 8), 4, 3, stride=2, padding=1, groups=2),
    ConvSpec((1, 4, 9, 9), 8, 3, padding=(1, 2, 0, 1), groups=4, padding_mode="reflect"),
]
DTYPES = (np.float32, np.float64)
VARIANTS = list(dict.fromkeys(plan_launch(plan(spec), dtype, algorithms_for(plan(spec))[0]).variant
                              for spec in SPECS for dtype in DTYPES))
"""Built ahead in the background when collection ends (tests/conftest.py)."""


def test_every_operation_has_its_kernel():
    assert {algorithms_for(plan(spec))[0] for spec in SPECS} == {"transposed-gather", "pool-direct", "direct"}
    groups = plan(SPECS[-1])
    assert algorithms_for(groups) == ("direct",)
    with pytest.raises(ConvSpecError, match="runs conv with groups 4 with direct only"):
        plan_launch(groups, np.float32, "implicit-gemm")
    assert dict(plan_launch(groups, np.float32, "direct").variant.tile) == {"GROUPS": 4}
    avg = plan_launch(plan(SPECS[6]), np.float64, "pool-direct").variant
    assert dict(avg.tile) == {"POOL_MAX": 0, "COUNT_INCLUDE_PAD": 0}


@pytest.fixture(scope="module")
def fake_cupy(emulation_builds):
    from helpers.fake_cupy import FakeCupy

    return FakeCupy(emulation_builds)


@pytest.fixture
def emulated_backend(fake_cupy, monkeypatch):
    monkeypatch.setattr(cupy_backend, "_import_cupy", lambda: fake_cupy)
    backend = CupyBackend()
    backend._availability = convviz.backends.Availability(True)
    return backend


@pytest.mark.emulation
@pytest.mark.skipif(compiler() is None, reason="g++ not found (the emulation builds the kernels with it)")
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.describe())
def test_kernel_matches_reference(emulated_backend, spec, dtype):
    rng = np.random.default_rng(zlib.crc32(spec.describe().encode()))
    conv_plan = plan(spec)
    x = rng.uniform(-1, 1, spec.input_shape).astype(dtype)
    w = None if spec.weight_shape is None else rng.uniform(-1, 1, spec.weight_shape).astype(dtype)
    bias = None if w is None else rng.uniform(-1, 1, spec.out_channels).astype(dtype)
    y = emulated_backend.convolve(x, w, conv_plan, bias=bias)
    expected = reference_conv2d(x, w, conv_plan, bias)
    assert y.dtype == np.dtype(dtype) and y.shape == conv_plan.output_shape
    finite = np.isfinite(expected)
    np.testing.assert_array_equal(y[~finite], expected[~finite])
    tolerance = (1e-5 if dtype == np.float32 else 1e-12) * max(1.0, np.abs(expected[finite]).max())
    np.testing.assert_allclose(y[finite], expected[finite], rtol=0, atol=tolerance)
    assert np.abs(expected[finite]).max() > 0.1


NVRTC, MISSING_REASON = nvrtc_module()


@pytest.mark.skipif(NVRTC is None, reason=f"NVRTC unavailable: {MISSING_REASON}")
@pytest.mark.parametrize("variant", VARIANTS, ids=lambda variant: variant.describe())
def test_operation_kernels_compile_with_nvrtc(variant):
    build = compile_variant(NVRTC, kernel_source(variant.algorithm), ("-std=c++17", *variant.options()), "sm_90")
    assert f".entry {variant.function_name}" in build.ptx
    assert not re.search(r"[1-9]\d* bytes spill", build.log), build.log
