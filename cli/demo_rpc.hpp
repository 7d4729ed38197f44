#pragma once
// The demo's RPC row: one Cap'n Proto echo service called two ways — blocking
// calls from a plain thread, one at a time (sync), and awaitable calls from
// coroutines, many in flight on one thread (async).

#include <cstddef>

namespace coronet::cli {

struct rpc_comparison {
    std::size_t calls = 0;         ///< each way
    double blocking_per_sec = 0;
    double blocking_p50_us = 0;
    double awaitable_per_sec = 0;
    std::size_t in_flight = 0;     ///< awaitable calls outstanding at once
};

/// Serves on tcp://127.0.0.1:0 and calls it; server and client each have a
/// thread of their own. Throws if a call fails or returns the wrong bytes.
rpc_comparison compare_rpc_calls(std::size_t calls = 4000, std::size_t in_flight = 32);

} // namespace coronet::cli
