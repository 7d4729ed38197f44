#include "ring_builder.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace coronet::bench::chord_bench {

namespace {

/// Health is checked this often: a full finger check of a large ring costs
/// about as much as a tick of it.
constexpr std::uint64_t check_every_ticks = 4;

node_index random_member(simulation& sim, const std::vector<node_index>& members) {
    return members[std::uniform_int_distribution<std::size_t>(0, members.size() - 1)(sim.rng())];
}

/// Runs until the wave's nodes have joined and the ring (and fingers) are
/// right; rejoins nodes whose join failed. Returns ticks taken, or max_ticks
/// + 1 if it never settled.
std::uint64_t settle(simulation& sim, const std::vector<node_index>& members, bool fingers, std::uint64_t max_ticks,
                     build_result& out) {
    for (std::uint64_t t = 0; t <= max_ticks; t += check_every_ticks) {
        for (auto n : sim.take_failed_joins()) {
            ++out.join_retries;
            sim.join(n, random_member(sim, members));
        }
        out.health = sim.health(false);
        if (out.health.live == out.nodes && out.health.ring_ok()) {
            if (!fingers) return t;
            out.health = sim.health(true);
            if (out.health.ok()) return t;
        }
        sim.run_ticks(check_every_ticks);
    }
    return max_ticks + 1;
}

} // namespace

build_result grow_ring(simulation& sim, std::size_t nodes, bool fingers, std::uint64_t max_ticks_per_wave) {
    build_result out;
    bool was_building = sim.latency().building;
    sim.latency().building = true;
    auto members = sim.live_ring();
    if (members.empty()) {
        auto first = sim.add_node();
        sim.create(first);
        members.push_back(first);
    }
    out.nodes = members.size();
    // Bounded: each wave adds at least one node.
    while (members.size() < nodes) {
        auto wave = std::min(nodes - members.size(), members.size());
        std::vector<node_index> joining;
        for (std::size_t i = 0; i < wave; ++i) {
            auto n = sim.add_node();
            sim.join(n, random_member(sim, members));
            joining.push_back(n);
        }
        ++out.waves;
        out.nodes = members.size() + wave;
        bool last = members.size() + wave == nodes;
        // Failed joins retry through the members of before the wave, which
        // are surely in the ring.
        out.converge_ticks = settle(sim, members, fingers && last, max_ticks_per_wave, out);
        members.insert(members.end(), joining.begin(), joining.end());
        out.converged = out.converge_ticks <= max_ticks_per_wave;
        if (!out.converged) break;
    }
    if (out.waves == 0) {
        out.converge_ticks = settle(sim, members, fingers, max_ticks_per_wave, out);
        out.converged = out.converge_ticks <= max_ticks_per_wave;
    }
    sim.latency().building = was_building;
    return out;
}

} // namespace coronet::bench::chord_bench
