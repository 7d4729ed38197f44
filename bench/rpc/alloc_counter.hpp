#pragma once
// Heap allocations counted while a cell runs. The counting operator new /
// delete live in alloc_hook.cpp, which only the benchmark executables link
// (never a library): without it every count stays zero and installed() says so.
// Counting is off except between start() and stop(), so the hook costs one
// relaxed load per allocation the rest of the time.

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace coronet::bench::alloc {

/// Which side of a call a thread works for; set once by each thread.
enum class role : int { other = 0, client = 1, server = 2 };
void set_thread_role(role r);

struct counts {
    std::uint64_t allocs[3] = {}; ///< by role
    std::uint64_t bytes[3] = {};
    std::uint64_t total_allocs() const { return allocs[0] + allocs[1] + allocs[2]; }
    std::uint64_t total_bytes() const { return bytes[0] + bytes[1] + bytes[2]; }
};

/// Zeroes the counters and starts counting (every thread).
void start();
/// Stops counting and returns what was counted.
counts stop();
/// Whether the counting operator new is linked in (probed once).
bool installed();

// For alloc_hook.cpp.
extern std::atomic<bool> counting;
void record(std::size_t bytes) noexcept;

} // namespace coronet::bench::alloc
