// max and average pooling: one thread per output element (n, c, i, j), PyTorch's windows.
// The window of output i starts at i·SH − pad_top. POOL_MAX 1: the largest tap inside the input
// (padding is −∞). POOL_MAX 0: the sum of the input in the window divided by the window clipped
// to the padding (COUNT_INCLUDE_PAD 1) or to the input (0); the ceil-mode overhang past the
// padding is never counted. w and bias are not read (pooling has none); out_channels == channels.
#include "conv_common.cuh"

#ifndef POOL_MAX
#define POOL_MAX 1
#endif
#ifndef COUNT_INCLUDE_PAD
#define COUNT_INCLUDE_PAD 1
#endif

extern "C" __global__ void pool_direct(CONV_KERNEL_ARGS)
{
    const long long total = (long long)batch * out_channels * out_height * out_width;
    const long long step = (long long)gridDim.x * blockDim.x;
    for (long long index = (long long)blockIdx.x * blockDim.x + threadIdx.x; index < total; index += step) {
        long long rest = index / out_width;
        const int j = (int)(index % out_width);
        const int i = (int)(rest % out_height);
        rest /= out_height;
        const int c = (int)(rest % out_channels);
        const int n = (int)(rest / out_channels);
        const real_t* plane = x + ((long long)n * channels + c) * height * width;
        const int top = i * SH - pad_top;
        const int left = j * SW - pad_left;
#if POOL_MAX
        real_t best = -(real_t)1e300 * (real_t)1e300;
        for (int r = 0; r < KH; ++r) {
            const int row = top + r * DH;
            if (row < 0 || row >= height)
                continue;
#pragma unroll
            for (int s = 0; s < KW; ++s) {
                const int col = left + s * DW;
                if (col >= 0 && col < width) {
                    const real_t value = plane[(long long)row * width + col];
                    best = value > best ? value : best;
                }
            }
        }
        y[index] = best;
#else
        int bottom = top + KH < height + pad_top ? top + KH : height + pad_top;
        int right = left + KW < width + pad_left ? left + KW : width + pad_left;
        int divisor = (bottom - top) * (right - left);
        const int first_row = top > 0 ? top : 0;
        const int first_col = left > 0 ? left : 0;
        bottom = bottom < height ? bottom : height;
        right = right < width ? right : width;
#if !COUNT_INCLUDE_PAD
        divisor = (bottom - first_row) * (right - first_col);
#endif
        real_t sum = 0;
        for (int row = first_row; row < bottom; ++row)
            for (int col = first_col; col < right; ++col)
                sum += plane[(long long)row * width + col];
        y[index] = divisor > 0 ? sum / (real_t)divisor : (real_t)0;
#endif
    }
}
