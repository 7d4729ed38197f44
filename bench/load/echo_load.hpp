#pragma once
// The load generator: a plain epoll client on the calling thread, the same for
// every server, so differences between rows come from the servers.

#include <chrono>
#include <cstdint>
#include <string>

namespace coronet::bench {

struct workload {
    std::string name;
    int connections;
    int inflight;             // messages outstanding per connection, always
    std::size_t message_bytes;
    std::chrono::milliseconds duration;
    bool busy_poll = false;
    std::uint64_t ops_max = 50'000'000; // a second bound besides time
};

struct load_result {
    std::uint64_t ops = 0;    // messages echoed back in full during the measured window
    double ops_per_sec = 0;
    double bytes_per_sec = 0; // echoed payload bytes per second (one direction)
    double p50_us = 0;        // round trip, only when inflight == 1
    double p99_us = 0;
};

/// Drives an echo server on 127.0.0.1:port. The first 10% of the duration is
/// warm-up and not counted. Throws on connect failure or a wrong echo.
load_result run_echo_load(std::uint16_t port, const workload& w);

} // namespace coronet::bench
