"""Every shipped kernel variant compiles with NVRTC for sm_80 and sm_90, without spilling.

Needs only the pip packages cuda-bindings and nvidia-cuda-nvrtc-cu12 (the `test` extra), no GPU.
Run with -s to see ptxas's registers / shared / constant memory per variant.
"""

import dataclasses
import os
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from helpers.nvrtc_compile import CompileError, compile_ptx, compile_variant, nvrtc_module, parse_resources

from convviz.backends.cuda_kernels import (
    GEMM_TILES,
    REDUCE_FUNCTION,
    STATIC_SHARED_BYTES,
    KernelVariant,
    kernel_source,
    shipped_variants,
)

ARCHITECTURES = ("sm_80", "sm_90")
NVRTC, MISSING_REASON = nvrtc_module()

pytestmark = pytest.mark.skipif(NVRTC is None, reason=f"NVRTC unavailable: {MISSING_REASON}")


@pytest.fixture(scope="module")
def compiled():
    """{(variant, arch): Resources or CompileError}, built on every core at once."""
    jobs = [(variant, arch) for variant in shipped_variants() for arch in ARCHITECTURES]

    def build(job):
        variant, arch = job
        try:
            log = compile_variant(NVRTC, kernel_source(variant.algorithm), variant.options(), arch)
        except CompileError as error:
            return error
        functions = parse_resources(log)
        wanted = {variant.function_name} | ({REDUCE_FUNCTION} if variant.split_k > 1 else set())
        if not wanted <= set(functions):
            return CompileError(f"no ptxas report for {sorted(wanted - set(functions))}:\n{log}")
        # one row per variant: its kernel's resources, with any spill of a companion kernel added
        return dataclasses.replace(
            functions[variant.function_name],
            spill_stores=sum(functions[name].spill_stores for name in wanted),
            spill_loads=sum(functions[name].spill_loads for name in wanted),
        )

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        results = list(pool.map(build, jobs))
    return dict(zip(jobs, results))


def test_every_variant_compiles(compiled):
    failures = [f"{arch} {variant.describe()}: {result}" for (variant, arch), result in compiled.items()
                if isinstance(result, Exception)]
    assert not failures, "\n".join(failures)


def test_no_variant_spills(compiled):
    spilling = [
        f"{arch} {variant.describe()}: {result.spill_stores} B stores, {result.spill_loads} B loads"
        for (variant, arch), result in compiled.items()
        if not isinstance(result, Exception) and (result.spill_stores or result.spill_loads)
    ]
    assert not spilling, "\n".join(spilling)


def test_resources_fit_the_hardware(compiled):
    for (variant, arch), result in compiled.items():
        if isinstance(result, Exception):
            continue
        assert result.registers <= 255, (arch, variant.describe())
        assert result.shared_bytes <= STATIC_SHARED_BYTES, (arch, variant.describe())
        assert result.constant_bytes <= 64 * 1024, (arch, variant.describe())


@pytest.mark.parametrize(("tile", "dtype", "vector"), [("64x64", "float32", "v4.f32"), ("64x64", "float64", "v2.f64"),
                                                      ("128x128", "float32", "v4.f32")])
def test_implicit_gemm_reads_shared_memory_128_bits_at_a_time(tile, dtype, vector):
    """Scalar shared-memory reads would cap the 64×64 tile at two FMAs per read, half of what
    keeps an SM's FMA units busy; the runs-of-four layout must reach NVVM as vector loads."""
    shape = GEMM_TILES[tile]
    variant = KernelVariant("implicit-gemm", dtype, "zeros", (3, 3), (1, 1), (1, 1), tuple(shape.items()))
    ptx = compile_ptx(NVRTC, kernel_source("implicit-gemm"), variant.options())
    loads = re.findall(r"ld\.shared((?:\.\w+)+)", ptx)
    lanes = 4 if vector.startswith("v4") else 2
    assert loads.count("." + vector) == shape["BK"] * (shape["TM"] + shape["TN"]) // lanes, loads
    assert all(load == "." + vector for load in loads), loads


TILED_STRIDE_ONE = [variant for variant in shipped_variants()
                    if variant.algorithm == "tiled" and variant.stride == (1, 1) and variant.dilation == (1, 1)]


@pytest.mark.parametrize("variant", TILED_STRIDE_ONE, ids=KernelVariant.describe)
def test_tiled_reads_each_shared_input_row_once_per_tap_column(variant):
    """Shared-memory reads bound the tiled kernel: a thread's adjacent output rows share input
    rows, and each shared row must be read once, not once per (output row, tap row) pair."""
    (kh, kw), tile = variant.kernel_size, dict(variant.tile)
    rows = tile["ROWS_PER_THREAD"]
    ptx = compile_ptx(NVRTC, kernel_source("tiled"), variant.options())
    loads = len(re.findall(r"ld\.shared\.f(?:32|64)", ptx))
    weights = 0 if tile["WEIGHTS_IN_CONSTANT"] else kh * kw
    assert loads == kw * (rows + kh - 1) + weights


def test_report(compiled, capsys):
    """Not a check: prints ptxas's figures, summarised per algorithm and dtype."""
    rows = {}
    for (variant, arch), result in compiled.items():
        if isinstance(result, Exception):
            continue
        key = (variant.algorithm, variant.dtype, dict(variant.tile).get("BM", ""), arch)
        registers, shared, count = rows.get(key, ((999, 0), (10**9, 0), 0))
        rows[key] = (
            (min(registers[0], result.registers), max(registers[1], result.registers)),
            (min(shared[0], result.shared_bytes), max(shared[1], result.shared_bytes)),
            count + 1,
        )
    with capsys.disabled():
        print(f"\nNVRTC {'.'.join(map(str, NVRTC.nvrtcVersion()[1:]))}: {len(compiled)} variant builds, no spills")
        for (algorithm, dtype, tile, arch), (registers, shared, count) in sorted(rows.items(), key=str):
            print(
                f"  {algorithm:13} {dtype:7} {str(tile):3} {arch}: {count:3} variants, "
                f"registers {registers[0]}-{registers[1]}, shared {shared[0]}-{shared[1]} B"
            )
