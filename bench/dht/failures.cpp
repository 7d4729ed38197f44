// Experiment 3: a fraction p of the nodes fails at once, and lookups start at
// that same instant, before stabilization has noticed (the paper's Table III
// and Fig. 10 setting). Failed nodes are found only when they do not answer.
// The same lookups are repeated once stabilization has had time to repair
// the ring.
#include "experiments.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <map>
#include <set>

namespace coronet::bench::chord_bench {

namespace {

struct request {
    node_index origin;
    chord::id key;
    chord::id owner_before; ///< the key's owner before the failure
};

failure_row run_batch(simulation& sim, const std::vector<request>& requests, chord::lookup_style style) {
    failure_row row;
    row.style = std::string(chord::to_string(style));
    bool was_building = sim.latency().building;
    sim.latency().building = false;
    row.wrong_successors = sim.health(false).wrong_successors;
    std::map<chord::id, chord::id> owner_before;
    for (const auto& r : requests) {
        owner_before[r.key] = r.owner_before;
        if (sim.lookup(r.origin, r.key, style)) ++row.lookups;
    }
    const auto& c = sim.core(requests.front().origin).config();
    auto bound = std::uint64_t{c.lookup_timeout_ticks} * c.lookup_attempts_max + 20;
    for (std::uint64_t t = 0; t < bound && sim.lookups_pending() > 0; ++t) sim.run_ticks(1);
    auto unanswered = sim.abandon_pending();
    row.failed += unanswered;
    row.first_attempt_failed += unanswered;
    std::vector<double> path, latency;
    std::set<chord::id> live;
    for (auto n : sim.live_ring()) live.insert(sim.core(n).self().id);
    for (auto& f : sim.take_finished()) {
        if (!live.contains(owner_before.at(f.result.key))) ++row.key_lost;
        if (!f.result) {
            ++row.failed;
            ++row.first_attempt_failed;
            continue;
        }
        bool right = f.result.owner.id == f.true_owner;
        if (!right) ++row.wrong_owner;
        if (!right || f.result.attempts > 1) ++row.first_attempt_failed;
        path.push_back(f.result.owner.id == sim.core(f.origin).self().id ? 0 : f.result.hops + 1);
        latency.push_back(f.latency_ms());
    }
    row.path = summarize(std::move(path));
    row.latency_ms = summarize(std::move(latency));
    sim.latency().building = was_building;
    return row;
}

} // namespace

failure_result run_failures(const bench_options& o) {
    auto t0 = std::chrono::steady_clock::now();
    failure_result out;
    out.nodes = o.quick ? 200 : 1000; // the paper's Table III: 1000 nodes
    std::size_t lookups = o.quick ? 500 : 5000;
    out.stabilize_ticks = {100, 300};
    simulation base(make_sim_options(o, 3));
    out.successors = base.options().successors;
    out.build = grow_ring(base, out.nodes, true);
    for (double p : {0.1, 0.2, 0.3, 0.4, 0.5}) {
        auto failed_sim = base;
        auto live = failed_sim.live_ring();
        std::shuffle(live.begin(), live.end(), failed_sim.rng());
        auto dead = static_cast<std::size_t>(std::lround(p * static_cast<double>(live.size())));
        std::vector<request> requests;
        for (std::size_t i = 0; i < lookups; ++i) {
            auto key = random_key(failed_sim);
            auto origin = live[dead + std::uniform_int_distribution<std::size_t>(0, live.size() - dead - 1)(
                                          failed_sim.rng())];
            requests.push_back({origin, key, failed_sim.core(failed_sim.true_owner(key)).self().id});
        }
        for (std::size_t i = 0; i < dead; ++i) failed_sim.crash(live[i]);
        for (auto style : {chord::lookup_style::iterative, chord::lookup_style::recursive}) {
            auto sim = failed_sim;
            auto row = run_batch(sim, requests, style);
            row.fraction_failed = p;
            row.nodes_failed = dead;
            row.when = "at once";
            out.rows.push_back(std::move(row));
            if (style != chord::lookup_style::iterative) continue;
            // Twice: a node whose whole successor list died falls back on a
            // far finger, and stabilization walks it back one node per round.
            std::uint64_t waited = 0;
            for (auto ticks : out.stabilize_ticks) {
                sim.run_ticks(ticks - waited);
                waited = ticks;
                auto after = run_batch(sim, requests, style);
                after.fraction_failed = p;
                after.nodes_failed = dead;
                after.when = fmt::format("after {} s", ticks / 10);
                out.rows.push_back(std::move(after));
            }
        }
    }
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return out;
}

} // namespace coronet::bench::chord_bench
