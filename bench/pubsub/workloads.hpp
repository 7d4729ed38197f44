#pragma once
// One cell: a publisher thread and a subscriber loop (every subscriber
// connection in one thread, on one epoll) against a running
// broker, through a peer's protocol. Each payload carries its send time
// (steady_clock ns) and a sequence number, so the subscriber measures
// latency and counts what was lost without asking the broker.

#include "peer.hpp"

#include <chrono>
#include <cstdint>
#include <string>

namespace coronet::bench::pubsub_bench {

enum class workload_kind {
    throughput, ///< publish as fast as possible to `subscribers`: deliveries/s
    latency,    ///< publish at a fixed rate to one subscriber: p50/p99 publish→receive
};

struct cell_spec {
    workload_kind kind = workload_kind::throughput;
    int subscribers = 1;
    std::size_t payload_bytes = 64; ///< at least 16 (send time, sequence number)
    std::string topic = "bench.pubsub";
    // throughput
    std::uint64_t warmup_messages = 10'000; ///< delivered to every subscriber before measuring
    std::uint64_t messages_max = 2'000'000; ///< measured messages published...
    std::chrono::milliseconds publish_max{3000}; ///< ...or for this long, whichever ends first
    // latency
    double rate_per_sec = 10'000;
    std::chrono::milliseconds warmup{300}, measure{1500};
    /// Once the publisher is done, a subscriber that hears nothing for this
    /// long has lost the rest.
    std::chrono::milliseconds idle_end{1000};
    /// The whole cell, handshakes included; past it the cell fails.
    std::chrono::milliseconds cell_max{30'000};
    int client_cpu = -1; ///< pin both client threads here (-1: unpinned)
};

struct cell_result {
    std::uint64_t published = 0; ///< measured messages the publisher sent
    std::uint64_t expected = 0;  ///< published × subscribers
    std::uint64_t received = 0;  ///< of those, delivered
    std::uint64_t lost = 0;      ///< expected − received
    int disconnected = 0;        ///< subscriber connections the broker closed
    double seconds = 0;          ///< first measured send → last receive
    double msgs_per_sec = 0;     ///< received / seconds (deliveries, all subscribers)
    double p50_us = 0, p99_us = 0, max_us = 0; ///< latency workload only
    /// CPUs the two client threads used over the measured window: near 1.0,
    /// the client (not the broker) may be what limits the rate.
    double client_cpu = 0;
    double foreign_cpu = 0; ///< CPUs other processes used meanwhile (set by the driver)
    std::string note;       ///< what the broker counted, how subscribers ended
};

/// Runs one cell against the broker on 127.0.0.1:port; throws on a protocol
/// error, a failed handshake or a cell that exceeds cell_max.
cell_result run_cell(protocol& p, std::uint16_t port, const cell_spec& s);

/// Pins the calling thread to `cpu` (-1 or a 1-CPU machine: no-op).
void pin_this_thread(int cpu);

} // namespace coronet::bench::pubsub_bench
