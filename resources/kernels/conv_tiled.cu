// tiled: one block computes a TILE_H × TILE_W tile of one output plane (image n, out channel k).
// For each input channel the block stages the input tile plus its halo in shared memory,
// padding resolved by index mapping while loading, then every thread reads its taps from
// shared memory. Weights sit in constant memory when all of them fit in 64 KiB (a warp reads
// one weight at a time, the broadcast constant memory serves best), else the block stages
// the current channel's taps in shared memory.
//
// A thread computes ROWS_PER_THREAD adjacent output rows of one column, the tap loops fully
// unrolled with the rows innermost: each weight is read once for all the rows, and rows of the
// input tile that several (output row, tap row) pairs share are read from shared memory once
// (KW·(ROWS_PER_THREAD + KH − 1) reads instead of KW·KH·ROWS_PER_THREAD at stride 1), since
// shared-memory reads, not FMAs, bound this kernel.
//
// Extra compile-time constants: BLOCK_X (threads across, = tile width), BLOCK_Y (threads down),
// ROWS_PER_THREAD, WEIGHTS_IN_CONSTANT (0 or 1), CONSTANT_WEIGHTS (capacity in elements).
// __launch_bounds__ promises two blocks per multiprocessor: with the thread count alone, ptxas
// squeezed some variants into 32 registers and spilled.
#include "conv_common.cuh"

#define TILE_W BLOCK_X
#define TILE_H (BLOCK_Y * ROWS_PER_THREAD)
#define IN_TILE_H ((TILE_H - 1) * SH + (KH - 1) * DH + 1)
#define IN_TILE_W ((TILE_W - 1) * SW + (KW - 1) * DW + 1)

#if WEIGHTS_IN_CONSTANT
__constant__ real_t c_weights[CONSTANT_WEIGHTS];
#define TAP(base, tap) c_weights[(base) + (tap)]
#else
#define TAP(base, tap) s_weights[tap]
#endif

extern "C" __global__ void __launch_bounds__(BLOCK_X * BLOCK_Y, 2) conv_tiled(CONV_KERNEL_ARGS)
{
    __shared__ real_t s_input[IN_TILE_H][IN_TILE_W];
#if !WEIGHTS_IN_CONSTANT
    __shared__ real_t s_weights[KH * KW];
#endif
    const int n = blockIdx.x / out_channels;
    const int k = blockIdx.x % out_channels;
    const int tile_row = blockIdx.y * TILE_H;
    const int tile_col = blockIdx.z * TILE_W;
    const int first_row = tile_row * SH - pad_top;
    const int first_col = tile_col * SW - pad_left;
    const int thread = threadIdx.y * BLOCK_X + threadIdx.x;
    const int first_out_row = threadIdx.y * ROWS_PER_THREAD;
    const real_t* image = x + (long long)n * channels * height * width;

    real_t acc[ROWS_PER_THREAD];
    for (int q = 0; q < ROWS_PER_THREAD; ++q)
        acc[q] = 0;

    for (int c = 0; c < channels; ++c) {
        const real_t* plane = image + (long long)c * height * width;
        for (int e = thread; e < IN_TILE_H * IN_TILE_W; e += BLOCK_X * BLOCK_Y) {
            const int tr = e / IN_TILE_W;
            const int tc = e % IN_TILE_W;
            const int row = source_index(first_row + tr, height);
            const int col = source_index(first_col + tc, width);
            s_input[tr][tc] = (row >= 0 && col >= 0) ? plane[(long long)row * width + col] : (real_t)0;
        }
        const int weight_base = (k * channels + c) * KH * KW;
#if !WEIGHTS_IN_CONSTANT
        for (int e = thread; e < KH * KW; e += BLOCK_X * BLOCK_Y)
            s_weights[e] = w[(long long)weight_base + e];
#endif
        __syncthreads();
        const real_t* column = &s_input[first_out_row * SH][threadIdx.x * SW];
#pragma unroll
        for (int r = 0; r < KH; ++r) {
#pragma unroll
            for (int s = 0; s < KW; ++s) {
                const real_t weight = TAP(weight_base, r * KW + s);
#pragma unroll
                for (int q = 0; q < ROWS_PER_THREAD; ++q)
                    acc[q] += column[(q * SH + r * DH) * IN_TILE_W + s * DW] * weight;
            }
        }
        __syncthreads();
    }

    const int j = tile_col + threadIdx.x;
    if (j >= out_width)
        return;
    const real_t offset = has_bias ? bias[k] : (real_t)0;
    real_t* out = y + ((long long)n * out_channels + k) * out_height * out_width;
#pragma unroll
    for (int q = 0; q < ROWS_PER_THREAD; ++q) {
        const int i = tile_row + first_out_row + q;
        if (i < out_height)
            out[(long long)i * out_width + j] = acc[q] + offset;
    }
}
