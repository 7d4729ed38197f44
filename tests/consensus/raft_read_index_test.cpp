// ReadIndex (dissertation §6.4): a linearizable read point without a log
// write. The leader must know the latest commit index (an entry of its term
// committed) and still be the leader (a majority answered after the request).
#include "consensus/raft_cluster.hpp"

#include <catch2/catch.hpp>

using namespace raft_test;
using raft::message_type;
using raft::role;

TEST_CASE("ReadIndex answers only after the leader commits an entry of its term and then hears from a majority", "[raft][read_index]") {
    raft::core leader(make_config(1, {1, 2, 3}));
    make_leader(leader, {1, 2, 3});
    drain(leader);
    REQUIRE(leader.commit() == 0); // the no-op (index 1) is not committed yet
    REQUIRE_FALSE(leader.read_index(7));
    auto d = drain(leader);
    CHECK(d.read_states.empty());
    CHECK(d.of_type(message_type::heartbeat).empty()); // no round before the commit
    CHECK(leader.pending_reads() == 1);

    REQUIRE_FALSE(leader.step(ack(2, 1, 1, 1))); // the no-op commits
    REQUIRE(leader.commit() == 1);
    d = drain(leader);
    CHECK(d.read_states.empty()); // not yet confirmed
    auto heartbeats = d.of_type(message_type::heartbeat);
    REQUIRE(heartbeats.size() == 2);
    auto round = heartbeats[0].context;
    CHECK(round != 0);

    // An answer to an older heartbeat (no context) confirms nothing.
    REQUIRE_FALSE(leader.step(make_message(message_type::heartbeat_response, 2, 1, 1)));
    CHECK(drain(leader).read_states.empty());
    auto answer = make_message(message_type::heartbeat_response, 3, 1, 1);
    answer.context = round;
    REQUIRE_FALSE(leader.step(answer));
    d = drain(leader);
    REQUIRE(d.read_states.size() == 1);
    CHECK(d.read_states[0] == raft::read_state{1, 7});
    CHECK(leader.pending_reads() == 0);
}

TEST_CASE("a follower's ReadIndex is forwarded to the leader and answered with the leader's commit index", "[raft][read_index]") {
    cluster c(3, 51);
    REQUIRE(c.elect(1));
    for (int i = 0; i < 3; ++i) REQUIRE(c.propose(1, "w" + std::to_string(i)));
    c.stabilize();
    REQUIRE_FALSE(c[2].read_index(99));
    c.stabilize();
    REQUIRE(c.reads(2).size() == 1);
    CHECK(c.reads(2)[0].request_ctx == 99);
    CHECK(c.reads(2)[0].index == c[1].commit());
    CHECK(c[2].applied() >= c.reads(2)[0].index); // the read can be served now
    CHECK(c[3].read_index(1) == std::error_code{});
    raft::core lonely(make_config(1, {1, 2, 3}));
    CHECK(lonely.read_index(1) == raft::errc::no_leader);
}

TEST_CASE("a single-node leader answers ReadIndex at once", "[raft][read_index]") {
    raft::core solo(make_config(1, {1}));
    REQUIRE_FALSE(solo.campaign());
    REQUIRE(solo.role() == role::leader);
    REQUIRE(solo.commit() == 1); // its no-op committed alone
    REQUIRE_FALSE(solo.read_index(5));
    auto d = drain(solo);
    REQUIRE(d.read_states.size() == 1);
    CHECK(d.read_states[0] == raft::read_state{1, 5});
}

TEST_CASE("a leader cut off from the majority never answers a read, and drops it when it steps down", "[raft][read_index]") {
    cluster c(3, 53);
    REQUIRE(c.elect(1));
    c.isolate(1);
    REQUIRE_FALSE(c[1].read_index(11));
    c.run(20);
    CHECK(c[1].role() == role::follower);
    CHECK(c.reads(1).empty());
    CHECK(c[1].pending_reads() == 0);
}

TEST_CASE("the leader bounds its queue of pending reads", "[raft][read_index]") {
    auto cfg = make_config(1, {1, 2, 3});
    cfg.pending_reads_max = 2;
    raft::core leader(cfg);
    make_leader(leader, {1, 2, 3});
    CHECK_FALSE(leader.read_index(1));
    CHECK_FALSE(leader.read_index(2));
    CHECK(leader.read_index(3) == raft::errc::too_many_pending_reads);
    // A follower's request beyond the bound is answered with a refusal.
    auto forwarded = make_message(message_type::read_index, 2, 1, leader.term());
    forwarded.context = 4;
    leader.step(forwarded);
    auto refusals = drain(leader).of_type(message_type::read_index_response);
    REQUIRE(refusals.size() == 1);
    CHECK(refusals[0].reject);
    CHECK(refusals[0].context == 4);
}

TEST_CASE("with lease reads a leader answers ReadIndex at once without a heartbeat round, and only with CheckQuorum",
          "[raft][read_index]") {
    auto cfg = make_config(1, {1, 2, 3});
    cfg.lease_reads = true;
    cfg.check_quorum = true;
    raft::core leader(cfg);
    make_leader(leader, {1, 2, 3});
    drain(leader);
    REQUIRE_FALSE(leader.read_index(3)); // before its no-op commits: it still waits
    CHECK(drain(leader).read_states.empty());
    REQUIRE_FALSE(leader.step(ack(2, 1, 1, 1)));
    auto d = drain(leader);
    REQUIRE(d.read_states.size() == 1); // the waiting read is released with the commit
    CHECK(d.read_states[0] == raft::read_state{1, 3});

    REQUIRE_FALSE(leader.read_index(4));
    d = drain(leader);
    REQUIRE(d.read_states.size() == 1);
    CHECK(d.read_states[0] == raft::read_state{1, 4});
    CHECK(d.of_type(message_type::heartbeat).empty()); // no round trip

    cfg.check_quorum = false;
    CHECK_THROWS_AS(raft::core(cfg), std::invalid_argument);
}
