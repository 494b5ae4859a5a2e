// direct: one thread per output element, consecutive threads on consecutive output columns,
// so both the output writes and the input reads of a warp are contiguous (strided by SW).
// The simplest correct kernel: no shared memory, weights read through the cache.
// NARROW_INDEX_LIMIT (optional) moves the switch to 64-bit index arithmetic, for tests.
#include "conv_common.cuh"

#ifndef NARROW_INDEX_LIMIT
#define NARROW_INDEX_LIMIT 0x7fffffffLL
#endif
// GROUPS (optional, default 1): output channel k reads only its group's channels/GROUPS inputs.
#ifndef GROUPS
#define GROUPS 1
#endif

extern "C" __global__ void conv_direct(CONV_KERNEL_ARGS)
{
    const long long total = (long long)batch * out_channels * out_height * out_width;
    const long long step = (long long)gridDim.x * blockDim.x;
    // 64-bit division costs several times the 32-bit one: use it only for outputs past 2^31.
    const bool narrow = total <= NARROW_INDEX_LIMIT;
    for (long long index = (long long)blockIdx.x * blockDim.x + threadIdx.x; index < total; index += step) {
        int j, i, k, n;
        if (narrow) {
            unsigned rest = (unsigned)index;
            j = (int)(rest % (unsigned)out_width);
            rest /= (unsigned)out_width;
            i = (int)(rest % (unsigned)out_height);
            rest /= (unsigned)out_height;
            k = (int)(rest % (unsigned)out_channels);
            n = (int)(rest / (unsigned)out_channels);
        } else {
            long long rest = index / out_width;
            j = (int)(index % out_width);
            i = (int)(rest % out_height);
            rest /= out_height;
            k = (int)(rest % out_channels);
            n = (int)(rest / out_channels);
        }

        int rows[KH];
        int cols[KW];
        for (int r = 0; r < KH; ++r)
            rows[r] = source_index(i * SH + r * DH - pad_top, height);
        for (int s = 0; s < KW; ++s)
            cols[s] = source_index(j * SW + s * DW - pad_left, width);

        const int group_channels = channels / GROUPS;
        const int group = k / (out_channels / GROUPS);
        const real_t* image = x + ((long long)n * channels + (long long)group * group_channels) * height * width;
        const real_t* filter = w + (long long)k * group_channels * KH * KW;
        real_t acc = 0;
        for (int c = 0; c < group_channels; ++c) {
            const real_t* plane = image + (long long)c * height * width;
            const real_t* taps = filter + c * KH * KW;
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
