#pragma once
// How long a message takes between two simulated Chord nodes.
//
// Each unordered pair of nodes has one fixed one-way latency, drawn uniformly
// from [min_ms, max_ms] by hashing the seed and the pair: no jitter, no loss,
// no queueing. A fixed per-pair delay keeps messages between two nodes in
// order (as on one TCP connection) and makes a route's cost the sum of its
// links, so iterative and recursive lookups can be compared hop for hop.
// The default 10-100 ms one way (20-200 ms round trips) is a wide-area spread.
//
// While a ring is being built the model can be switched to a flat
// build_ms: building is not what is measured, and with latency far below a
// tick the ring converges in fewer simulated ticks.

#include <cstdint>

namespace coronet::bench::chord_bench {

struct latency_model {
    double min_ms = 10;
    double max_ms = 100;
    double build_ms = 1;
    std::uint64_t seed = 0;
    /// Use build_ms for every pair.
    bool building = false;

    /// One-way delay from node a to node b in microseconds (a and b are
    /// simulation indices; the delay is the same both ways).
    std::uint64_t one_way_us(std::uint32_t a, std::uint32_t b) const;
};

} // namespace coronet::bench::chord_bench
