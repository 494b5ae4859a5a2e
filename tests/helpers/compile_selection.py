"""Which shipped kernel variants the NVRTC compile test builds for which architecture.

`shipped_variants()` (convviz.backends.cuda_kernels) lists 123 variants: every family at each
geometry of COMPILE_CHECK_GEOMETRIES, and at 3×3 every padding mode and every tiled block. Built
for both sm_80 and sm_90 that is 246 NVRTC builds, half a minute of CPU; the whole matrix is the
`slow` test. The default run builds what can fail differently:

- sm_90 (the H100 the backend is tuned for) builds every shipped variant except implicit GEMM at
  geometries that add no code path. Compile errors, shared-memory sizes and the PTX do not
  depend on the architecture, so one build of a variant checks them.
- In implicit GEMM, kernel size, stride and dilation only enter the gather's index arithmetic
  as constants; registers follow the tile and the padding mode. At 7×7/s2, 5×5/d2 and 11×11/s4
  ptxas reports exactly the 3×3 register count for all five GEMM families on both architectures;
  only kernels with a dimension of 1 (1×1, 1×7) differ, by up to 8 registers, as that dimension's
  arithmetic folds away. So GEMM is built at 3×3 in every padding mode and at those geometries.
  Direct and tiled kernels unroll their tap loops, so every geometry and tiled block is a
  different register budget: all of them are built.
- sm_80 builds one variant of every family (its 3×3 zeros variant), and every variant whose
  sm_90 build came within a quarter of its register cap: spilling is where the architectures can
  differ (sm_80's counts are within about ±10% of sm_90's on these kernels), and a variant far
  below its cap on one cannot spill on the other.

`test_default_selection_covers_every_family_dtype_and_mode` keeps this honest.

`build_unit` is what the test runs per default job (a build and its follow-up, in a worker thread
or in the background process of tests/helpers/ahead.py).
"""

from __future__ import annotations

import dataclasses
from functools import cache

from convviz.backends.cuda_kernels import (
    COMPILE_CHECK_GEOMETRIES,
    REDUCE_FUNCTION,
    KernelVariant,
    kernel_source,
    shipped_variants,
)

from .nvrtc_compile import CompileError, compile_variant, nvrtc_module, parse_resources

ARCHITECTURES = ("sm_80", "sm_90")
PRIMARY = "sm_90"
"""The architecture every selected variant is built for."""
NEAR_CAP = 0.75
"""A variant whose registers on PRIMARY reach this share of its cap is built for every architecture."""
REGISTER_FILE = 65536
MAX_REGISTERS = 255

GEMM_GEOMETRIES = tuple(geometry for index, geometry in enumerate(COMPILE_CHECK_GEOMETRIES)
                        if index == 0 or 1 in geometry[0])
"""The implicit GEMM geometries the default run builds: 3×3 (the first, where shipped_variants
has every padding mode) and those whose kernel has a dimension of 1."""


def family(variant: KernelVariant) -> tuple[str, str, str]:
    """(algorithm, dtype, tile family): the families `_tile_families()` enumerates."""
    tile = dict(variant.tile)
    if variant.algorithm == "tiled":
        shape = "weights in constant" if variant.weights_in_constant else "weights in shared"
    elif variant.algorithm == "implicit-gemm":
        shape = f"{tile['BM']}x{tile['BN']}" + (" split-K" if variant.split_k > 1 else "")
    else:
        shape = ""
    return variant.algorithm, variant.dtype, shape


def geometry(variant: KernelVariant):
    return variant.kernel_size, variant.stride, variant.dilation


def register_cap(variant: KernelVariant) -> int:
    """The most registers a thread may use: __launch_bounds__(threads, blocks) leaves the register
    file / (threads × blocks); the direct kernel and the split-K reduction promise nothing."""
    tile = dict(variant.tile)
    if variant.algorithm == "tiled":
        threads, blocks = tile["BLOCK_X"] * tile["BLOCK_Y"], 2
    elif variant.algorithm == "implicit-gemm":
        threads, blocks = (tile["BM"] // tile["TM"]) * (tile["BN"] // tile["TN"]), tile["MIN_BLOCKS"]
    else:
        return MAX_REGISTERS
    return min(MAX_REGISTERS, REGISTER_FILE // (threads * blocks))


def near_register_cap(variant: KernelVariant, registers: int) -> bool:
    return registers >= NEAR_CAP * register_cap(variant)


def primary_variants(variants: list[KernelVariant] | None = None) -> list[KernelVariant]:
    """What the default run builds for PRIMARY (see the module's docstring)."""
    variants = shipped_variants() if variants is None else variants
    return [variant for variant in variants
            if variant.algorithm != "implicit-gemm" or geometry(variant) in GEMM_GEOMETRIES]


def smoke_variants(variants: list[KernelVariant] | None = None) -> list[KernelVariant]:
    """The first shipped variant of each family (3×3, zeros, the first tiled block)."""
    variants = shipped_variants() if variants is None else variants
    first: dict[tuple, KernelVariant] = {}
    for variant in variants:
        first.setdefault(family(variant), variant)
    return list(first.values())


@cache
def default_jobs() -> tuple[tuple[KernelVariant, str], ...]:
    """(variant, architecture) the default run builds before any register counts are known."""
    secondary = [arch for arch in ARCHITECTURES if arch != PRIMARY]
    return tuple([(variant, PRIMARY) for variant in primary_variants()]
                 + [(variant, arch) for arch in secondary for variant in smoke_variants()])


def follow_up_jobs(variant: KernelVariant, arch: str, registers: int) -> list[tuple[KernelVariant, str]]:
    """The further builds a PRIMARY build near its register cap calls for (none already in default_jobs)."""
    if arch != PRIMARY or not near_register_cap(variant, registers):
        return []
    return [(variant, other) for other in ARCHITECTURES if other != PRIMARY and (variant, other) not in default_jobs()]


def all_jobs() -> list[tuple[KernelVariant, str]]:
    """Every shipped variant for every architecture (the slow test)."""
    return [(variant, arch) for variant in shipped_variants() for arch in ARCHITECTURES]


def check_build(variant: KernelVariant, arch: str):
    """(Resources or CompileError, PTX or None): one NVRTC build of `variant` for `arch`, with the
    resources of its kernel (and any spill of the split-K reduction added to them)."""
    nvrtc, reason = nvrtc_module()
    if nvrtc is None:
        return CompileError(f"NVRTC unavailable: {reason}"), None
    try:
        build = compile_variant(nvrtc, kernel_source(variant.algorithm), variant.options(), arch)
    except CompileError as error:
        return error, None
    functions = parse_resources(build.log)
    wanted = {variant.function_name} | ({REDUCE_FUNCTION} if variant.split_k > 1 else set())
    if not wanted <= set(functions):
        return CompileError(f"no ptxas report for {sorted(wanted - set(functions))}:\n{build.log}"), build.ptx
    # one row per variant: its kernel's resources, with any spill of a companion kernel added
    resources = dataclasses.replace(
        functions[variant.function_name],
        spill_stores=sum(functions[name].spill_stores for name in wanted),
        spill_loads=sum(functions[name].spill_loads for name in wanted),
    )
    return resources, build.ptx


def build_unit(job) -> list:
    """[(job, result, PTX)] for `job` and the follow-up builds its result calls for."""
    variant, arch = job
    result, ptx = check_build(variant, arch)
    done = [(job, result, ptx)]
    if not isinstance(result, Exception):
        done += [(extra, *check_build(*extra)) for extra in follow_up_jobs(variant, arch, result.registers)]
    return done


def build_alone(job) -> list:
    """[(job, result, PTX)] for `job` only."""
    return [(job, *check_build(*job))]
