// Experiments 1 and 5: lookup path length as the ring doubles from 16 nodes
// (the paper's Fig. 10-style sweep of N = 2^k), in both lookup styles, with
// their latency under the latency model.
#include "experiments.hpp"

#include "progress.hpp"

#include <bit>
#include <chrono>

namespace coronet::bench::chord_bench {

chord::id random_key(simulation& sim) {
    std::array<std::uint8_t, chord::id::bytes> b{};
    for (auto& x : b) x = static_cast<std::uint8_t>(sim.rng()());
    return chord::id::from_bytes(b).shifted_right(chord::id::bits_max - sim.ring().bits());
}

sim_options make_sim_options(const bench_options& o, std::uint64_t salt) {
    sim_options s;
    // Each experiment its own stream, all of them fixed by --seed.
    s.seed = o.seed * 0x9E3779B97F4A7C15ull + salt;
    return s;
}

lookup_batch measure_lookups(simulation& sim, std::size_t count, chord::lookup_style style) {
    lookup_batch b;
    b.style = std::string(chord::to_string(style));
    bool was_building = sim.latency().building;
    sim.latency().building = false;
    auto live = sim.live_ring();
    std::size_t started = 0;
    for (std::size_t i = 0; i < count; ++i) {
        auto origin = live[std::uniform_int_distribution<std::size_t>(0, live.size() - 1)(sim.rng())];
        if (sim.lookup(origin, random_key(sim), style)) ++started;
    }
    // Every attempt gives up after lookup_timeout_ticks: three attempts and
    // some slack bound the wait.
    const auto& c = sim.core(live.front()).config();
    auto bound = std::uint64_t{c.lookup_timeout_ticks} * c.lookup_attempts_max + 20;
    std::vector<double> path, hops, latency;
    for (std::uint64_t t = 0; t < bound && sim.lookups_pending() > 0; ++t) sim.run_ticks(1);
    sim.abandon_pending();
    for (auto& f : sim.take_finished()) {
        ++b.lookups;
        if (!f.result) {
            ++b.failed;
            continue;
        }
        auto owner = f.result.owner.id;
        if (owner != f.true_owner) ++b.wrong_owner;
        auto p = owner == sim.core(f.origin).self().id ? 0u : f.result.hops + 1;
        path.push_back(p);
        hops.push_back(f.result.hops);
        latency.push_back(f.latency_ms());
        if (b.histogram.size() <= p) b.histogram.resize(p + 1);
        ++b.histogram[p];
    }
    // Lookups still pending after the bound count as failed.
    b.failed += started - b.lookups;
    b.lookups = started;
    b.path = summarize(std::move(path));
    b.hops = summarize(std::move(hops));
    b.latency_ms = summarize(std::move(latency));
    sim.latency().building = was_building;
    return b;
}

path_result run_path_length(const bench_options& o) {
    auto t0 = std::chrono::steady_clock::now();
    path_result out;
    out.lookups_per_point = o.quick ? 500 : 5000;
    simulation sim(make_sim_options(o, 1));
    // The largest rings take most of the run (minutes at N = 8192 on 2 cores).
    report::progress shown("path length", std::bit_width(o.max_nodes) - std::bit_width(std::size_t{16}) + 1);
    for (std::size_t n = 16; n <= o.max_nodes; n *= 2) {
        path_point p;
        p.nodes = n;
        p.build = grow_ring(sim, n, true);
        p.iterative = measure_lookups(sim, out.lookups_per_point, chord::lookup_style::iterative);
        p.recursive = measure_lookups(sim, out.lookups_per_point, chord::lookup_style::recursive);
        out.points.push_back(std::move(p));
        shown.advance("N = " + std::to_string(n));
    }
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return out;
}

} // namespace coronet::bench::chord_bench
