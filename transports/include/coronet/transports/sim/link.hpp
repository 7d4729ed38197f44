#pragma once
// What a simulated link does to the packets crossing it, and how simulated
// TCP reacts: each fallacy of distributed computing is one field here.

#include <coronet/clock.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace coronet::sim {

using namespace std::chrono_literals;

struct link_model {
    /// One-way delay: latency is not zero.
    duration latency = 1ms;
    /// Added to each packet's delay, drawn from jitter_shape with scale
    /// `jitter`; reorders datagrams.
    duration jitter = 0ms;
    enum class shape {
        uniform,     // in [0, jitter]
        exponential, // mean jitter: mostly small, a long tail
        normal,      // |N(0, jitter)|: half-normal
    } jitter_shape = shape::uniform;
    /// Probability that a packet is lost: the network is not reliable.
    double loss = 0;
    /// Probability that a packet arrives twice.
    double duplicate = 0;
    /// Probability that a packet is held back by reorder_delay, so later
    /// packets overtake it.
    double reorder = 0;
    duration reorder_delay = 5ms;
    /// Bytes per second, 0 for unlimited: bandwidth is not infinite. Packets
    /// queue behind each other on the link.
    std::uint64_t bandwidth = 0;
    /// The largest datagram the link carries; larger sends fail with
    /// message_size, as with the don't-fragment bit set.
    std::size_t mtu = 65507;
};

/// Throws std::invalid_argument naming the field that is out of range.
void validate(const link_model& m);

/// Simulated TCP: loss and partitions turn into retransmissions with
/// exponential back-off, and a connection that cannot get through gives up
/// the way Linux does (defaults: tcp_retries2 = 15, tcp_syn_retries = 6).
struct tcp_model {
    /// The retransmission timeout follows the measured round trip (RFC 6298:
    /// srtt + 4 rttvar), starting at rto_initial, within [rto_min, rto_max].
    duration rto_initial = 1s;
    duration rto_min = 200ms;
    duration rto_max = 120s;
    int retries = 15;
    duration syn_rto = 1s;
    int syn_retries = 6;
    /// Bytes a sender may have unread at the receiver: back-pressure.
    std::size_t window = 256 * 1024;
    /// The most payload per packet (Ethernet's MSS): loss hits per segment.
    std::size_t segment_bytes = 1460;
    /// Connections waiting for accept(); SYNs beyond are dropped and retried.
    std::size_t backlog = 128;
};

void validate(const tcp_model& m);

} // namespace coronet::sim
