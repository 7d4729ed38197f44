// Concurrent ("async") and sequential ("sync") replication, batching and the
// in-flight window. Commitment is the same majority rule in both modes; what
// differs is how many followers are being talked to at once.
#include "consensus/raft_cluster.hpp"

#include <catch2/catch.hpp>

using namespace raft_test;
using raft::message_type;

namespace {

void sequential(raft::config& c) { c.replication = raft::replication_mode::sequential; }

/// Appends carrying entries, in flight now.
std::vector<raft::message> appends_in_flight(const cluster& c) {
    std::vector<raft::message> out;
    for (const auto& m : c.in_flight())
        if (m.type == message_type::append && !m.entries.empty()) out.push_back(m);
    return out;
}

} // namespace

TEST_CASE("sequential replication keeps at most one follower outstanding and visits followers in id order", "[raft][replication]") {
    cluster c(5, 81, sequential);
    REQUIRE(c.elect(1));
    auto p = c.propose(1, "one at a time");
    REQUIRE(p);
    c.process(1);
    std::vector<raft::node_id> visited;
    int round_trips_to_commit = 0;
    for (int step = 0; step < 20 && visited.size() < 4; ++step) {
        auto appends = appends_in_flight(c);
        REQUIRE(appends.size() <= 1); // the whole point
        if (appends.size() == 1) visited.push_back(appends[0].to);
        CHECK(c[1].sequential_target() == (appends.empty() ? raft::no_node : appends[0].to));
        c.deliver_round(); // the append reaches its follower
        c.deliver_round(); // its answer reaches the leader
        if (c[1].commit() < p.index) ++round_trips_to_commit;
    }
    CHECK(visited == std::vector<raft::node_id>{2, 3, 4, 5});
    CHECK(round_trips_to_commit == 1); // the second answer (from 3) completed the majority
    // Nodes 2 and 3 had the entry before it committed; the next heartbeat
    // tells them.
    c.run(1);
    for (raft::node_id id = 1; id <= 5; ++id) CHECK(c.app(id).commands == std::vector<std::string>{"one at a time"});
}

TEST_CASE("concurrent replication sends to every follower at once and commits after one round trip", "[raft][replication]") {
    cluster c(5, 83);
    REQUIRE(c.elect(1));
    auto p = c.propose(1, "all at once");
    REQUIRE(p);
    c.process(1);
    CHECK(appends_in_flight(c).size() == 4);
    c.deliver_round();
    c.deliver_round();
    CHECK(c[1].commit() == p.index);
}

TEST_CASE("sequential replication moves on from a follower that does not answer", "[raft][replication]") {
    cluster c(3, 85, sequential);
    REQUIRE(c.elect(1));
    c.cut(1, 2);
    auto p = c.propose(1, "x");
    REQUIRE(p);
    c.stabilize();
    CHECK(c[1].sequential_target() == 2); // waiting for an answer that will not come
    CHECK(c[1].commit() < p.index);
    for (std::uint32_t i = 0; i < c[1].config().sequential_ack_ticks && c[1].commit() < p.index; ++i) c.run(1);
    CHECK(c[1].commit() == p.index); // node 3 got it after the wait
}

TEST_CASE("proposals made between two readies go to each follower in one append", "[raft][replication]") {
    cluster c(3, 87);
    REQUIRE(c.elect(1));
    REQUIRE(c.propose(1, "a"));
    REQUIRE(c.propose(1, "b"));
    REQUIRE(c.propose(1, "c"));
    c.process(1);
    auto appends = appends_in_flight(c);
    REQUIRE(appends.size() == 2);
    for (const auto& m : appends) CHECK(m.entries.size() == 3);
    c.stabilize();
    CHECK(c.app(3).commands == std::vector<std::string>{"a", "b", "c"});
}

TEST_CASE("the in-flight window bounds the appends pipelined to a follower that has not answered", "[raft][replication]") {
    cluster c(3, 89, [](raft::config& cfg) {
        cfg.inflight_messages_max = 2;
        cfg.entries_per_message_max = 1;
    });
    REQUIRE(c.elect(1));
    REQUIRE(c[1].progresses().at(2).state() == raft::progress_state::replicate);
    for (int i = 0; i < 5; ++i) REQUIRE(c.propose(1, "w" + std::to_string(i)));
    c.process(1);
    std::size_t to_2 = 0;
    for (const auto& m : appends_in_flight(c)) to_2 += m.to == 2;
    CHECK(to_2 == 2);
    CHECK(c[1].progresses().at(2).inflights().full());
    c.stabilize(); // answers free the window, the rest follows
    CHECK(c.app(2).commands.size() == 5);
}

TEST_CASE("proposals are refused once too many entries are uncommitted", "[raft][replication]") {
    cluster c(3, 91, [](raft::config& cfg) { cfg.uncommitted_entries_max = 3; });
    REQUIRE(c.elect(1));
    c.isolate(2);
    c.isolate(3);
    CHECK(c.propose(1, "1"));
    CHECK(c.propose(1, "2"));
    CHECK(c.propose(1, "3"));
    CHECK(c.propose(1, "4").error == raft::errc::too_many_uncommitted);
    CHECK(c[2].propose("x").error == raft::errc::not_leader);
}

TEST_CASE("a follower reported unreachable goes back to probing, one append at a time", "[raft][replication]") {
    cluster c(3, 93);
    REQUIRE(c.elect(1));
    REQUIRE(c[1].progresses().at(2).state() == raft::progress_state::replicate);
    c[1].report_unreachable(2);
    CHECK(c[1].progresses().at(2).state() == raft::progress_state::probe);
    c.cut(1, 2);
    REQUIRE(c.propose(1, "a"));
    REQUIRE(c.propose(1, "b"));
    c.process(1);
    REQUIRE(c.propose(1, "c"));
    c.process(1);
    std::size_t to_2 = 0;
    for (const auto& m : appends_in_flight(c)) to_2 += m.to == 2;
    CHECK(to_2 == 1); // the probe waits for an answer before the next one
    c.heal();
    c.run(3);
    CHECK(c[1].progresses().at(2).state() == raft::progress_state::replicate);
    CHECK(c.app(2).commands == std::vector<std::string>{"a", "b", "c"});
}
