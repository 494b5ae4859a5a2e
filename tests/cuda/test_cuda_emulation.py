"""The CUDA kernels' semantics, on the CPU: the same .cu sources compiled by g++ under
tests/helpers/emulation/cuda_shim.h, launched with the backend's own grids, against the float64 reference.

Every algorithm meets every padding mode, strides, dilations, rectangular kernels, every padding
form, both dtypes, both weight placements of the tiled kernel, both GEMM tiles, and outputs that
are not multiples of the tile. Outputs start as NaN so an element no thread wrote fails.
"""

from __future__ import annotations

import dataclasses
import zlib

import numpy as np
import pytest
from helpers.cuda_emulation import EmulatedKernel, compiler

from convviz.backends.cuda_kernels import ALGORITHMS, PAD_MODE_CODES, plan_launch
from convviz.core import ConvSpec, plan, reference_conv2d

pytestmark = [
    pytest.mark.emulation,
    pytest.mark.skipif(compiler() is None, reason="g++ not found (the emulation builds the kernels with it)"),
]

GEOMETRIES = {
    "k3x3": ((3, 3), (1, 1), (1, 1)),
    "k3x2-s2,1-d1,2": ((3, 2), (2, 1), (1, 2)),
    "k1x1-s2": ((1, 1), (2, 2), (1, 1)),
    "k2x4-s1,3-d2,1": ((2, 4), (1, 3), (2, 1)),
}
PADDINGS = ("same", "full", 1, (2, 1), (1, 0, 2, 1), "valid")
SHAPES = (
    # (batch, channels, height, width, out channels): a small odd one, then one wider than a tile
    (2, 3, 7, 9, 2),
    (1, 2, 13, 37, 3),
)


def _cases():
    """(id, algorithm, dtype, mode, geometry, plan_launch options)."""
    cases = []
    for algorithm in ALGORITHMS:
        for index, (geometry_name, geometry) in enumerate(GEOMETRIES.items()):
            modes = list(PAD_MODE_CODES) if index < 2 else ["zeros", list(PAD_MODE_CODES)[index]]
            for mode in modes:
                cases.append((f"{algorithm}-{mode}-{geometry_name}", algorithm, "float32", mode, geometry, {}))
        cases.append((f"{algorithm}-float64-reflect", algorithm, "float64", "reflect", GEOMETRIES["k3x3"], {}))
    cases.append(("tiled-shared-weights", "tiled", "float32", "circular", GEOMETRIES["k3x2-s2,1-d1,2"],
                  {"constant_limit": 0}))
    cases.append(("tiled-shared-weights-float64", "tiled", "float64", "zeros", GEOMETRIES["k3x3"],
                  {"constant_limit": 0}))
    cases.append(("direct-64-bit-index", "direct", "float32", "reflect", GEOMETRIES["k3x2-s2,1-d1,2"],
                  {"extra_defines": (("NARROW_INDEX_LIMIT", 0),)}))
    cases.append(("implicit-gemm-128x128", "implicit-gemm", "float32", "replicate", GEOMETRIES["k2x4-s1,3-d2,1"],
                  {"gemm_tile": "128x128"}))
    # K split in shares that do not divide the slices evenly (tiny K: some shares are empty)
    cases.append(("implicit-gemm-split-k-3", "implicit-gemm", "float32", "reflect", GEOMETRIES["k3x3"],
                  {"split_k": 3}))
    cases.append(("implicit-gemm-split-k-4-float64", "implicit-gemm", "float64", "circular",
                  GEOMETRIES["k2x4-s1,3-d2,1"], {"split_k": 4}))
    cases.append(("implicit-gemm-128x128-split-k-2", "implicit-gemm", "float32", "zeros", GEOMETRIES["k3x3"],
                  {"gemm_tile": "128x128", "split_k": 2}))
    # a thread's several output rows (the small shapes above get one row per thread)
    cases.append(("tiled-4-rows-per-thread", "tiled", "float32", "zeros", GEOMETRIES["k3x3"],
                  {"tiled_block": (32, 8, 4)}))
    cases.append(("tiled-2-rows-per-thread-strided", "tiled", "float32", "reflect", GEOMETRIES["k3x2-s2,1-d1,2"],
                  {"tiled_block": (32, 8, 2)}))
    cases.append(("tiled-4-rows-per-thread-shared-weights-float64", "tiled", "float64", "circular",
                  GEOMETRIES["k2x4-s1,3-d2,1"], {"tiled_block": (32, 8, 4), "constant_limit": 0}))
    return cases


CASES = _cases()
CASES_OPTIONS = [case[5] for case in CASES]


def _specs(case_index: int, algorithm: str, geometry, mode: str):
    kernel, stride, dilation = geometry
    shapes = list(SHAPES)
    if algorithm == "implicit-gemm" and case_index % 2 == 0:
        shapes.append((1, 2, 9, 9, 70))  # more output channels than a GEMM tile is tall
    if CASES_OPTIONS[case_index].get("tiled_block"):
        shapes.append((1, 2, 70, 40, 1))  # taller and wider than one 32×32 tile
    if CASES_OPTIONS[case_index].get("split_k"):
        shapes.append((1, 9, 10, 11, 5))  # deep enough a K that every share has slices
    for shape_index, (n, c, h, w, k) in enumerate(shapes):
        padding = PADDINGS[(case_index + shape_index) % len(PADDINGS)]
        yield ConvSpec((n, c, h, w), k, kernel, stride=stride, padding=padding, dilation=dilation, padding_mode=mode)


def _launches():
    """Every (case id, spec, launch) the tests run."""
    runs = []
    for case_index, (case_id, algorithm, dtype, mode, geometry, options) in enumerate(CASES):
        options = dict(options)
        extra_defines = options.pop("extra_defines", ())
        for spec in _specs(case_index, algorithm, geometry, mode):
            launch = plan_launch(plan(spec), dtype, algorithm, **options)
            if extra_defines:
                variant = dataclasses.replace(launch.variant, tile=launch.variant.tile + extra_defines)
                launch = dataclasses.replace(launch, variant=variant, grid=(1, 1, 1))  # and grid-stride loops
            runs.append((case_id, spec, launch))
    return runs


RUNS = _launches()
VARIANTS = list(dict.fromkeys(launch.variant for _, _, launch in RUNS))
"""Each distinct variant the runs need (tests/conftest.py starts building them when collection ends)."""


@pytest.fixture(scope="module")
def kernels(emulation_builds):
    """Each distinct variant built once, on every core (the session's builds: the background
    thread and the stand-in CuPy may have built some of them already)."""
    libraries = emulation_builds.variants(VARIANTS)
    return {variant: EmulatedKernel(library, variant) for variant, library in zip(VARIANTS, libraries)}


def _random(rng, shape, dtype):
    return rng.uniform(-1.0, 1.0, size=shape).astype(dtype)


@pytest.mark.parametrize("case_id", [case[0] for case in CASES])
def test_kernel_matches_reference(kernels, case_id):
    rng = np.random.default_rng(zlib.crc32(case_id.encode()))
    ran = 0
    for run_id, spec, launch in RUNS:
        if run_id != case_id:
            continue
        conv_plan = plan(spec)
        dtype = np.dtype(launch.variant.dtype)
        x = _random(rng, spec.input_shape, dtype)
        w = _random(rng, spec.weight_shape, dtype)
        bias = _random(rng, (spec.out_channels,), dtype) if ran % 2 == 0 else None
        y = kernels[launch.variant].run(launch, conv_plan, x, w, bias)
        expected = reference_conv2d(x, w, conv_plan, bias)
        assert np.isfinite(y).all(), f"{spec.describe()}: some outputs were never written"
        tolerance = (1e-5 if dtype == np.float32 else 1e-12) * max(1.0, np.abs(expected).max())
        error = np.abs(y - expected).max()
        assert error <= tolerance, f"{spec.describe()} with {launch.variant.describe()}: max error {error:.3g}"
        ran += 1
    assert ran >= 2


def test_cases_reach_every_tile_shape_and_partial_tiles():
    tiles = {launch.variant.tile for _, _, launch in RUNS if launch.variant.algorithm == "tiled"}
    assert {dict(tile)["WEIGHTS_IN_CONSTANT"] for tile in tiles} == {0, 1}
    assert len({dict(tile)["BLOCK_Y"] * dict(tile)["ROWS_PER_THREAD"] for tile in tiles}) >= 2
    assert {dict(tile)["ROWS_PER_THREAD"] for tile in tiles} >= {1, 2, 4}
    partial = [
        spec for _, spec, launch in RUNS
        if launch.variant.algorithm == "tiled" and plan(spec).output_size[1] % dict(launch.variant.tile)["BLOCK_X"]
    ]
    assert partial
    gemm_grids = [launch.grid for _, _, launch in RUNS if launch.variant.algorithm == "implicit-gemm"]
    assert any(grid[0] > 1 for grid in gemm_grids) and any(grid[1] > 1 for grid in gemm_grids)
    assert {grid[2] for grid in gemm_grids} >= {1, 2, 3, 4}


def test_cases_reach_every_algorithm_mode_dtype_and_special_path():
    """What the cases must keep covering if they are ever trimmed."""
    variants = [launch.variant for _, _, launch in RUNS]
    assert {(variant.algorithm, variant.padding_mode) for variant in variants} == {
        (algorithm, mode) for algorithm in ALGORITHMS for mode in PAD_MODE_CODES}
    assert {(variant.algorithm, variant.dtype) for variant in variants} == {
        (algorithm, dtype) for algorithm in ALGORITHMS for dtype in ("float32", "float64")}
    gemm = [variant for variant in variants if variant.algorithm == "implicit-gemm"]
    assert {dict(variant.tile)["BM"] for variant in gemm} == {64, 128}
    assert {dict(variant.tile)["BM"] for variant in gemm if variant.split_k > 1} == {64, 128}
    assert {(variant.dtype, variant.weights_in_constant) for variant in variants if variant.algorithm == "tiled"} == {
        (dtype, placement) for dtype in ("float32", "float64") for placement in (True, False)}
    assert any(dict(variant.tile).get("NARROW_INDEX_LIMIT") == 0 for variant in variants if variant.algorithm == "direct")
