// transposed convolution as a gather: one thread per output element (n, k, i, j) sums every
// input (a, b) and tap (r, s) whose scatter lands on it, a·SH − pad_top + r·DH = i (and so for
// columns), so no two threads write one output and no atomics are needed. Weights are laid out
// as PyTorch's (C, K/GROUPS, KH, KW). pad_top and pad_left are the user's padding (the crop).
#include "conv_common.cuh"

#ifndef GROUPS
#define GROUPS 1
#endif

extern "C" __global__ void conv_transpose_gather(CONV_KERNEL_ARGS)
{
    const long long total = (long long)batch * out_channels * out_height * out_width;
    const long long step = (long long)gridDim.x * blockDim.x;
    const int group_in = channels / GROUPS;
    const int group_out = out_channels / GROUPS;
    for (long long index = (long long)blockIdx.x * blockDim.x + threadIdx.x; index < total; index += step) {
        long long rest = index / out_width;
        const int j = (int)(index % out_width);
        const int i = (int)(rest % out_height);
        rest /= out_height;
        const int k = (int)(rest % out_channels);
        const int n = (int)(rest / out_channels);
        const int group = k / group_out;
        const int k_in_group = k % group_out;

        int rows[KH];
        int cols[KW];
        for (int r = 0; r < KH; ++r) {
            const int shifted = i + pad_top - r * DH;
            rows[r] = (shifted >= 0 && shifted % SH == 0 && shifted / SH < height) ? shifted / SH : -1;
        }
        for (int s = 0; s < KW; ++s) {
            const int shifted = j + pad_left - s * DW;
            cols[s] = (shifted >= 0 && shifted % SW == 0 && shifted / SW < width) ? shifted / SW : -1;
        }

        real_t acc = 0;
        for (int c = group * group_in; c < (group + 1) * group_in; ++c) {
            const real_t* plane = x + ((long long)n * channels + c) * height * width;
            const real_t* taps = w + ((long long)c * group_out + k_in_group) * KH * KW;
            for (int r = 0; r < KH; ++r) {
                if (rows[r] < 0)
                    continue;
                const real_t* line = plane + (long long)rows[r] * width;
#pragma unroll
                for (int s = 0; s < KW; ++s) {
                    if (cols[s] >= 0)
                        acc += line[cols[s]] * taps[r * KW + s];
                }
            }
        }
        if (has_bias)
            acc += bias[k];
        y[index] = acc;
    }
}
