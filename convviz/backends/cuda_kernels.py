"""The CUDA kernels of the GPU backend as data: which source, which compile-time constants,
which launch shape, for a planned convolution. No CuPy here, so the NVRTC compile test and the
CPU emulation test build and launch exactly what the backend does, on machines with no GPU.

Kernel size, stride, dilation, padding mode, dtype and tile shape are compile-time constants
(``-D`` options): the tap loops unroll and index arithmetic folds. Batch, channels, image size
and pads are run-time arguments, so one compiled variant serves every image size.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import numpy as np

from ..core import ConvSpecError
from ..core.resources import resource

ALGORITHMS = ("direct", "tiled", "implicit-gemm")
OPERATION_ALGORITHMS = {"conv_transpose": ("transposed-gather",), "max_pool": ("pool-direct",),
                        "avg_pool": ("pool-direct",)}
"""The kernels of the other operations; convolution with groups runs on ``direct`` (GROUPS)."""
KERNEL_FILES = {
    "direct": ("conv_direct.cu", "conv_direct"),
    "tiled": ("conv_tiled.cu", "conv_tiled"),
    "implicit-gemm": ("conv_implicit_gemm.cu", "conv_implicit_gemm"),
    "transposed-gather": ("conv_transpose_gather.cu", "conv_transpose_gather"),
    "pool-direct": ("pool_direct.cu", "pool_direct"),
}
PAD_MODE_CODES = {"zeros": 0, "reflect": 1, "replicate": 2, "circular": 3}
C_TYPES = {np.dtype(np.float32): "float", np.dtype(np.float64): "double"}

CONSTANT_MEMORY_BYTES = 64 * 1024
STATIC_SHARED_BYTES = 48 * 1024
INT32_LIMIT = 2**31 - 1
GRID_YZ_LIMIT = 65535
DIRECT_THREADS = 256
DIRECT_MAX_BLOCKS = 2**20
"""The direct kernel strides over outputs past this many blocks (more would only queue)."""

TILED_BLOCKS = ((32, 8, 4), (32, 8, 2), (32, 8, 1), (32, 4, 1), (16, 4, 1), (8, 4, 1), (4, 4, 1))
"""(threads across = tile width, threads down, output rows per thread), best first."""

GEMM_TILES = {
    "64x64": {"BM": 64, "BN": 64, "BK": 8, "TM": 4, "TN": 4, "MIN_BLOCKS": 2},
    "128x128": {"BM": 128, "BN": 128, "BK": 8, "TM": 8, "TN": 8, "MIN_BLOCKS": 1},
}
LARGE_GEMM_MIN_BLOCKS = 256
"""128×128 tiles only when there are this many of them: fewer leave streaming multiprocessors idle."""
FILL_BLOCKS = 264
"""Implicit GEMM splits K when its output has fewer tiles than this (two blocks on each of an
H100's 132 multiprocessors): most layers with one image fill only a fraction of the GPU."""
MIN_SLICES_PER_SPLIT = 8
"""Each K share keeps at least this many BK-deep slices, so the shares' partial sums (written
and read once more by the reduction) stay small next to the work they split."""
MAX_SPLIT_K = 16
REDUCE_FUNCTION = "conv_split_k_reduce"
REDUCE_THREADS = 256

_INCLUDE = re.compile(r'^#include "([^"]+)"\s*$', re.MULTILINE)


@cache
def kernel_source(algorithm: str) -> str:
    """The full source of `algorithm`'s kernel, local headers inlined.

    Inlining (rather than ``-I``) makes the text the whole truth, so CuPy's on-disk
    compile cache, keyed by the source text, can never serve a kernel built from an old header.
    """
    file_name = KERNEL_FILES[algorithm][0]
    return _inline_includes(resource("kernels", file_name).read_text(encoding="utf-8"), set())


def _inline_includes(text: str, seen: set[str]) -> str:
    def replace(match: re.Match) -> str:
        name = match.group(1)
        if name in seen:
            return ""
        seen.add(name)
        header = resource("kernels", name).read_text(encoding="utf-8")
        return _inline_includes(header.replace("#pragma once", ""), seen)

    return _INCLUDE.sub(replace, text)


@dataclass(frozen=True)
class KernelVariant:
    """One compiled kernel: an algorithm with every compile-time constant fixed."""

    algorithm: str
    dtype: str
    padding_mode: str
    kernel_size: tuple[int, int]
    stride: tuple[int, int]
    dilation: tuple[int, int]
    tile: tuple[tuple[str, int], ...] = ()

    @property
    def function_name(self) -> str:
        return KERNEL_FILES[self.algorithm][1]

    @property
    def split_k(self) -> int:
        """How many K shares the implicit GEMM splits into (1: no split, no reduction)."""
        return dict(self.tile).get("SPLIT_K", 1)

    @property
    def weights_in_constant(self) -> bool:
        return dict(self.tile).get("WEIGHTS_IN_CONSTANT", 0) == 1

    def defines(self) -> dict[str, object]:
        (kh, kw), (sh, sw), (dh, dw) = self.kernel_size, self.stride, self.dilation
        values = {
            "CONV_T": C_TYPES[np.dtype(self.dtype)],
            "PAD_MODE": PAD_MODE_CODES[self.padding_mode],
            "KH": kh, "KW": kw, "SH": sh, "SW": sw, "DH": dh, "DW": dw,
        }
        values.update(self.tile)
        return values

    def options(self) -> tuple[str, ...]:
        return tuple(f"-D{name}={value}" for name, value in self.defines().items())

    def describe(self) -> str:
        (kh, kw), (sh, sw), (dh, dw) = self.kernel_size, self.stride, self.dilation
        tile = " ".join(f"{name}={value}" for name, value in self.tile)
        return (
            f"{self.algorithm} {self.dtype} {self.padding_mode} k{kh}x{kw} s{sh},{sw} d{dh},{dw} {tile}"
        ).strip()


@dataclass(frozen=True)
class Launch:
    """A variant and the grid it runs on for one plan; with split K also the workspace the GEMM
    writes its shares to and the grid of the reduction that sums them."""

    variant: KernelVariant
    grid: tuple[int, int, int]
    block: tuple[int, int, int]
    shared_bytes: int
    workspace_elements: int = 0
    reduce_grid: tuple[int, int, int] | None = None
    reduce_block: tuple[int, int, int] | None = None


def kernel_arguments(conv_plan) -> tuple[int, ...]:
    """The run-time integers every kernel takes after its four pointers (has_bias comes last).
    The pads are the user's: the top and left padding (for transposed convolution, its crop)."""
    spec, (rows, cols) = conv_plan.spec, conv_plan.axes
    return (spec.batch, spec.in_channels, rows.size, cols.size, spec.out_channels, rows.output_size, cols.output_size,
            rows.padding, cols.padding)


def algorithms_for(conv_plan) -> tuple[str, ...]:
    """The kernels that can run `conv_plan`: all three for convolution without groups, ``direct``
    for groups, the operation's own kernel otherwise."""
    spec = conv_plan.spec
    if spec.operation != "conv":
        return OPERATION_ALGORITHMS[spec.operation]
    return ALGORITHMS if spec.groups == 1 else ("direct",)


def operation_defines(conv_plan) -> dict[str, int]:
    """The compile-time constants of the operation: GROUPS, POOL_MAX, COUNT_INCLUDE_PAD."""
    spec = conv_plan.spec
    if spec.is_pooling:
        return {"POOL_MAX": int(spec.operation == "max_pool"), "COUNT_INCLUDE_PAD": int(spec.count_include_pad)}
    return {"GROUPS": spec.groups} if spec.groups > 1 else {}


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def _variant(conv_plan, dtype, algorithm: str, tile: dict[str, int]) -> KernelVariant:
    spec = conv_plan.spec
    return KernelVariant(
        algorithm, np.dtype(dtype).name, spec.padding_mode, spec.kernel_size, spec.stride, spec.dilation,
        tuple(tile.items()),
    )


def tiled_shared_bytes(conv_plan, dtype, block_x: int, block_y: int, rows_per_thread: int, weights_in_constant: bool) -> int:
    """Shared memory of one tiled block: its tile of outputs' input with halo (the span of the
    tile's windows along each axis), plus the weights unless they sit in constant memory."""
    rows, cols = conv_plan.axes
    halo_tile = rows.span(block_y * rows_per_thread) * cols.span(block_x)
    elements = halo_tile + (0 if weights_in_constant else rows.kernel * cols.kernel)
    return elements * np.dtype(dtype).itemsize


def _common_limits(conv_plan) -> str | None:
    """Sizes past 32-bit index arithmetic in the kernels (offsets into whole arrays are 64-bit)."""
    spec = conv_plan.spec
    kh, kw = spec.kernel_size
    height, width = spec.input_size
    if spec.out_channels * spec.in_channels * kh * kw > INT32_LIMIT:
        return "the weights have more than 2³¹ elements"
    if height * width > INT32_LIMIT or conv_plan.steps > INT32_LIMIT:
        return "an image plane has more than 2³¹ elements"
    return None


def _direct_launch(conv_plan, dtype, algorithm: str = "direct") -> Launch:
    """One thread per output element, grid-strided: ``direct`` and the operations' kernels."""
    total = int(np.prod(conv_plan.output_shape, dtype=np.int64))
    blocks = max(1, min(_ceil_div(total, DIRECT_THREADS), DIRECT_MAX_BLOCKS))
    variant = _variant(conv_plan, dtype, algorithm, operation_defines(conv_plan))
    return Launch(variant, (blocks, 1, 1), (DIRECT_THREADS, 1, 1), 0)


def _tiled_launch(conv_plan, dtype, constant_limit: int, block: tuple[int, int, int] | None = None) -> Launch | str:
    spec = conv_plan.spec
    n, k, out_h, out_w = conv_plan.output_shape
    itemsize = np.dtype(dtype).itemsize
    in_constant = spec.out_channels * spec.in_channels * spec.kernel_size[0] * spec.kernel_size[1] * itemsize <= constant_limit
    fitting = [
        (block_x, block_y, rows)
        for block_x, block_y, rows in TILED_BLOCKS
        if tiled_shared_bytes(conv_plan, dtype, block_x, block_y, rows, in_constant) <= STATIC_SHARED_BYTES
    ]
    if not fitting:
        return "its input tile with halo does not fit in shared memory (kernel reach or stride too large)"
    snug = [choice for choice in fitting if choice[1] * choice[2] <= out_h and choice[0] <= max(out_w, 32)]
    if block is not None:
        if block not in fitting:
            return f"block {block} is not one of the tiled blocks that fit in shared memory here"
        snug = [block]
    block_x, block_y, rows = (snug or fitting[-1:])[0]
    tile_h = block_y * rows
    grid = (n * k, _ceil_div(out_h, tile_h), _ceil_div(out_w, block_x))
    if grid[0] > INT32_LIMIT or grid[1] > GRID_YZ_LIMIT or grid[2] > GRID_YZ_LIMIT:
        return "the output has too many tiles for one launch"
    tile = {"BLOCK_X": block_x, "BLOCK_Y": block_y, "ROWS_PER_THREAD": rows, "WEIGHTS_IN_CONSTANT": int(in_constant)}
    if in_constant:
        tile["CONSTANT_WEIGHTS"] = CONSTANT_MEMORY_BYTES // itemsize
    shared = tiled_shared_bytes(conv_plan, dtype, block_x, block_y, rows, in_constant)
    return Launch(_variant(conv_plan, dtype, "tiled", tile), grid, (block_x, block_y, 1), shared)


def gemm_tile_name(conv_plan, dtype) -> str:
    n, k, out_h, out_w = conv_plan.output_shape
    big = GEMM_TILES["128x128"]
    blocks = _ceil_div(k, big["BM"]) * _ceil_div(n * out_h * out_w, big["BN"])
    if np.dtype(dtype) == np.float32 and k >= 96 and blocks >= LARGE_GEMM_MIN_BLOCKS:
        return "128x128"
    return "64x64"


def gemm_split(blocks: int, slices: int) -> int:
    """K shares for a GEMM of `blocks` output tiles and `slices` BK-deep K slices: a power of two,
    enough to bring the blocks up to FILL_BLOCKS, each share keeping MIN_SLICES_PER_SPLIT slices."""
    split = 1
    while (split < MAX_SPLIT_K and blocks * split < FILL_BLOCKS
           and slices // (2 * split) >= MIN_SLICES_PER_SPLIT):
        split *= 2
    return split


def _gemm_launch(conv_plan, dtype, tile_name: str | None, split_k: int | None = None) -> Launch | str:
    n, k, out_h, out_w = conv_plan.output_shape
    columns = n * out_h * out_w
    if columns > INT32_LIMIT:
        return "batch × output height × output width exceeds 2³¹"
    name = tile_name or gemm_tile_name(conv_plan, dtype)
    tile = dict(GEMM_TILES[name])
    grid = (_ceil_div(columns, tile["BN"]), _ceil_div(k, tile["BM"]), 1)
    if grid[0] > INT32_LIMIT or grid[1] > GRID_YZ_LIMIT:
        return "the output has too many tiles for one launch"
    kh, kw = conv_plan.spec.kernel_size
    slices = _ceil_div(conv_plan.spec.in_channels * kh * kw, tile["BK"])
    split = gemm_split(grid[0] * grid[1], slices) if split_k is None else split_k
    threads = (tile["BM"] // tile["TM"]) * (tile["BN"] // tile["TN"])
    itemsize = np.dtype(dtype).itemsize
    shared = (tile["BK"] * (tile["BM"] + 4) + tile["BK"] * tile["BN"]) * itemsize
    if split == 1:
        return Launch(_variant(conv_plan, dtype, "implicit-gemm", tile), grid, (threads, 1, 1), shared)
    tile["SPLIT_K"] = split
    outputs = k * columns
    reduce_blocks = max(1, min(_ceil_div(outputs, REDUCE_THREADS), DIRECT_MAX_BLOCKS))
    return Launch(_variant(conv_plan, dtype, "implicit-gemm", tile), (grid[0], grid[1], split), (threads, 1, 1),
                  shared, workspace_elements=split * outputs, reduce_grid=(reduce_blocks, 1, 1),
                  reduce_block=(REDUCE_THREADS, 1, 1))


def plan_launch(
    conv_plan,
    dtype,
    algorithm: str,
    *,
    constant_limit: int = CONSTANT_MEMORY_BYTES,
    gemm_tile: str | None = None,
    tiled_block: tuple[int, int, int] | None = None,
    split_k: int | None = None,
) -> Launch:
    """The variant and grid that run `conv_plan` with `algorithm`; ConvSpecError if it cannot.

    `constant_limit` (weight bytes that go to constant memory), `gemm_tile`, `tiled_block`
    (one of TILED_BLOCKS) and `split_k` exist so tests can reach every variant with tiny shapes.
    """
    if np.dtype(dtype) not in C_TYPES:
        raise ConvSpecError(f"the GPU kernels compute float32 or float64, not {np.dtype(dtype)}")
    if algorithm not in KERNEL_FILES:
        raise ConvSpecError(f"the cupy backend has no algorithm {algorithm!r}; it has {', '.join(ALGORITHMS)}")
    problem = _common_limits(conv_plan)
    if algorithm not in algorithms_for(conv_plan):
        problem = f"it runs {conv_plan.spec.operation} with groups {conv_plan.spec.groups} with " \
                  f"{' or '.join(algorithms_for(conv_plan))} only"
    if problem is None:
        if algorithm == "direct" or algorithm in KERNEL_FILES and algorithm not in ALGORITHMS:
            return _direct_launch(conv_plan, dtype, algorithm)
        launch = (
            _tiled_launch(conv_plan, dtype, constant_limit, tiled_block) if algorithm == "tiled"
            else _gemm_launch(conv_plan, dtype, gemm_tile, split_k)
        )
        if isinstance(launch, Launch):
            return launch
        problem = launch
    raise ConvSpecError(f"the {algorithm} GPU kernel cannot run {conv_plan.spec.describe()}: {problem}")


def unsupported_reason(conv_plan, dtype, algorithm: str) -> str | None:
    try:
        plan_launch(conv_plan, dtype, algorithm)
    except ConvSpecError as error:
        return str(error)
    return None


def choose_algorithm(conv_plan, dtype) -> str:
    """Implicit GEMM for channel-heavy layers, tiled for big planes with few channels, else direct.

    The thresholds are first guesses from the kernels' shapes (a 64-wide GEMM tile wants
    enough output channels and reduction depth to fill it); the profiler's benchmark is where
    they get checked.
    """
    spec = conv_plan.spec
    if algorithms_for(conv_plan) != ALGORITHMS:
        return algorithms_for(conv_plan)[0]
    kh, kw = spec.kernel_size
    reduction = spec.in_channels * kh * kw
    if spec.out_channels >= 16 and reduction >= 32 and unsupported_reason(conv_plan, dtype, "implicit-gemm") is None:
        return "implicit-gemm"
    plane = conv_plan.output_size[0] * conv_plan.output_size[1]
    if plane >= 1024 and max(spec.stride) <= 2 and unsupported_reason(conv_plan, dtype, "tiled") is None:
        return "tiled"
    return "direct"


COMPILE_CHECK_GEOMETRIES = (
    ((3, 3), (1, 1), (1, 1)),
    ((1, 1), (1, 1), (1, 1)),
    ((7, 7), (2, 2), (1, 1)),
    ((5, 5), (1, 1), (2, 2)),
    ((1, 7), (1, 1), (1, 1)),
    ((11, 11), (4, 4), (1, 1)),
)
"""Kernel size, stride, dilation of the shipped variants the compile test builds: the common
layers (3×3, pointwise, a ResNet stem, dilated, separable, an AlexNet stem)."""


def _tile_families() -> list[tuple[str, str, dict[str, int] | None]]:
    """(algorithm, dtype, fixed tile or None for the tile plan_launch picks) for every family."""
    families: list[tuple[str, str, dict[str, int] | None]] = []
    for dtype in ("float32", "float64"):
        families.append(("direct", dtype, None))
        for in_constant in (1, 0):
            families.append(("tiled", dtype, {"WEIGHTS_IN_CONSTANT": in_constant}))
        families.append(("implicit-gemm", dtype, dict(GEMM_TILES["64x64"])))
        families.append(("implicit-gemm", dtype, dict(GEMM_TILES["64x64"], SPLIT_K=MAX_SPLIT_K)))
    families.append(("implicit-gemm", "float32", dict(GEMM_TILES["128x128"])))
    return families


def shipped_variants() -> list[KernelVariant]:
    """Every kernel family (algorithm, dtype, tile shape, weight placement) at each geometry of
    COMPILE_CHECK_GEOMETRIES; at 3×3 also every other padding mode and every tiled block shape."""
    variants: dict[KernelVariant, None] = {}
    for algorithm, dtype, tile in _tile_families():
        for index, (kernel, stride, dilation) in enumerate(COMPILE_CHECK_GEOMETRIES):
            tiles = _full_tiles(algorithm, dtype, tile, kernel, stride, dilation, all_blocks=index == 0)
            for full_tile in tiles:
                variants[KernelVariant(algorithm, dtype, "zeros", kernel, stride, dilation, full_tile)] = None
            if index == 0:
                for mode in PAD_MODE_CODES:
                    variants[KernelVariant(algorithm, dtype, mode, kernel, stride, dilation, tiles[0])] = None
    return list(variants)


def _full_tiles(algorithm, dtype, tile, kernel, stride, dilation, all_blocks: bool):
    if algorithm != "tiled":
        return [tuple((tile or {}).items())]
    from ..core import ConvSpec, plan

    in_constant = tile["WEIGHTS_IN_CONSTANT"]
    itemsize = np.dtype(dtype).itemsize
    spec = ConvSpec((1, 1, 256, 256), 1, kernel, stride=stride, dilation=dilation)
    tiles = []
    for block_x, block_y, rows in TILED_BLOCKS:
        if tiled_shared_bytes(plan(spec), dtype, block_x, block_y, rows, bool(in_constant)) > STATIC_SHARED_BYTES:
            continue
        full = {"BLOCK_X": block_x, "BLOCK_Y": block_y, "ROWS_PER_THREAD": rows, "WEIGHTS_IN_CONSTANT": in_constant}
        if in_constant:
            full["CONSTANT_WEIGHTS"] = CONSTANT_MEMORY_BYTES // itemsize
        tiles.append(tuple(full.items()))
        if not all_blocks:
            break
    return tiles
