"""How the GPU backend picks, builds and launches its kernels (pure Python, no GPU, no compiler)."""

import numpy as np
import pytest

from convviz.backends.cuda_kernels import (
    ALGORITHMS,
    CONSTANT_MEMORY_BYTES,
    FILL_BLOCKS,
    KERNEL_FILES,
    MAX_SPLIT_K,
    MIN_SLICES_PER_SPLIT,
    choose_algorithm,
    kernel_arguments,
    kernel_source,
    plan_launch,
    shipped_variants,
)
from convviz.core import ConvSpec, ConvSpecError, plan


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_source_is_self_contained(algorithm):
    source = kernel_source(algorithm)
    assert '#include "' not in source
    assert 'extern "C" __global__' in source and KERNEL_FILES[algorithm][1] in source
    assert "source_index" in source


def test_options_fix_geometry_dtype_and_mode():
    conv_plan = plan(ConvSpec((1, 3, 20, 30), 4, (3, 5), stride=(2, 1), dilation=(1, 3), padding_mode="circular",
                              padding="same"))
    options = plan_launch(conv_plan, np.float64, "direct").variant.options()
    for expected in ("-DCONV_T=double", "-DPAD_MODE=3", "-DKH=3", "-DKW=5", "-DSH=2", "-DSW=1", "-DDH=1", "-DDW=3"):
        assert expected in options


def test_kernel_arguments_follow_the_plan():
    conv_plan = plan(ConvSpec((2, 3, 10, 12), 5, 3, padding=(1, 2, 0, 3)))
    assert kernel_arguments(conv_plan) == (2, 3, 10, 12, 5, *conv_plan.output_size, 1, 0)


def test_channel_heavy_layers_take_implicit_gemm():
    assert choose_algorithm(plan(ConvSpec((8, 64, 56, 56), 64, 3, padding=1)), np.float32) == "implicit-gemm"


def test_big_single_channel_planes_take_tiled():
    assert choose_algorithm(plan(ConvSpec((1, 1, 512, 512), 1, 5, padding="same")), np.float32) == "tiled"


def test_tiny_layers_take_direct():
    assert choose_algorithm(plan(ConvSpec((1, 1, 8, 8), 1, 3)), np.float32) == "direct"


def test_tiled_refuses_a_halo_too_big_for_shared_memory_and_auto_falls_back():
    conv_plan = plan(ConvSpec((1, 1, 2000, 2000), 1, 3, dilation=400))
    with pytest.raises(ConvSpecError, match="shared memory"):
        plan_launch(conv_plan, np.float32, "tiled")
    assert choose_algorithm(conv_plan, np.float32) == "direct"


def test_unknown_algorithm_and_dtype_are_refused():
    conv_plan = plan(ConvSpec((1, 1, 8, 8), 1, 3))
    with pytest.raises(ConvSpecError, match="no algorithm 'winograd'"):
        plan_launch(conv_plan, np.float32, "winograd")
    with pytest.raises(ConvSpecError, match="float32 or float64"):
        plan_launch(conv_plan, np.float16, "direct")


def test_tiled_weights_go_to_constant_memory_only_when_they_fit():
    small = plan(ConvSpec((1, 4, 64, 64), 8, 3))
    assert plan_launch(small, np.float32, "tiled").variant.weights_in_constant
    channels = CONSTANT_MEMORY_BYTES // (4 * 9) + 1
    large = plan(ConvSpec((1, channels, 64, 64), 1, 3))
    assert not plan_launch(large, np.float32, "tiled").variant.weights_in_constant


@pytest.mark.parametrize("shape", [(1, 1, 5, 7), (2, 3, 70, 33), (1, 2, 300, 301)])
def test_grids_cover_every_output(shape):
    conv_plan = plan(ConvSpec(shape, 3, 3, stride=(1, 2), padding=1))
    n, k, out_h, out_w = conv_plan.output_shape
    direct = plan_launch(conv_plan, np.float32, "direct")
    assert direct.grid[0] * direct.block[0] >= min(n * k * out_h * out_w, 2**20 * 256)
    tiled = plan_launch(conv_plan, np.float32, "tiled")
    tile = dict(tiled.variant.tile)
    assert tiled.grid[0] == n * k
    assert tiled.grid[1] * tile["BLOCK_Y"] * tile["ROWS_PER_THREAD"] >= out_h
    assert tiled.grid[2] * tile["BLOCK_X"] >= out_w
    gemm = plan_launch(conv_plan, np.float32, "implicit-gemm")
    gemm_tile = dict(gemm.variant.tile)
    assert gemm.grid[0] * gemm_tile["BN"] >= n * out_h * out_w
    assert gemm.grid[1] * gemm_tile["BM"] >= k


def test_large_gemm_tiles_for_large_float32_layers_only():
    big = plan(ConvSpec((32, 256, 56, 56), 256, 3, padding=1))
    assert dict(plan_launch(big, np.float32, "implicit-gemm").variant.tile)["BM"] == 128
    assert dict(plan_launch(big, np.float64, "implicit-gemm").variant.tile)["BM"] == 64
    small = plan(ConvSpec((1, 16, 14, 14), 32, 3, padding=1))
    assert dict(plan_launch(small, np.float32, "implicit-gemm").variant.tile)["BM"] == 64


@pytest.mark.parametrize(("shape", "out_channels", "kernel"), [
    ((1, 64, 56, 56), 64, 3), ((1, 256, 14, 14), 256, 3), ((1, 3, 224, 224), 64, 7), ((8, 64, 56, 56), 64, 3),
    ((1, 4, 8, 8), 4, 3), ((1, 2048, 7, 7), 512, 1),
])
def test_split_k_fills_the_gpu_without_starving_a_share(shape, out_channels, kernel):
    conv_plan = plan(ConvSpec(shape, out_channels, kernel, padding="same"))
    launch = plan_launch(conv_plan, np.float32, "implicit-gemm")
    tile = dict(launch.variant.tile)
    split = launch.variant.split_k
    tiles = launch.grid[0] * launch.grid[1]
    slices = -(-shape[1] * kernel * kernel // tile["BK"])
    assert split in (1, 2, 4, 8, 16) and split <= MAX_SPLIT_K and launch.grid[2] == split
    assert split == 1 or slices // split >= MIN_SLICES_PER_SPLIT
    if tiles >= FILL_BLOCKS:
        assert split == 1 and launch.reduce_grid is None and launch.workspace_elements == 0
    elif split < MAX_SPLIT_K and slices // (2 * split) >= MIN_SLICES_PER_SPLIT:
        assert tiles * split >= FILL_BLOCKS  # it split as far as the GPU needed, or as K allowed
    if split > 1:
        outputs = out_channels * conv_plan.output_size[0] * conv_plan.output_size[1] * shape[0]
        assert launch.workspace_elements == split * outputs
        assert launch.reduce_grid[0] * launch.reduce_block[0] >= outputs


def test_shipped_variants_cover_every_family_and_mode():
    variants = shipped_variants()
    assert {variant.algorithm for variant in variants} == set(ALGORITHMS)
    assert {variant.padding_mode for variant in variants} == {"zeros", "reflect", "replicate", "circular"}
    assert {variant.dtype for variant in variants} == {"float32", "float64"}
    assert {variant.weights_in_constant for variant in variants if variant.algorithm == "tiled"} == {True, False}
    assert {variant.split_k for variant in variants if variant.algorithm == "implicit-gemm"} == {1, MAX_SPLIT_K}
