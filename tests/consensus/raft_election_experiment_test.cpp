// The election experiment (the Raft paper's Figure 16) on virtual time: the
// claims below are about simulated milliseconds, so they hold on any machine.
#include <coronet/consensus/raft/core.hpp>
#include <coronet/consensus/raft/election_experiment.hpp>

#include <catch2/catch.hpp>

namespace raft = coronet::consensus::raft;

TEST_CASE("an election jitter of one tick draws no randomness: every timeout is exactly election_ticks",
          "[consensus][raft][election]") {
    for (std::uint64_t seed = 1; seed <= 20; ++seed) {
        raft::config c;
        c.id = 1;
        c.voters = {1, 2, 3};
        c.election_ticks = 100;
        c.election_jitter_ticks = 1;
        c.seed = seed;
        raft::core n(c);
        CHECK(n.election_timeout_ticks() == 100);
    }
    raft::config wide;
    wide.id = 1;
    wide.voters = {1, 2, 3};
    wide.election_ticks = 100;
    wide.election_jitter_ticks = 50;
    for (std::uint64_t seed = 1; seed <= 50; ++seed) {
        wide.seed = seed;
        raft::core n(wide);
        CHECK(n.election_timeout_ticks() >= 100);
        CHECK(n.election_timeout_ticks() < 150);
    }
}

TEST_CASE("without randomized timeouts elections split vote after vote; 150 ms of randomness elects at once",
          "[consensus][raft][election]") {
    raft::election_experiment_options fixed;
    fixed.timeout_spread_ms = 0;
    fixed.trials = 30;
    auto split = raft::run_election_experiment(fixed);

    raft::election_experiment_options spread = fixed;
    spread.timeout_spread_ms = 150;
    spread.trials = 200;
    auto quick = raft::run_election_experiment(spread);

    INFO("fixed: p50 " << split.quantile(0.5) << " ms, " << split.mean_terms() << " terms; 150-300: p50 "
                       << quick.quantile(0.5) << " ms, p99 " << quick.quantile(0.99) << " ms, " << quick.mean_terms()
                       << " terms");
    CHECK(split.mean_terms() > 2);         // split votes: term after term
    CHECK(quick.mean_terms() < 1.3);       // nearly always the first candidate wins
    CHECK(quick.not_elected == 0);
    CHECK(quick.quantile(0.99) < 1000);    // a new leader within a second, in virtual time
    CHECK(split.quantile(0.5) > 2 * quick.quantile(0.5));
    // No election can finish before a follower's timeout runs out, nor
    // before a vote request crosses the network.
    CHECK(quick.elected_ms.front() >= spread.timeout_min_ms - 75);
}

TEST_CASE("the election experiment is deterministic for a seed and rejects impossible settings",
          "[consensus][raft][election]") {
    raft::election_experiment_options o;
    o.trials = 50;
    o.timeout_spread_ms = 5;
    auto a = raft::run_election_experiment(o);
    auto b = raft::run_election_experiment(o);
    CHECK(a.elected_ms == b.elected_ms);
    CHECK(a.terms == b.terms);
    o.seed = 2;
    CHECK(raft::run_election_experiment(o).elected_ms != a.elected_ms);

    auto bad = [](auto change) {
        raft::election_experiment_options e;
        change(e);
        return e;
    };
    CHECK_THROWS_AS(raft::run_election_experiment(bad([](auto& e) { e.servers = 1; })), std::invalid_argument);
    CHECK_THROWS_AS(raft::run_election_experiment(bad([](auto& e) { e.latency_max_ms = 1; })), std::invalid_argument);
    CHECK_THROWS_AS(raft::run_election_experiment(bad([](auto& e) { e.heartbeat_ms = 200; })), std::invalid_argument);
    CHECK_THROWS_AS(raft::run_election_experiment(bad([](auto& e) { e.trials = 0; })), std::invalid_argument);
    // Messages slower than a leader's heartbeats can keep followers waiting: no leader would hold.
    CHECK_THROWS_AS(raft::run_election_experiment(bad([](auto& e) { e.timeout_min_ms = 10; })), std::invalid_argument);
}
