#pragma once
// The load generator: closed-loop puts from many clients, each a coroutine
// with its own keep-alive connection, all on the calling thread's
// io_context (not a thread per client). Each client puts 64-byte values on
// keys no other put uses, one put at a time, for a fixed time.

#include "kv_system.hpp"

#include <chrono>
#include <cstdint>
#include <string>

namespace coronet::bench::kv_bench {

struct load_spec {
    unsigned clients = 1;
    std::chrono::milliseconds warmup{500};   ///< puts sent before this are not counted
    std::chrono::milliseconds measure{5000}; ///< the measured window after the warm-up: puts sent in it count
    std::chrono::milliseconds request_timeout{10'000};
    std::size_t value_bytes = 64;
    unsigned clients_max = 4096;
};

struct load_result {
    unsigned clients = 0;
    double seconds = 0;            ///< the measured window
    std::uint64_t puts = 0;        ///< puts sent inside it and acknowledged (200), however late
    std::uint64_t errors = 0;      ///< refused puts and broken connections, the whole cell
    std::uint64_t redirects = 0;   ///< 307s followed: the leader moved during the cell
    std::string first_error;
    double puts_per_sec = 0;
    double p50_us = 0, p99_us = 0, max_us = 0; ///< per-put latency, acknowledged puts
};

/// Runs one cell against 127.0.0.1:port (the leader; clients follow a
/// redirect to a new one) and returns when every
/// client has finished its last put (each bounded by `request_timeout`).
load_result run_put_load(const kv_system& system, std::uint16_t port, const load_spec& spec);

} // namespace coronet::bench::kv_bench
