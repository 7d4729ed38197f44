#pragma once
// The demo's transport row: one echo service on tcp:// and on uring://,
// driven by a sequential client (sync: send, wait, next) and by concurrent
// clients (async: many connections in flight on one thread).

#include <coronet/histogram.hpp>

#include <string>
#include <vector>

namespace coronet::cli {

struct echo_measurement {
    std::string url;
    histogram sequential_rtt; ///< ns
    double sequential_per_sec = 0;
    double concurrent_per_sec = 0;
};

inline constexpr std::size_t echo_concurrent_clients = 32;

/// tcp, then uring (one after the other, so they do not compete for a core).
std::vector<echo_measurement> measure_echo_transports();

} // namespace coronet::cli
