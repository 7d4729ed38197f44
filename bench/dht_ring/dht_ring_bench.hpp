#pragma once
// `coronet bench dht`: Chord lookups on a ring of real processes on loopback
// (`coronet dht serve`), iterative against recursive, at one and at many
// concurrent lookups, with the nodes talking over UDP, then over TCP and
// io_uring connections (the same messages): lookups/s, p50/p99 latency, mean
// hops, and how many owners were wrong (checked against the ring's true
// order).
// The simulated counterpart, at up to 8,192 nodes, is `coronet bench chord`.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace coronet::bench::dht_ring {

struct options {
    unsigned nodes = 8;               ///< server processes; the benchmark's own node joins as one more
    double seconds = 3;               ///< per cell
    std::vector<unsigned> concurrency{1, 32};
    /// A ring of its own for each, in this order; the first is the baseline of the ratios.
    std::vector<std::string> transports{"udp", "tcp", "uring"};
    unsigned tick_ms = 50;
    double settle_seconds = 3;        ///< after the joins, for fingers to fill in
    std::string program;              ///< the coronet executable (its `dht serve`)
    std::string json;                 ///< also write the results here
    bool quick = false;
    /// The second part: keys put and read back through each DHT's HTTP front,
    /// coronet's against OpenDHT's dhtnode (if installed).
    bool peers = true;
    std::size_t http_keys = 500;
};

/// Runs every cell, prints the table; 0 on success.
int run(const options& o);

} // namespace coronet::bench::dht_ring
