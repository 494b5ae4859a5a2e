// The launch machinery of cuda_shim.h, built once per test session as a shared library that
// every emulated kernel's library links: one copy per process, whichever kernels are loaded.
//
// A process-wide team of threads, grown to the largest block launched and kept between launches
// (starting 256 threads for every launch cost more than running these small grids), runs the
// blocks of a grid one after another: member t runs thread t of each block. A launch calls its
// first `threads` members in (mutex and condition variable, once per launch); then for each block
// the launcher publishes it, a `start` barrier lets the members run it, and a `finish` barrier
// waits until every one has returned from the kernel. Each block gets a fresh std::barrier for
// __syncthreads(), which a member drops out of when it returns.
#include "cuda_shim.h"

#include <barrier>
#include <condition_variable>
#include <mutex>
#include <thread>

thread_local dim3 threadIdx;
thread_local dim3 blockIdx;
dim3 blockDim;
dim3 gridDim;

namespace {

struct Launch {
    explicit Launch(unsigned threads) : threads(threads), start(threads + 1), finish(threads + 1) {}
    const unsigned threads;
    std::barrier<> start;
    std::barrier<> finish;
    void (*body)(void*) = nullptr;
    void* context = nullptr;
    dim3 next_block;
    bool done = false;
};

struct Team {
    std::mutex launch;  // one launch at a time
    std::mutex mutex;   // guards the members below
    std::condition_variable wake_members;
    std::condition_variable wake_launcher;
    unsigned members = 0;
    unsigned long long generation = 0;  // bumps once per launch
    Launch* current = nullptr;
    unsigned inside = 0;  // members still inside the current launch
};

// Never destroyed: members wait on its condition variable until the process exits.
Team& team = *new Team;
std::barrier<>* block_barrier = nullptr;

// Member t, started when the team's generation was `seen`.
void member(unsigned t, unsigned long long seen)
{
    std::unique_lock lock(team.mutex);
    for (;;) {
        team.wake_members.wait(lock, [&] { return team.generation != seen; });
        seen = team.generation;
        Launch* launch = team.current;
        if (launch == nullptr || t >= launch->threads)
            continue;  // not needed for this launch (or woken after it ended)
        lock.unlock();
        const dim3 size = blockDim;
        threadIdx = dim3{t % size.x, (t / size.x) % size.y, t / (size.x * size.y)};
        for (;;) {
            launch->start.arrive_and_wait();
            if (launch->done)
                break;
            blockIdx = launch->next_block;
            launch->body(launch->context);
            // A thread that has finished still takes part in the block's later barriers.
            block_barrier->arrive_and_drop();
            launch->finish.arrive_and_wait();
        }
        lock.lock();
        if (--team.inside == 0)
            team.wake_launcher.notify_one();
    }
}

}  // namespace

void __syncthreads() { block_barrier->arrive_and_wait(); }

void emu_run_grid(dim3 grid, dim3 block, void (*body)(void*), void* context)
{
    std::lock_guard one_at_a_time(team.launch);
    const unsigned threads = block.x * block.y * block.z;
    gridDim = grid;
    blockDim = block;
    Launch launch(threads);
    launch.body = body;
    launch.context = context;
    {
        std::lock_guard lock(team.mutex);
        for (; team.members < threads; ++team.members)
            std::thread(member, team.members, team.generation).detach();
        team.current = &launch;
        team.inside = threads;
        ++team.generation;
    }
    team.wake_members.notify_all();
    for (unsigned bz = 0; bz < grid.z; ++bz)
        for (unsigned by = 0; by < grid.y; ++by)
            for (unsigned bx = 0; bx < grid.x; ++bx) {
                std::barrier<> barrier(threads);
                block_barrier = &barrier;
                launch.next_block = dim3{bx, by, bz};
                launch.start.arrive_and_wait();
                launch.finish.arrive_and_wait();
            }
    launch.done = true;
    launch.start.arrive_and_wait();
    // `launch` lives on this stack: wait until every member is out of its barriers.
    std::unique_lock lock(team.mutex);
    team.wake_launcher.wait(lock, [] { return team.inside == 0; });
    team.current = nullptr;
}
