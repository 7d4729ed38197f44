// Experiment 4: lookups while nodes keep joining and failing, in the paper's
// setting (ToN section V.F, Fig. 11): 500 nodes, each stabilizing every 30 s,
// joins and failures each a Poisson process of rate R per second, lookups a
// Poisson process too. A lookup succeeds if it names the key's live owner at
// the moment its answer arrives.
//
// The cores run the paper's timing rather than bench_timing: stabilize and
// check_predecessor every 30 s, one finger every 3 s (about every finger
// once per stabilization round), and a peer taken for dead at its first
// missed reply, as in the paper's pseudocode; the simulated network loses
// nothing, so a missed reply means a dead node. Rows with failures_max = 3
// (the core's default, meant for lossy networks) show what that costs.
#include "experiments.hpp"

#include <chrono>
#include <cmath>

namespace coronet::bench::chord_bench {

namespace {

constexpr double paper_nodes = 500;

void churn_timing(chord::config& c, std::uint32_t failures_max) {
    bench_timing(c);
    c.stabilize_ticks = 300;
    c.check_predecessor_ticks = 300;
    c.fix_fingers_ticks = 30;
    c.failures_max = failures_max;
    // Stale lists must not bring a dead node back before every node has
    // stabilized a few times.
    c.suspect_ticks = 3000;
}

std::uint64_t exponential_us(simulation& sim, double rate_per_s) {
    return static_cast<std::uint64_t>(std::exponential_distribution<double>(rate_per_s)(sim.rng()) * 1e6) + 1;
}

node_index random_live(simulation& sim, const std::vector<node_index>& live) {
    return live[std::uniform_int_distribution<std::size_t>(0, live.size() - 1)(sim.rng())];
}

void collect_results(simulation& sim, churn_row& row, std::vector<double>& path, std::vector<double>& latency) {
    row.orphaned += sim.drop_orphans();
    for (auto& f : sim.take_finished()) {
        ++row.lookups;
        if (!f.result) {
            ++row.failed;
            continue;
        }
        if (f.result.attempts > 1) ++row.retried;
        if (f.result.owner.id != f.true_owner) {
            ++row.wrong_owner;
            if (!sim.up_id(f.result.owner.id)) ++row.wrong_dead;
            continue;
        }
        path.push_back(f.result.owner.id == sim.core(f.origin).self().id ? 0 : f.result.hops + 1);
        latency.push_back(f.latency_ms());
    }
}

/// One event of the churn: a join, a failure or a lookup.
void churn_step(simulation& sim, churn_row& row, std::uint64_t t, std::uint64_t& next_join, std::uint64_t& next_fail,
                std::uint64_t& next_lookup, double lookups_per_s) {
    for (auto n : sim.take_failed_joins()) {
        ++row.join_failures;
        if (auto live = sim.live_ring(); !live.empty()) sim.join(n, random_live(sim, live));
    }
    auto live = sim.live_ring();
    if (t == next_join) {
        auto n = sim.add_node();
        sim.join(n, random_live(sim, live));
        ++row.joins;
        next_join = t + exponential_us(sim, row.rate_per_s);
    } else if (t == next_fail) {
        // Never the last few: a ring needs members to be churned.
        if (live.size() > 8) {
            sim.crash(random_live(sim, live));
            ++row.failures;
        }
        next_fail = t + exponential_us(sim, row.rate_per_s);
    } else {
        sim.lookup(random_live(sim, live), random_key(sim), chord::lookup_style::iterative);
        next_lookup = t + exponential_us(sim, lookups_per_s);
    }
}

churn_row run_rate(simulation sim, churn_row row, double lookups_per_s, double seconds) {
    sim.latency().building = false;
    std::vector<double> path, latency;
    auto start = sim.now_us();
    auto end = start + static_cast<std::uint64_t>(seconds * 1e6);
    auto next_join = start + exponential_us(sim, row.rate_per_s);
    auto next_fail = start + exponential_us(sim, row.rate_per_s);
    auto next_lookup = start + exponential_us(sim, lookups_per_s);
    // Each pass handles one event; the bound is far above the expected count.
    auto passes_max = static_cast<std::size_t>(seconds * (2 * row.rate_per_s + lookups_per_s) * 10) + 1000;
    for (std::size_t pass = 0; pass < passes_max; ++pass) {
        auto t = std::min({next_join, next_fail, next_lookup});
        if (t >= end) break;
        sim.run_until(t);
        churn_step(sim, row, t, next_join, next_fail, next_lookup, lookups_per_s);
        collect_results(sim, row, path, latency);
    }
    // No more churn: let the last lookups finish (bounded by their timeouts).
    for (std::size_t t = 0; t < 170 && sim.lookups_pending() > 0; ++t) {
        sim.run_ticks(1);
        collect_results(sim, row, path, latency);
    }
    auto unanswered = sim.abandon_pending();
    row.lookups += unanswered;
    row.failed += unanswered;
    row.live_at_end = sim.live_ring().size();
    row.path = summarize(std::move(path));
    row.latency_ms = summarize(std::move(latency));
    return row;
}

} // namespace

churn_result run_churn(const bench_options& o) {
    auto t0 = std::chrono::steady_clock::now();
    churn_result out;
    out.nodes = o.quick ? 100 : 500;
    out.seconds_simulated = o.quick ? 300 : 1200;
    out.lookups_per_s = 2; // the paper: 1 per second; twice that for tighter numbers
    std::vector<double> paper_rates = o.quick ? std::vector<double>{0.05, 0.2, 0.4}
                                              : std::vector<double>{0.05, 0.1, 0.2, 0.3, 0.4};
    for (std::uint32_t failures_max : {1u, 3u}) {
        if (o.quick && failures_max != 1) continue;
        auto opts = make_sim_options(o, 4);
        opts.timing = [failures_max](chord::config& c) { churn_timing(c, failures_max); };
        simulation base(opts);
        chord::config c;
        opts.timing(c);
        out.stabilize_period_s = static_cast<double>(c.stabilize_ticks * opts.tick_us) / 1e6;
        out.fix_fingers_period_s = static_cast<double>(c.fix_fingers_ticks * opts.tick_us) / 1e6;
        auto build = grow_ring(base, out.nodes, true, 20000);
        if (failures_max == 1) out.build = build;
        for (double r : paper_rates) {
            churn_row row;
            row.paper_rate = r;
            // Fewer nodes churn proportionally less: the same lifetime per node.
            row.rate_per_s = r * static_cast<double>(out.nodes) / paper_nodes;
            row.failures_max = failures_max;
            out.rows.push_back(run_rate(base, row, out.lookups_per_s, out.seconds_simulated));
        }
    }
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return out;
}

} // namespace coronet::bench::chord_bench
