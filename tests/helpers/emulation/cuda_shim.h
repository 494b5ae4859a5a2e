// A small CUDA emulation for the CPU: enough of CUDA C++ to compile convviz's kernels with
// g++ -std=c++20 and run them, so their semantics are tested where there is no GPU.
//
// A launch runs the grid's blocks one after another; each block's threads run as std::threads
// (one team per launch, reused from block to block) that meet at __syncthreads() through a
// std::barrier made afresh for each block. __shared__ becomes `static`: a function's
// static locals are shared by every thread running it, which is exactly one block's shared
// memory while blocks run one at a time. __constant__ variables are ordinary globals the harness
// fills with memcpy.
#pragma once

#include <algorithm>
#include <barrier>
#include <cmath>
#include <cstring>
#include <thread>
#include <vector>

struct dim3 {
    unsigned x = 1, y = 1, z = 1;
};

inline thread_local dim3 threadIdx;
inline thread_local dim3 blockIdx;
inline dim3 blockDim;
inline dim3 gridDim;
inline std::barrier<>* emu_block_barrier = nullptr;

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __constant__
#define __shared__ static
#define __launch_bounds__(...)
#define __align__(n) __attribute__((aligned(n)))

inline void __syncthreads() { emu_block_barrier->arrive_and_wait(); }

template <class Kernel, class... Args>
void emu_launch(dim3 grid, dim3 block, Kernel kernel, Args... args)
{
    gridDim = grid;
    blockDim = block;
    const unsigned threads = block.x * block.y * block.z;
    // One team of threads serves every block of the grid in turn (starting a thread costs more
    // than running one of these small blocks): the launcher publishes the next block, `start`
    // lets the team run it, `finish` waits until every thread of it has returned.
    std::barrier<> start(threads + 1);
    std::barrier<> finish(threads + 1);
    dim3 next_block;
    bool done = false;
    std::vector<std::thread> team;
    team.reserve(threads);
    for (unsigned t = 0; t < threads; ++t)
        team.emplace_back([&, t] {
            threadIdx = dim3{t % block.x, (t / block.x) % block.y, t / (block.x * block.y)};
            for (;;) {
                start.arrive_and_wait();
                if (done)
                    return;
                blockIdx = next_block;
                kernel(args...);
                // A thread that has finished still takes part in the block's later barriers.
                emu_block_barrier->arrive_and_drop();
                finish.arrive_and_wait();
            }
        });
    for (unsigned bz = 0; bz < grid.z; ++bz)
        for (unsigned by = 0; by < grid.y; ++by)
            for (unsigned bx = 0; bx < grid.x; ++bx) {
                std::barrier<> barrier(threads);
                emu_block_barrier = &barrier;
                next_block = dim3{bx, by, bz};
                start.arrive_and_wait();
                finish.arrive_and_wait();
            }
    done = true;
    start.arrive_and_wait();
    for (auto& thread : team)
        thread.join();
}
