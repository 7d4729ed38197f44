#pragma once
// Growing a simulated Chord ring through the protocol itself. The core
// offers no way to load routing state from outside, so every node joins
// (a lookup of its own id through a random member) and stabilize,
// notify and fix_fingers do the rest, in virtual time.
//
// Joining one node at a time is too slow for 8192 nodes, so the ring grows
// in waves: each wave at most doubles it, all its joins start together (on
// average one per gap between old members, which stabilization sorts out in
// a round or two), and the next wave waits until the ring is right.

#include "simulation.hpp"

#include <cstdint>

namespace coronet::bench::chord_bench {

struct build_result {
    std::size_t nodes = 0;
    std::size_t waves = 0;
    std::size_t join_retries = 0;
    /// Virtual time the last wave took to converge.
    std::uint64_t converge_ticks = 0;
    bool converged = false;
    ring_health health;
};

/// Grows `sim` (empty, or a converged ring) to `nodes` live members and runs
/// until every successor, predecessor, successor list and (with `fingers`)
/// finger is right, or `max_ticks_per_wave` pass in a wave. Uses the
/// latency model's build mode while it runs, and restores the mode after.
build_result grow_ring(simulation& sim, std::size_t nodes, bool fingers, std::uint64_t max_ticks_per_wave = 2000);

} // namespace coronet::bench::chord_bench
