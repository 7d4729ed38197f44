#pragma once
// Heap allocations counted while a cell runs, at two levels: calls of the
// global operator new, and every call into the C allocator (malloc, calloc,
// realloc, aligned_alloc, posix_memalign, memalign: operator new's own malloc
// included, and what bypasses operator new: Asio's handler and coroutine-frame
// memory (std::aligned_alloc), capnp's message segments (calloc), gRPC's core
// (malloc)). The replacements live in alloc_hook.cpp, which only the benchmark
// executables link (never a library); without it, or in a sanitizer build,
// nothing is counted and installed() says so. Counting is off except between
// start() and stop(): the hooks cost one relaxed load per allocation otherwise.

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace coronet::bench::alloc {

/// Which side of a call a thread works for; set by each thread it matters for.
enum class role : int { other = 0, client = 1, server = 2 };
void set_thread_role(role r);

struct counts {
    std::uint64_t news[3] = {};  ///< operator new calls, by role
    std::uint64_t allocs[3] = {}; ///< C allocator calls (operator new's included), by role
    std::uint64_t bytes[3] = {};  ///< bytes asked of the C allocator, by role
    std::uint64_t total_news() const { return news[0] + news[1] + news[2]; }
    std::uint64_t total_allocs() const { return allocs[0] + allocs[1] + allocs[2]; }
    std::uint64_t total_bytes() const { return bytes[0] + bytes[1] + bytes[2]; }
};

/// Zeroes the counters and starts counting (every thread).
void start();
/// Stops counting and returns what was counted.
counts stop();
/// Whether the counting hooks are linked in and see allocations (probed once).
bool installed();

// For alloc_hook.cpp.
extern std::atomic<bool> counting;
void record_new() noexcept;
void record_alloc(std::size_t bytes) noexcept;

} // namespace coronet::bench::alloc
