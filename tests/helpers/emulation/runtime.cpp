// The launch machinery of cuda_shim.h: compiled once per test session (with hidden visibility)
// and linked into each emulated kernel's shared library, so every library has its own copy.
#include "cuda_shim.h"

#include <barrier>
#include <thread>
#include <vector>

thread_local dim3 threadIdx;
thread_local dim3 blockIdx;
dim3 blockDim;
dim3 gridDim;

static std::barrier<>* emu_block_barrier = nullptr;

void __syncthreads() { emu_block_barrier->arrive_and_wait(); }

void emu_run_grid(dim3 grid, dim3 block, void (*body)(void*), void* context)
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
                body(context);
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
