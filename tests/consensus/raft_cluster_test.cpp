// Whole clusters in the deterministic harness: elections, replication,
// crashes and partitions, with Election Safety and State Machine Safety
// checked after every step (raft_invariants.hpp). Each scenario is seeded;
// a failure names its seed.
#include "consensus/raft_cluster.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <random>

using namespace raft_test;
using raft::role;

namespace {

/// True if every live node has applied exactly the same commands.
bool same_applied(cluster& c) {
    std::optional<std::vector<std::string>> first;
    for (auto id : c.ids()) {
        if (!c.up(id)) continue;
        if (!first) first = c.app(id).commands;
        else if (c.app(id).commands != *first) return false;
    }
    return true;
}

} // namespace

TEST_CASE("three- and five-node clusters elect exactly one leader per term, whatever the seed", "[raft][cluster]") {
    for (std::size_t size : {3u, 5u}) {
        for (std::uint64_t seed = 1; seed <= 20; ++seed) {
            INFO("size " << size << " seed " << seed);
            cluster c(size, seed);
            auto l = c.wait_for_leader(100);
            REQUIRE(l);
            c.run(20);
            CHECK(c.leader() == l); // stable once elected
            std::size_t leaders = 0;
            for (auto id : c.ids()) {
                leaders += c[id].role() == role::leader;
                CHECK(c[id].term() == c[*l].term());
                CHECK(c[id].leader() == *l);
            }
            CHECK(leaders == 1);
        }
    }
}

TEST_CASE("a five-node cluster commits proposals and every node applies the same sequence", "[raft][cluster]") {
    cluster c(5, 101);
    auto l = c.wait_for_leader();
    REQUIRE(l);
    std::vector<std::string> expected;
    for (int i = 0; i < 50; ++i) {
        expected.push_back("cmd" + std::to_string(i));
        REQUIRE(c.propose(*l, expected.back()));
        if (i % 7 == 0) c.stabilize();
    }
    c.stabilize();
    for (auto id : c.ids()) {
        CHECK(c.app(id).commands == expected);
        CHECK(c[id].commit() == c[*l].log().last_index());
    }
}

TEST_CASE("after the leader crashes a new leader is elected and every committed entry is kept", "[raft][cluster]") {
    for (std::uint64_t seed = 1; seed <= 10; ++seed) {
        INFO("seed " << seed);
        cluster c(5, seed);
        auto first = c.wait_for_leader();
        REQUIRE(first);
        for (int i = 0; i < 10; ++i) REQUIRE(c.propose(*first, "before" + std::to_string(i)));
        c.stabilize();
        auto committed = c.app(*first).commands;
        REQUIRE(committed.size() == 10);
        // Some more that may or may not survive: the leader dies before sending them.
        REQUIRE(c.propose(*first, "unsent"));
        c.crash(*first);
        auto second = c.wait_for_leader();
        REQUIRE(second);
        CHECK(*second != *first);
        CHECK(c[*second].term() > 1);
        REQUIRE(c.propose(*second, "after"));
        c.stabilize();
        auto applied = c.app(*second).commands;
        REQUIRE(applied.size() >= 11);
        CHECK(std::equal(committed.begin(), committed.end(), applied.begin()));
        CHECK(applied.back() == "after");
        c.restart(*first);
        c.run(5);
        CHECK(c.app(*first).commands == applied); // the old leader's unsent entry is gone
        CHECK(same_applied(c));
    }
}

TEST_CASE("a minority cannot commit, and after healing it adopts the majority's log", "[raft][cluster]") {
    cluster c(5, 103);
    REQUIRE(c.elect(1));
    REQUIRE(c.propose(1, "shared"));
    c.stabilize();
    c.partition({{1, 2}, {3, 4, 5}});
    REQUIRE(c.propose(1, "minority"));
    c.run(5);
    CHECK(c.app(1).commands == std::vector<std::string>{"shared"}); // no majority, no commit
    auto l = c.wait_for_leader(100);
    REQUIRE(l);
    if (*l == 1) { // the old leader has not stepped down yet; wait for the majority's
        c.run(20);
        l = c.leader();
        REQUIRE(l);
    }
    REQUIRE(*l >= 3);
    REQUIRE(c.propose(*l, "majority"));
    c.stabilize();
    CHECK(c.app(*l).commands == std::vector<std::string>{"shared", "majority"});
    c.heal();
    c.run(10);
    for (auto id : c.ids()) CHECK(c.app(id).commands == std::vector<std::string>{"shared", "majority"});
    CHECK(c.leader() == l);
}

namespace {

/// `m`, broken in one of the ways step() must refuse whatever the receiver's
/// state: the wrong recipient, a forbidden sender or term, entries that are
/// not a log, a snapshot message without a usable snapshot.
raft::message corrupt(raft::message m, std::mt19937_64& rng) {
    switch (rng() % 6) {
    case 0: m.to = m.to + 100; break;
    case 1: m.from = rng() % 2 == 0 ? raft::no_node : m.to; break;
    case 2: m.term = rng() % 2 == 0 && m.type != raft::message_type::pre_vote_response ? 0 : ~raft::term_t{0}; break;
    case 3:
        m.type = raft::message_type::append;
        m.entries = entries_with_terms({m.term, m.term}, m.index + 1);
        m.entries[1].index += 1 + rng() % 5; // not consecutive
        break;
    case 4:
        m.type = raft::message_type::append;
        m.entries = entries_with_terms({m.term + 1 + rng() % 3}, m.index + 1); // from the future
        break;
    default:
        m.type = raft::message_type::snapshot;
        m.snapshot.reset();
        break;
    }
    return m;
}

} // namespace

TEST_CASE("under loss, duplication, reordering, replays, corruption, partitions and crashes every node applies the same sequence", "[raft][cluster]") {
    for (std::uint64_t seed = 1; seed <= 12; ++seed) {
        INFO("seed " << seed);
        std::mt19937_64 rng(seed * 7919);
        auto mode = seed % 2 == 0 ? raft::replication_mode::sequential : raft::replication_mode::concurrent;
        cluster c(seed % 3 == 0 ? 3 : 5, seed, [mode](raft::config& cfg) {
            cfg.replication = mode;
            cfg.entries_per_message_max = 3;
        });
        c.set_faults(15, 10, true, 20);
        int proposed = 0;
        for (int step = 0; step < 300; ++step) {
            c.tick_all();
            if (!c.in_flight().empty() && rng() % 4 == 0) {
                auto m = c.in_flight()[rng() % c.in_flight().size()];
                if (m.term == 0) m.term = 1;
                CHECK_FALSE(c.inject(m.to, corrupt(m, rng)));
            }
            c.deliver_round();
            c.check_log_matching();
            if (auto l = c.leader(); l && rng() % 2 == 0) {
                if (c.propose(*l, "v" + std::to_string(proposed))) ++proposed;
            }
            auto victim = c.ids()[rng() % c.ids().size()];
            switch (rng() % 40) {
            case 0:
                if (c.up(victim)) c.crash(victim);
                break;
            case 1:
                if (!c.up(victim)) c.restart(victim);
                break;
            case 2: c.isolate(victim); break;
            case 3: c.heal(); break;
            case 4:
                if (c.up(victim) && c[victim].applied() > c[victim].log().snapshot_index()) c.compact(victim);
                break;
            default: break;
            }
        }
        // Calm: everyone up, a reliable network, and time to converge.
        c.heal();
        c.set_faults(0, 0, false);
        for (auto id : c.ids())
            if (!c.up(id)) c.restart(id);
        auto l = c.wait_for_leader(200);
        REQUIRE(l);
        REQUIRE(c.propose(*l, "final"));
        c.run(30);
        CHECK(same_applied(c));
        CHECK(c.app(*l).commands.back() == "final");
        CHECK(proposed > 0);
    }
}

TEST_CASE("crashing and restarting every node, one after another, keeps every committed entry", "[raft][cluster]") {
    cluster c(3, 107);
    std::vector<std::string> committed;
    for (int round = 0; round < 6; ++round) {
        auto l = c.wait_for_leader();
        REQUIRE(l);
        auto cmd = "r" + std::to_string(round);
        REQUIRE(c.propose(*l, cmd));
        c.stabilize();
        committed.push_back(cmd);
        CHECK(c.app(*l).commands == committed);
        raft::node_id victim = static_cast<raft::node_id>(round % 3 + 1);
        c.crash(victim);
        c.run(3);
        c.restart(victim);
        c.run(3);
    }
    c.run(10);
    for (auto id : c.ids()) CHECK(c.app(id).commands == committed);
}
