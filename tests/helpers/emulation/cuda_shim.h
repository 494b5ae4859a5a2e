// A small CUDA emulation for the CPU: enough of CUDA C++ to compile convviz's kernels with
// g++ -std=c++20 and run them, so their semantics are tested where there is no GPU.
//
// This header is what each kernel build sees: CUDA's keywords, dim3, threadIdx and friends, and
// emu_launch. The launch machinery itself (threads, barriers) is in runtime.cpp, built once per
// test session as a shared library that every kernel's library links, so a kernel build
// instantiates no std::thread or std::barrier code (that was three quarters of its compile time).
// The header includes no standard headers: the kernels call no library functions (add an
// #include here if one starts to, as CUDA offers its math functions without one).
//
// A launch runs the grid's blocks one after another; each block's threads run as std::threads
// (one team for the process, kept from launch to launch) that meet at __syncthreads() through a
// std::barrier made afresh for each block. __shared__ becomes `static`: a function's static
// locals are shared by every thread running it, which is exactly one block's shared memory
// while blocks run one at a time. __constant__ variables are ordinary globals the harness fills
// with memcpy.
#pragma once

struct dim3 {
    unsigned x = 1, y = 1, z = 1;
};

extern thread_local dim3 threadIdx;
extern thread_local dim3 blockIdx;
extern dim3 blockDim;
extern dim3 gridDim;

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __constant__
#define __shared__ static
#define __launch_bounds__(...)
#define __align__(n) __attribute__((aligned(n)))

void __syncthreads();

// Runs body(context) once for every thread of every block of the grid (runtime.cpp).
void emu_run_grid(dim3 grid, dim3 block, void (*body)(void*), void* context);

template <class Kernel, class... Args>
void emu_launch(dim3 grid, dim3 block, Kernel kernel, Args... args)
{
    auto call = [&] { kernel(args...); };
    emu_run_grid(grid, block, [](void* context) { (*static_cast<decltype(call)*>(context))(); }, &call);
}
