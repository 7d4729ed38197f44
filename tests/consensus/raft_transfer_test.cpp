// Leadership transfer (dissertation §3.10): the leader brings the target up
// to date, stops taking proposals, and sends TimeoutNow.
#include "consensus/raft_cluster.hpp"

#include <catch2/catch.hpp>

using namespace raft_test;
using raft::message_type;
using raft::role;

TEST_CASE("leadership transfer catches the target up, sends it TimeoutNow, and the target wins at once", "[raft][transfer]") {
    cluster c(3, 41);
    REQUIRE(c.elect(1));
    auto term = c[1].term();
    c.isolate(3);
    for (int i = 0; i < 5; ++i) REQUIRE(c.propose(1, "p" + std::to_string(i)));
    c.stabilize();
    c.heal();
    REQUIRE(c[3].log().last_index() < c[1].log().last_index());
    c.clear_trace();
    REQUIRE_FALSE(c[1].transfer_leadership(3));
    CHECK(c[1].transfer_target() == 3);
    c.stabilize();
    CHECK(c.delivered_count(message_type::timeout_now) == 1);
    CHECK(c.leader() == 3u);
    CHECK(c[3].term() == term + 1);
    CHECK(c[1].role() == role::follower);
    // Nothing was lost on the way.
    REQUIRE(c.propose(3, "after"));
    c.stabilize();
    CHECK(c.app(1).commands.size() == 6);
    CHECK(c.app(1).commands == c.app(3).commands);
}

TEST_CASE("proposals are refused during a transfer, and a transfer that does not finish within an election timeout is abandoned", "[raft][transfer]") {
    cluster c(3, 43);
    REQUIRE(c.elect(1));
    c.isolate(3);
    REQUIRE_FALSE(c[1].transfer_leadership(3));
    CHECK(c[1].propose("x").error == raft::errc::leader_transfer_in_progress);
    c.run(10);
    CHECK(c[1].role() == role::leader);
    CHECK(c[1].transfer_target() == raft::no_node);
    CHECK(c[1].propose("x"));
}

TEST_CASE("leadership can only be transferred by the leader, to another voter", "[raft][transfer]") {
    cluster c(3, 47, {}, 1);
    REQUIRE(c.elect(1));
    CHECK(c[1].transfer_leadership(1) == raft::errc::invalid_target);
    CHECK(c[1].transfer_leadership(4) == raft::errc::invalid_target); // a learner
    CHECK(c[1].transfer_leadership(9) == raft::errc::invalid_target);
    CHECK(c[2].transfer_leadership(3) == raft::errc::not_leader);
    // A learner told to time out does not campaign.
    auto m = make_message(message_type::timeout_now, 1, 4, c[1].term());
    CHECK(c[4].step(m) == raft::errc::not_a_voter);
}
