"""Shipped kernel variants compile with NVRTC for sm_80 and sm_90, without spilling.

Needs only the pip packages cuda-bindings and nvidia-cuda-nvrtc-cu12 (the `test` extra), no GPU.
The default run builds every family, dtype and padding mode, chosen as tests/helpers/
compile_selection.py explains (133 builds today); `-m slow` builds every shipped variant for both
architectures (246). Run with -s to see ptxas's registers and shared memory per family.

The default builds start in a background process when collection ends, and this module runs
last (tests/conftest.py), so most of them are done when the tests here ask for them.
"""

import dataclasses
import os
import re
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

import pytest
from helpers.ahead import AHEAD
from helpers.compile_selection import (
    ARCHITECTURES,
    GEMM_GEOMETRIES,
    PRIMARY,
    all_jobs,
    build_alone,
    build_unit,
    default_jobs,
    family,
    geometry,
    near_register_cap,
    primary_variants,
    register_cap,
    smoke_variants,
)
from helpers.nvrtc_compile import compile_ptx, nvrtc_module

from convviz.backends.cuda_kernels import (
    ALGORITHMS,
    GEMM_TILES,
    PAD_MODE_CODES,
    STATIC_SHARED_BYTES,
    KernelVariant,
    kernel_source,
    shipped_variants,
)

NVRTC, MISSING_REASON = nvrtc_module()

needs_nvrtc = pytest.mark.skipif(NVRTC is None, reason=f"NVRTC unavailable: {MISSING_REASON}")


@dataclasses.dataclass
class Builds:
    results: dict
    """{(variant, arch): Resources or CompileError}"""
    ptx: dict
    """{variant: the PTX of its PRIMARY build}"""


def build_all(jobs, unit=build_alone, ahead=None) -> Builds:
    """unit(job) for every job, on every core (NVRTC releases the GIL, so threads run in
    parallel); `ahead` holds futures of jobs a background process has already started."""
    builds = Builds({}, {})
    ahead = dict(ahead or {})
    # the slowest builds (implicit GEMM) first, so no core idles at the end
    jobs = sorted(dict.fromkeys(jobs), key=lambda job: job[0].algorithm != "implicit-gemm")
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        pending = {ahead[job] if job in ahead else pool.submit(unit, job): job for job in jobs}
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                job = pending.pop(future)
                try:
                    finished = future.result()
                except Exception:
                    if job not in ahead:
                        raise
                    del ahead[job]  # the background process failed: build it here
                    pending[pool.submit(unit, job)] = job
                    continue
                for (variant, arch), result, ptx in finished:
                    builds.results[variant, arch] = result
                    if ptx is not None and arch == PRIMARY:
                        builds.ptx[variant] = ptx
    return builds


@pytest.fixture(scope="module")
def builds():
    """The default selection, and sm_80 builds of what sm_90 finds near its register cap (part of
    it possibly built in the background since collection: see tests/conftest.py)."""
    jobs = default_jobs()
    return build_all(jobs, build_unit, ahead=AHEAD.take(jobs))


@pytest.fixture(scope="module")
def compiled(builds):
    """{(variant, arch): Resources or CompileError}"""
    return builds.results


def _failures(results) -> list[str]:
    return [f"{arch} {variant.describe()}: {result}" for (variant, arch), result in results.items()
            if isinstance(result, Exception)]


def _spills(results) -> list[str]:
    return [
        f"{arch} {variant.describe()}: {result.spill_stores} B stores, {result.spill_loads} B loads"
        for (variant, arch), result in results.items()
        if not isinstance(result, Exception) and (result.spill_stores or result.spill_loads)
    ]


def _over_the_hardware(results) -> list[str]:
    problems = []
    for (variant, arch), result in results.items():
        if isinstance(result, Exception):
            continue
        for what, used, limit in (("registers", result.registers, 255),
                                  ("shared bytes", result.shared_bytes, STATIC_SHARED_BYTES),
                                  ("constant bytes", result.constant_bytes, 64 * 1024)):
            if used > limit:
                problems.append(f"{arch} {variant.describe()}: {used} {what} > {limit}")
    return problems


@needs_nvrtc
def test_every_variant_compiles(compiled):
    failures = _failures(compiled)
    assert not failures, "\n".join(failures)


@needs_nvrtc
def test_no_variant_spills(compiled):
    spilling = _spills(compiled)
    assert not spilling, "\n".join(spilling)


@needs_nvrtc
def test_resources_fit_the_hardware(compiled):
    problems = _over_the_hardware(compiled)
    assert not problems, "\n".join(problems)


@needs_nvrtc
def test_variants_near_their_register_cap_are_built_for_every_architecture(compiled):
    near = [variant for (variant, arch), result in compiled.items()
            if arch == PRIMARY and not isinstance(result, Exception) and near_register_cap(variant, result.registers)]
    assert all((variant, arch) in compiled for variant in near for arch in ARCHITECTURES)


def _ptx(builds, variant: KernelVariant) -> str:
    """The PTX of `variant`'s PRIMARY build (the same text compile_ptx makes), else a fresh one."""
    if variant in builds.ptx:
        return builds.ptx[variant]
    return compile_ptx(NVRTC, kernel_source(variant.algorithm), variant.options())


@needs_nvrtc
@pytest.mark.parametrize(("tile", "dtype", "vector"), [("64x64", "float32", "v4.f32"), ("64x64", "float64", "v2.f64"),
                                                      ("128x128", "float32", "v4.f32")])
def test_implicit_gemm_reads_shared_memory_128_bits_at_a_time(builds, tile, dtype, vector):
    """Scalar shared-memory reads would cap the 64×64 tile at two FMAs per read, half of what
    keeps an SM's FMA units busy; the runs-of-four layout must reach NVVM as vector loads."""
    shape = GEMM_TILES[tile]
    variant = KernelVariant("implicit-gemm", dtype, "zeros", (3, 3), (1, 1), (1, 1), tuple(shape.items()))
    ptx = _ptx(builds, variant)
    loads = re.findall(r"ld\.shared((?:\.\w+)+)", ptx)
    lanes = 4 if vector.startswith("v4") else 2
    assert loads.count("." + vector) == shape["BK"] * (shape["TM"] + shape["TN"]) // lanes, loads
    assert all(load == "." + vector for load in loads), loads


TILED_STRIDE_ONE = [variant for variant in shipped_variants()
                    if variant.algorithm == "tiled" and variant.stride == (1, 1) and variant.dilation == (1, 1)]


@needs_nvrtc
@pytest.mark.parametrize("variant", TILED_STRIDE_ONE, ids=KernelVariant.describe)
def test_tiled_reads_each_shared_input_row_once_per_tap_column(builds, variant):
    """Shared-memory reads bound the tiled kernel: a thread's adjacent output rows share input
    rows, and each shared row must be read once, not once per (output row, tap row) pair."""
    (kh, kw), tile = variant.kernel_size, dict(variant.tile)
    rows = tile["ROWS_PER_THREAD"]
    ptx = _ptx(builds, variant)
    loads = len(re.findall(r"ld\.shared\.f(?:32|64)", ptx))
    weights = 0 if tile["WEIGHTS_IN_CONSTANT"] else kh * kw
    assert loads == kw * (rows + kh - 1) + weights


def _table(results) -> dict:
    """{(family, arch): ((fewest, most registers), (least, most shared bytes), variants)}"""
    rows = {}
    for (variant, arch), result in results.items():
        if isinstance(result, Exception):
            continue
        key = (family(variant), arch)
        registers, shared, count = rows.get(key, ((999, 0), (10**9, 0), 0))
        rows[key] = (
            (min(registers[0], result.registers), max(registers[1], result.registers)),
            (min(shared[0], result.shared_bytes), max(shared[1], result.shared_bytes)),
            count + 1,
        )
    return rows


def _print_table(results, rows) -> None:
    """ptxas's figures per family (shown with -s)."""
    print(f"\nNVRTC {'.'.join(map(str, NVRTC.nvrtcVersion()[1:]))}: {len(results)} variant builds")
    for ((algorithm, dtype, shape), arch), (registers, shared, count) in sorted(rows.items(), key=str):
        print(
            f"  {algorithm:13} {dtype:7} {shape:19} {arch}: {count:3} variants, "
            f"registers {registers[0]}-{registers[1]}, shared {shared[0]}-{shared[1]} B"
        )


def _check_table(results) -> None:
    rows = _table(results)
    _print_table(results, rows)
    families = {family(variant) for variant in shipped_variants()}
    assert set(rows) == {(name, arch) for name in families for arch in ARCHITECTURES}
    for ((algorithm, _, _), arch), (registers, shared, _) in rows.items():
        # a report ptxas wrote and the parser read: some registers, shared memory where the kernel has some
        assert 0 < registers[0] <= registers[1] <= 255, (algorithm, arch, registers)
        if algorithm == "direct":
            assert shared == (0, 0), (algorithm, arch, shared)
        else:
            assert 0 < shared[0] <= shared[1] <= STATIC_SHARED_BYTES, (algorithm, arch, shared)
    for (variant, _), result in results.items():
        if not isinstance(result, Exception):
            assert result.registers <= register_cap(variant), variant.describe()


@needs_nvrtc
def test_every_family_is_built_for_every_architecture_with_sane_figures(compiled):
    _check_table(compiled)


@needs_nvrtc
@pytest.mark.slow
def test_every_shipped_variant_for_every_architecture(builds):
    """The whole matrix: every shipped variant for sm_80 and sm_90 (the default run's builds reused)."""
    results = dict(builds.results)
    results.update(build_all([job for job in all_jobs() if job not in results]).results)
    assert set(results) == set(all_jobs())
    problems = _failures(results) + _spills(results) + _over_the_hardware(results)
    assert not problems, "\n".join(problems)
    _check_table(results)


def test_default_selection_covers_every_family_dtype_and_mode():
    """A trim of the default builds must not drop a family, dtype or padding mode (this runs
    without NVRTC: it checks the selection, not the builds)."""
    shipped = shipped_variants()
    families = {family(variant) for variant in shipped}
    assert families >= {
        ("direct", "float32", ""), ("direct", "float64", ""),
        ("tiled", "float32", "weights in constant"), ("tiled", "float32", "weights in shared"),
        ("tiled", "float64", "weights in constant"), ("tiled", "float64", "weights in shared"),
        ("implicit-gemm", "float32", "64x64"), ("implicit-gemm", "float32", "64x64 split-K"),
        ("implicit-gemm", "float64", "64x64"), ("implicit-gemm", "float64", "64x64 split-K"),
        ("implicit-gemm", "float32", "128x128"),
    }
    assert {(algorithm, dtype) for algorithm, dtype, _ in families} == {
        (algorithm, dtype) for algorithm in ALGORITHMS for dtype in ("float32", "float64")}

    primary = primary_variants(shipped)
    assert set(primary) <= set(shipped)
    assert {(family(variant), variant.padding_mode) for variant in primary} == {
        (name, mode) for name in families for mode in PAD_MODE_CODES}
    # direct and tiled: every geometry and tiled block; implicit GEMM: every tile at the kept geometries
    assert [variant for variant in primary if variant.algorithm != "implicit-gemm"] == [
        variant for variant in shipped if variant.algorithm != "implicit-gemm"]
    gemm = {(family(variant), geometry(variant)) for variant in primary if variant.algorithm == "implicit-gemm"}
    assert gemm == {(name, kept) for name in families if name[0] == "implicit-gemm" for kept in GEMM_GEOMETRIES}
    # what the PTX tests read comes from these builds
    assert set(TILED_STRIDE_ONE) <= set(primary)

    jobs = default_jobs()
    assert len(jobs) == len(set(jobs))
    for arch in ARCHITECTURES:
        assert {family(variant) for variant, built_for in jobs if built_for == arch} == families, arch
    assert {family(variant) for variant in smoke_variants(shipped)} == families
