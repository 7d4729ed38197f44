#pragma once
// How long Raft takes to elect a new leader after the leader crashes, against
// how much the election timeout is randomized: the experiment of Figure 16 in
// the Raft paper (§9.3), run on the real core with a simulated network (a
// one-way latency drawn per message) and virtual time. `coronet sim raft`
// prints it; docs/raft-elections.md explains it.
//
// A trial: n servers start, server 1 campaigns, and once it leads the
// cluster runs for a heartbeat interval plus a uniform fraction of another
// (the paper crashes the leader uniformly within its heartbeat interval);
// then the leader crashes, and the trial measures the time until a server
// leads a later term. Standard library only, deterministic per seed.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

namespace coronet::consensus::raft {

struct election_experiment_options {
    std::size_t servers = 5;
    /// Election timeouts are drawn uniformly from [timeout_min_ms,
    /// timeout_min_ms + timeout_spread_ms], in steps of 0.1 ms (one tick).
    /// A spread of 0 means no randomization at all.
    double timeout_min_ms = 150;
    double timeout_spread_ms = 150;
    /// The leader's heartbeat interval; 0 means half the minimum timeout,
    /// as in the paper.
    double heartbeat_ms = 0;
    /// Each message's one-way latency, uniform in [min, max].
    double latency_min_ms = 5;
    double latency_max_ms = 10;
    bool pre_vote = false;
    std::size_t trials = 1000;
    /// A trial with no new leader after this long counts as not elected.
    double give_up_ms = 10'000;
    std::uint64_t seed = 1;

    /// Throws std::invalid_argument naming the first bad field.
    void validate() const;
};

struct election_experiment_result {
    election_experiment_options options;
    /// Time from the crash to the new leader, for each trial that elected
    /// one, in ms, sorted.
    std::vector<double> elected_ms;
    std::size_t not_elected = 0;
    /// Terms the elections took (1: the first candidate won), summed over
    /// the trials that elected a leader.
    std::uint64_t terms = 0;

    /// The q-quantile (0..1) of elected_ms; 0 if none was elected.
    double quantile(double q) const;
    double mean_terms() const { return elected_ms.empty() ? 0 : double(terms) / double(elected_ms.size()); }
};

/// Runs the trials; `on_trial(done)` is called after each (progress).
election_experiment_result run_election_experiment(const election_experiment_options& o,
                                                   const std::function<void(std::size_t)>& on_trial = {});

} // namespace coronet::consensus::raft
