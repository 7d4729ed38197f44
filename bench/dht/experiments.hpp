#pragma once
// The five experiments of `coronet bench chord`, after the Chord paper's
// section V (Stoica et al., IEEE/ACM ToN 11(1), 2003), and what each
// measures. Every number comes from running the real cores in `simulation`.

#include "ring_builder.hpp"
#include "summary.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace coronet::bench::chord_bench {

struct bench_options {
    bool quick = false;
    std::uint64_t seed = 1;
    /// Largest ring of the path-length sweep (rounded down to a power of two).
    std::size_t max_nodes = 8192;
    std::string json_path;
};

/// One batch of lookups in one style on a settled ring.
struct lookup_batch {
    std::string style;
    std::size_t lookups = 0;
    std::size_t failed = 0;      ///< ended with an error
    std::size_t wrong_owner = 0; ///< named a node that is not the key's live owner
    /// Nodes on the path, the owner included and the origin not (0 if the
    /// origin owns the key): the paper's path length, the core's hops + 1.
    summary path;
    summary hops; ///< the core's count: routing decisions, the owner's not
    summary latency_ms;
    /// Path lengths: histogram[k] lookups took k nodes.
    std::vector<std::size_t> histogram;
};

// ---- 1 and 5: path length vs N, iterative vs recursive ------------------

struct path_point {
    std::size_t nodes = 0;
    build_result build;
    lookup_batch iterative, recursive;
};

struct path_result {
    std::vector<path_point> points;
    std::size_t lookups_per_point = 0;
    double seconds = 0;
};

path_result run_path_length(const bench_options& o);

/// Runs `count` lookups of random keys from random live nodes in `style`,
/// under the latency model, and waits (bounded) for all of them.
lookup_batch measure_lookups(simulation& sim, std::size_t count, chord::lookup_style style);

// ---- 2: keys per node ----------------------------------------------------

struct load_row {
    std::size_t nodes = 0;
    std::size_t virtual_per_node = 1;
    std::size_t keys = 0;
    summary per_node; ///< keys per physical node
};

struct load_result {
    std::vector<load_row> rows;
    double seconds = 0;
};

load_result run_load_balance(const bench_options& o);

// ---- 3: simultaneous failures ----------------------------------------------

struct failure_row {
    double fraction_failed = 0; ///< p
    std::size_t nodes_failed = 0;
    std::string style;
    std::string when; ///< "at once", or "after <s> s" of stabilization
    std::size_t lookups = 0;
    /// Not right on the first attempt: retried, failed or a wrong owner.
    std::size_t first_attempt_failed = 0;
    std::size_t failed = 0;               ///< error after every attempt
    std::size_t wrong_owner = 0;          ///< answered, but with a dead or wrong node
    std::size_t key_lost = 0;             ///< the key's owner before the failure died
    /// Live nodes whose successor was not the next live node when the batch
    /// started (right after the failure that is every node whose successor died).
    std::size_t wrong_successors = 0;
    summary path;
    summary latency_ms;
    double eventually_failed_fraction() const {
        return lookups ? static_cast<double>(failed + wrong_owner) / static_cast<double>(lookups) : 0;
    }
    double first_attempt_failed_fraction() const {
        return lookups ? static_cast<double>(first_attempt_failed) / static_cast<double>(lookups) : 0;
    }
};

struct failure_result {
    std::size_t nodes = 0;
    std::size_t successors = 0;
    /// Ticks after the failure at which the lookups are repeated.
    std::vector<std::uint64_t> stabilize_ticks;
    build_result build;
    std::vector<failure_row> rows;
    double seconds = 0;
};

failure_result run_failures(const bench_options& o);

// ---- 4: churn ----------------------------------------------------------------

struct churn_row {
    double paper_rate = 0;      ///< the paper's R (per second, on 500 nodes)
    double rate_per_s = 0;      ///< joins per second here, and as many failures
    std::uint32_t failures_max = 1; ///< the cores' config: missed replies before a peer is dead
    std::size_t joins = 0, failures = 0, join_failures = 0;
    std::size_t lookups = 0;    ///< finished (origins that died excluded)
    std::size_t orphaned = 0;   ///< origins died before the answer
    std::size_t failed = 0;     ///< error after every attempt
    std::size_t wrong_owner = 0;
    std::size_t wrong_dead = 0; ///< of wrong_owner: named a node that had failed
    std::size_t retried = 0;    ///< needed more than one attempt
    std::size_t live_at_end = 0;
    summary path;
    summary latency_ms;
    double failed_fraction() const {
        return lookups ? static_cast<double>(failed + wrong_owner) / static_cast<double>(lookups) : 0;
    }
};

struct churn_result {
    std::size_t nodes = 0;
    double seconds_simulated = 0;
    double lookups_per_s = 0;
    double stabilize_period_s = 0;
    double fix_fingers_period_s = 0;
    build_result build;
    std::vector<churn_row> rows;
    double seconds = 0;
};

churn_result run_churn(const bench_options& o);

// ---- Helpers shared by the experiments ---------------------------------------

/// Draws a uniform id on `sim`'s ring.
chord::id random_key(simulation& sim);
/// sim_options for a run with this seed.
sim_options make_sim_options(const bench_options& o, std::uint64_t salt);

} // namespace coronet::bench::chord_bench
