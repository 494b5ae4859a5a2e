// implicit GEMM: Y = W · X_cols without ever building X_cols.
//   M = out channels, N = batch · out_height · out_width, K = channels · KH · KW.
// A block computes a BM × BN tile of Y, BK columns of K at a time: weights (A) and the
// gathered input (B) are staged in shared memory, each thread accumulates a TM × TN block in
// registers. A thread's rows and columns come in runs of four adjacent ones (TILE_ROW, TILE_COL),
// so each run is one 128-bit shared-memory read (LDS.128): scalar reads would make the shared
// memory pipe, not the FMA units, the limit (two FMAs per read in the 64×64 tile). With TM or
// TN = 8 the two runs sit half a tile apart, which keeps the 128-bit reads conflict-free. The
// next K slice is loaded into registers while the current one is multiplied. Padding is
// resolved in the gather by index mapping: no padded copy, no im2col.
//
// Split K (SPLIT_K > 1), for layers whose output has too few tiles to fill the GPU: blockIdx.z
// takes its share of the K slices and writes its partial sums, without bias, to a workspace
// [SPLIT_K][M][N] (passed as y); conv_split_k_reduce then adds the shares in a fixed order, so
// results stay bit-for-bit repeatable (no atomics), adds the bias and writes NCHW.
//
// Extra compile-time constants: BM, BN, BK, TM, TN, MIN_BLOCKS (blocks per multiprocessor
// promised to ptxas in __launch_bounds__, which caps registers per thread), SPLIT_K (default 1).
#include "conv_common.cuh"

#ifndef SPLIT_K
#define SPLIT_K 1
#endif

#define THREADS ((BM / TM) * (BN / TN))
#define TAPS (KH * KW)
#define A_LOADS (BM * BK / THREADS)
#define B_ROW_STEP (THREADS / BN)
#define B_LOADS (BK / B_ROW_STEP)
#define A_PAD 4

#if (BM * BK) % THREADS != 0 || THREADS % BN != 0 || BK % (THREADS / BN) != 0
#error "tile shape does not divide among the threads"
#endif
#if TM % 4 != 0 || TN % 4 != 0
#error "TM and TN must be multiples of 4 (runs of four for 128-bit shared-memory reads)"
#endif

// Row (of BM) and column (of BN) of a thread's i-th / j-th accumulator within the block tile.
#define TILE_ROW(i) (((i) / 4) * (BM * 4 / TM) + ty * 4 + (i) % 4)
#define TILE_COL(j) (((j) / 4) * (BN * 4 / TN) + tx * 4 + (j) % 4)

extern "C" __global__ void __launch_bounds__(THREADS, MIN_BLOCKS) conv_implicit_gemm(CONV_KERNEL_ARGS)
{
    __shared__ __align__(16) real_t s_a[BK][BM + A_PAD];
    __shared__ __align__(16) real_t s_b[BK][BN];

    const int thread = threadIdx.x;
    const int gemm_k = channels * TAPS;
    const int plane_out = out_height * out_width;
    const int gemm_n = batch * plane_out;
    const int m0 = blockIdx.y * BM;
    const int n0 = blockIdx.x * BN;
    const int slices = (gemm_k + BK - 1) / BK;
    const int k_begin = (int)((long long)slices * blockIdx.z / SPLIT_K) * BK;
    const int k_stop = (int)((long long)slices * (blockIdx.z + 1) / SPLIT_K) * BK;
    const int k_end = k_stop < gemm_k ? k_stop : gemm_k;

    // The column of B this thread gathers is the same for every K slice.
    const int b_col = thread % BN;
    const int b_row = thread / BN;
    const int column = n0 + b_col;
    const bool column_ok = column < gemm_n;
    int origin_row = 0;
    int origin_col = 0;
    const real_t* image = x;
    if (column_ok) {
        const int img = column / plane_out;
        const int pixel = column % plane_out;
        origin_row = (pixel / out_width) * SH - pad_top;
        origin_col = (pixel % out_width) * SW - pad_left;
        image = x + (long long)img * channels * height * width;
    }

    real_t a_next[A_LOADS];
    real_t b_next[B_LOADS];

#define LOAD_SLICE(k0)                                                                          \
    do {                                                                                        \
        _Pragma("unroll") for (int q = 0; q < A_LOADS; ++q)                                     \
        {                                                                                       \
            const int e = thread + q * THREADS;                                                 \
            const int gm = m0 + e / BK;                                                         \
            const int gk = (k0) + e % BK;                                                       \
            a_next[q] = (gm < out_channels && gk < k_end) ? w[(long long)gm * gemm_k + gk] : (real_t)0; \
        }                                                                                       \
        _Pragma("unroll") for (int q = 0; q < B_LOADS; ++q)                                     \
        {                                                                                       \
            const int gk = (k0) + b_row + q * B_ROW_STEP;                                       \
            real_t value = 0;                                                                   \
            if (column_ok && gk < k_end) {                                                      \
                const int c = gk / TAPS;                                                        \
                const int tap = gk % TAPS;                                                      \
                const int row = source_index(origin_row + (tap / KW) * DH, height);             \
                const int col = source_index(origin_col + (tap % KW) * DW, width);              \
                if (row >= 0 && col >= 0)                                                       \
                    value = image[((long long)c * height + row) * width + col];                 \
            }                                                                                   \
            b_next[q] = value;                                                                  \
        }                                                                                       \
    } while (0)

    real_t acc[TM][TN];
#pragma unroll
    for (int i = 0; i < TM; ++i)
#pragma unroll
        for (int j = 0; j < TN; ++j)
            acc[i][j] = 0;

    const int tx = thread % (BN / TN);
    const int ty = thread / (BN / TN);

    LOAD_SLICE(k_begin);
    for (int k0 = k_begin; k0 < k_end; k0 += BK) {
#pragma unroll
        for (int q = 0; q < A_LOADS; ++q) {
            const int e = thread + q * THREADS;
            s_a[e % BK][e / BK] = a_next[q];
        }
#pragma unroll
        for (int q = 0; q < B_LOADS; ++q)
            s_b[b_row + q * B_ROW_STEP][b_col] = b_next[q];
        __syncthreads();
        if (k0 + BK < k_end)
            LOAD_SLICE(k0 + BK);
#pragma unroll
        for (int kk = 0; kk < BK; ++kk) {
            real_t a[TM];
            real_t b[TN];
#pragma unroll
            for (int i = 0; i < TM; ++i)
                a[i] = s_a[kk][TILE_ROW(i)];
#pragma unroll
            for (int j = 0; j < TN; ++j)
                b[j] = s_b[kk][TILE_COL(j)];
#pragma unroll
            for (int i = 0; i < TM; ++i)
#pragma unroll
                for (int j = 0; j < TN; ++j)
                    acc[i][j] += a[i] * b[j];
        }
        __syncthreads();
    }
#undef LOAD_SLICE

#pragma unroll
    for (int i = 0; i < TM; ++i) {
        const int m = m0 + TILE_ROW(i);
        if (m >= out_channels)
            continue;
#if SPLIT_K > 1
        real_t* share = y + ((long long)blockIdx.z * out_channels + m) * gemm_n;
#pragma unroll
        for (int j = 0; j < TN; ++j) {
            const int column_j = n0 + TILE_COL(j);
            if (column_j < gemm_n)
                share[column_j] = acc[i][j];
        }
#else
        const real_t offset = has_bias ? bias[m] : (real_t)0;
#pragma unroll
        for (int j = 0; j < TN; ++j) {
            const int column_j = n0 + TILE_COL(j);
            if (column_j < gemm_n) {
                const int img = column_j / plane_out;
                const int pixel = column_j % plane_out;
                y[((long long)img * out_channels + m) * plane_out + pixel] = acc[i][j] + offset;
            }
        }
#endif
    }
}

#if SPLIT_K > 1
// Adds the SPLIT_K shares of each output in order (x is the workspace the GEMM wrote), adds the
// bias, writes y in NCHW. One thread per output element, consecutive threads on consecutive
// columns: workspace reads and output writes are contiguous.
extern "C" __global__ void conv_split_k_reduce(CONV_KERNEL_ARGS)
{
    const int plane_out = out_height * out_width;
    const int gemm_n = batch * plane_out;
    const long long total = (long long)out_channels * gemm_n;
    const long long step = (long long)gridDim.x * blockDim.x;
    for (long long index = (long long)blockIdx.x * blockDim.x + threadIdx.x; index < total; index += step) {
        const int m = (int)(index / gemm_n);
        const int column = (int)(index % gemm_n);
        real_t sum = 0;
#pragma unroll
        for (int z = 0; z < SPLIT_K; ++z)
            sum += x[((long long)z * out_channels + m) * gemm_n + column];
        if (has_bias)
            sum += bias[m];
        const int img = column / plane_out;
        const int pixel = column % plane_out;
        y[((long long)img * out_channels + m) * plane_out + pixel] = sum;
    }
}
#endif
