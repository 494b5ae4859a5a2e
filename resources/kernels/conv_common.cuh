// Shared by every convviz convolution kernel. Compiled by NVRTC (through CuPy or the
// compile test) and by g++ under tests/emulation/cuda_shim.h, so it sticks to the
// subset of CUDA C++ both understand.
//
// Compile-time constants, passed as -D options by convviz/backends/cuda_kernels.py:
//   CONV_T              float or double
//   PAD_MODE            0 zeros, 1 reflect, 2 replicate, 3 circular
//   KH KW SH SW DH DW   kernel size, stride and dilation (height, width)
#pragma once

#ifndef CONV_T
#define CONV_T float
#endif

typedef CONV_T real_t;

#define PAD_ZEROS 0
#define PAD_REFLECT 1
#define PAD_REPLICATE 2
#define PAD_CIRCULAR 3

// The input index that padded position `logical` (input coordinates, so -pad_before is the
// first padded index) copies, or -1 where the padding is zero. Matches
// convviz/core/padding.py source_index, so no padded copy of the input is ever made.
__device__ __forceinline__ int source_index(int logical, int size)
{
#if PAD_MODE == PAD_ZEROS
    return (logical >= 0 && logical < size) ? logical : -1;
#elif PAD_MODE == PAD_REPLICATE
    return logical < 0 ? 0 : (logical >= size ? size - 1 : logical);
#elif PAD_MODE == PAD_CIRCULAR
    int folded = logical % size;
    return folded < 0 ? folded + size : folded;
#elif PAD_MODE == PAD_REFLECT
    if (size == 1)
        return 0;
    int period = 2 * (size - 1);
    int folded = logical % period;
    if (folded < 0)
        folded += period;
    return folded < size ? folded : period - folded;
#else
#error "PAD_MODE must be 0 (zeros), 1 (reflect), 2 (replicate) or 3 (circular)"
#endif
}

// Every kernel takes the same arguments, so one launcher (CuPy or the emulation) fits all.
#define CONV_KERNEL_ARGS                                                                      \
    const real_t* __restrict__ x, const real_t* __restrict__ w, const real_t* __restrict__ bias, \
        real_t* __restrict__ y, int batch, int channels, int height, int width, int out_channels, \
        int out_height, int out_width, int pad_top, int pad_left, int has_bias
