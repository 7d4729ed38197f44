// Single-server membership changes: encoding, validation, and their effect
// on a running cluster (dissertation §4.1-4.2).
#include "consensus/raft_cluster.hpp"

#include <catch2/catch.hpp>

#include <stdexcept>

using namespace raft_test;
using raft::change_type;
using raft::config_change;

namespace {

config_change change(change_type type, raft::node_id node) {
    config_change c;
    c.type = type;
    c.node = node;
    return c;
}

} // namespace

TEST_CASE("a config entry holds the change and the whole resulting membership, and nothing else decodes", "[raft][membership]") {
    raft::config_entry ce;
    ce.change = change(change_type::promote_learner, 0x0102030405060708ull);
    ce.members = raft::make_membership({1, 0x0102030405060708ull}, {7});
    auto data = raft::encode(ce);
    CHECK(data.size() == 1 + 8 + 4 + 16 + 4 + 8);
    CHECK(raft::decode_config_entry(data) == ce);
    CHECK_FALSE(raft::decode_config_entry(data.substr(0, data.size() - 1)));
    CHECK_FALSE(raft::decode_config_entry(data + "x"));
    CHECK_FALSE(raft::decode_config_entry(""));
    auto bad_type = data;
    bad_type[0] = 9;
    CHECK_FALSE(raft::decode_config_entry(bad_type));
    raft::config_entry overlapping = ce;
    overlapping.members.learners = {1}; // also a voter
    CHECK_FALSE(raft::decode_config_entry(raft::encode(overlapping)));
    raft::config_entry unsorted = ce;
    unsorted.members.voters = {5, 2};
    CHECK_FALSE(raft::decode_config_entry(raft::encode(unsorted)));
    auto huge_count = data;
    huge_count[9] = static_cast<char>(0xff); // claims far more voters than bytes
    CHECK_FALSE(raft::decode_config_entry(huge_count));
}

TEST_CASE("single-server changes are checked against the membership they apply to", "[raft][membership]") {
    auto m = raft::make_membership({3, 1, 2, 1}, {4});
    CHECK(m.voters == std::vector<raft::node_id>{1, 2, 3});
    CHECK_THROWS_AS(raft::make_membership({1, 2}, {2}), std::invalid_argument);
    CHECK_THROWS_AS(raft::make_membership({0, 1}), std::invalid_argument);
    CHECK_FALSE(raft::validate(m, change(change_type::add_voter, 5)));
    CHECK(raft::validate(m, change(change_type::add_voter, 4)) == raft::errc::invalid_config_change);
    CHECK(raft::validate(m, change(change_type::add_learner, 2)) == raft::errc::invalid_config_change);
    CHECK(raft::validate(m, change(change_type::promote_learner, 2)) == raft::errc::invalid_config_change);
    CHECK(raft::validate(m, change(change_type::remove, 9)) == raft::errc::invalid_config_change);
    CHECK(raft::validate(m, change(change_type::add_voter, 0)) == raft::errc::invalid_config_change);
    auto promoted = raft::apply(m, change(change_type::promote_learner, 4));
    CHECK(promoted.voters == std::vector<raft::node_id>{1, 2, 3, 4});
    CHECK(promoted.learners.empty());
    auto solo = raft::make_membership({1});
    CHECK(raft::validate(solo, change(change_type::remove, 1)) == raft::errc::invalid_config_change);
    CHECK(raft::apply(solo, change(change_type::remove, 1)) == solo);
}

TEST_CASE("learners receive every entry but never vote, campaign or count toward commitment", "[raft][membership]") {
    cluster c(3, 7, {}, 2); // voters 1-3, learners 4 and 5
    REQUIRE(c.elect(1));
    CHECK(c[1].progresses().at(4).is_learner());
    REQUIRE(c.propose(1, "x"));
    c.stabilize();
    for (raft::node_id id = 1; id <= 5; ++id) CHECK(c.app(id).commands == std::vector<std::string>{"x"});
    // The leader and two learners are three of five nodes, but one of three voters.
    c.isolate(2);
    c.isolate(3);
    auto commit = c[1].commit();
    REQUIRE(c.propose(1, "y"));
    c.stabilize();
    CHECK(c[4].log().last_index() == commit + 1); // replicated to the learners ...
    CHECK(c[1].commit() == commit);               // ... without committing
    c.heal();
    c.run(2);
    CHECK(c[1].commit() == commit + 1);
    // A learner never starts an election, however long it waits.
    CHECK(c[4].campaign() == raft::errc::not_a_voter);
    c.isolate(1);
    c.isolate(2);
    c.isolate(3);
    c.run(50);
    CHECK(c[4].role() == raft::role::follower);
    CHECK(c[5].role() == raft::role::follower);
    CHECK(c[4].term() == c[1].term());
}

TEST_CASE("adding a voter takes effect when its entry is appended, and the new node catches up (dissertation §4.1)", "[raft][membership]") {
    cluster c(3, 11);
    REQUIRE(c.elect(1));
    for (int i = 0; i < 5; ++i) REQUIRE(c.propose(1, "v" + std::to_string(i)));
    c.stabilize();
    c.add_node(4);
    auto p = c[1].propose_config_change(change(change_type::add_voter, 4));
    REQUIRE(p);
    // In force on the leader before it commits: the majority is now 3 of 4.
    CHECK(c[1].members().voters == std::vector<raft::node_id>{1, 2, 3, 4});
    CHECK(c[1].commit() < p.index);
    CHECK(c[1].progresses().contains(4));
    c.stabilize();
    CHECK(c[1].commit() >= p.index);
    CHECK(c[4].members().voters == std::vector<raft::node_id>{1, 2, 3, 4});
    CHECK(c.app(4).commands == c.app(1).commands);
    CHECK(c.app(4).commands.size() == 5);
    // Two of the old three can no longer commit without the new node.
    c.isolate(3);
    c.isolate(4);
    auto commit = c[1].commit();
    REQUIRE(c.propose(1, "w"));
    c.stabilize();
    CHECK(c[1].commit() == commit);
    c.heal();
    c.run(2);
    CHECK(c[1].commit() > commit);
}

TEST_CASE("only one membership change may be uncommitted, and a new leader must first commit in its term", "[raft][membership]") {
    cluster c(3, 3);
    CHECK(c[1].propose_config_change(change(change_type::add_learner, 4)).error == raft::errc::not_leader);
    c[1].campaign();
    c.process(1);
    for (int i = 0; i < 10 && c[1].role() != raft::role::leader; ++i) c.deliver_round();
    // Leader, but its no-op has not reached anyone yet.
    REQUIRE(c[1].role() == raft::role::leader);
    CHECK(c[1].propose_config_change(change(change_type::add_learner, 4)).error == raft::errc::term_not_committed);
    c.stabilize();
    c.add_node(4);
    c.add_node(5);
    c.isolate(2);
    c.isolate(3);
    REQUIRE(c[1].propose_config_change(change(change_type::add_learner, 4)));
    CHECK(c[1].pending_config_index() != 0);
    CHECK(c[1].propose_config_change(change(change_type::add_learner, 5)).error == raft::errc::config_change_pending);
    CHECK(c[1].propose_config_change(change(change_type::add_voter, 2)).error == raft::errc::config_change_pending);
    c.heal();
    c.stabilize();
    CHECK(c[1].pending_config_index() == 0);
    CHECK(c[1].propose_config_change(change(change_type::add_voter, 2)).error == raft::errc::invalid_config_change);
    CHECK(c[1].propose_config_change(change(change_type::add_learner, 5)));
}

TEST_CASE("a caught-up learner promoted to voter then counts toward commitment", "[raft][membership]") {
    cluster c(3, 5, {}, 1); // learner 4
    REQUIRE(c.elect(1));
    REQUIRE(c.propose(1, "a"));
    c.stabilize();
    CHECK(c[1].progresses().at(4).is_learner());
    CHECK(c[1].progresses().at(4).match() == c[1].log().last_index());
    REQUIRE(c[1].propose_config_change(change(change_type::promote_learner, 4)));
    c.stabilize();
    CHECK(c[4].members().is_voter(4));
    CHECK_FALSE(c[1].progresses().at(4).is_learner());
    // 1 and 4 without 2 and 3 are two of four: not a majority.
    c.isolate(2);
    c.isolate(3);
    auto commit = c[1].commit();
    REQUIRE(c.propose(1, "b"));
    c.stabilize();
    CHECK(c[1].commit() == commit);
    c.heal();
    c.run(2);
    CHECK(c[1].commit() > commit);
    // Node 4 may now campaign.
    CHECK_FALSE(c[4].campaign());
}

TEST_CASE("removing a follower shrinks the majority, and the removed node cannot disrupt the cluster", "[raft][membership]") {
    cluster c(5, 9);
    REQUIRE(c.elect(1));
    REQUIRE(c[1].propose_config_change(change(change_type::remove, 5)));
    c.stabilize();
    CHECK(c[1].members().voters == std::vector<raft::node_id>{1, 2, 3, 4});
    CHECK_FALSE(c[1].progresses().contains(5));
    // Node 5 never receives its own removal (§4.2.3): it times out and
    // campaigns, but PreVote and the leader lease keep the cluster's term.
    auto term = c[1].term();
    c.run(40);
    CHECK(c.leader() == 1u);
    CHECK(c[1].term() == term);
    CHECK(c[2].term() == term);
    REQUIRE(c[1].propose_config_change(change(change_type::remove, 4)));
    c.stabilize();
    // Voters 1, 2, 3: a majority is 2, so 1 and 2 commit without 3.
    c.isolate(3);
    auto commit = c[1].commit();
    REQUIRE(c.propose(1, "z"));
    c.stabilize();
    CHECK(c[1].commit() == commit + 1);
}

TEST_CASE("a leader that removes itself keeps leading until the change commits, then steps down (dissertation §4.2.2)", "[raft][membership]") {
    cluster c(3, 13);
    REQUIRE(c.elect(1));
    auto p = c[1].propose_config_change(change(change_type::remove, 1));
    REQUIRE(p);
    CHECK(c[1].role() == raft::role::leader);
    CHECK_FALSE(c[1].members().is_voter(1));
    c.stabilize();
    CHECK(c[2].commit() >= p.index);
    CHECK(c[1].role() == raft::role::follower);
    CHECK(c[1].campaign() == raft::errc::not_a_voter);
    auto l = c.wait_for_leader();
    REQUIRE(l);
    CHECK((*l == 2 || *l == 3));
    REQUIRE(c.propose(*l, "after"));
    c.stabilize();
    CHECK(c.app(2).commands == std::vector<std::string>{"after"});
}

TEST_CASE("a follower's membership reverts when the config entry that changed it is truncated", "[raft][membership]") {
    raft::core f(make_config(2, {1, 2, 3}), log_state({1}, 1));
    auto append = make_message(raft::message_type::append, 1, 2, 1);
    append.index = 1;
    append.log_term = 1;
    raft::config_entry ce;
    ce.change = change(change_type::add_voter, 4);
    ce.members = raft::make_membership({1, 2, 3, 4});
    auto e = make_entry(2, 1, raft::encode(ce));
    e.type = raft::entry_type::config;
    append.entries.push_back(e);
    REQUIRE_FALSE(f.step(append));
    CHECK(f.members().voters == std::vector<raft::node_id>{1, 2, 3, 4}); // in force uncommitted
    CHECK(f.pending_config_index() == 2);
    // A leader of term 2 never had that entry: it replaces it.
    auto replace = make_message(raft::message_type::append, 3, 2, 2);
    replace.index = 1;
    replace.log_term = 1;
    replace.entries.push_back(make_entry(2, 2, "other"));
    REQUIRE_FALSE(f.step(replace));
    CHECK(f.log().term_at(2) == 2);
    CHECK(f.members().voters == std::vector<raft::node_id>{1, 2, 3});
    CHECK(f.pending_config_index() == 0);
}
