// The Ready/Advance contract and restarts from what the readies persisted.
#include "consensus/raft_cluster.hpp"

#include <catch2/catch.hpp>

#include <stdexcept>

using namespace raft_test;
using raft::message_type;
using raft::role;

TEST_CASE("a ready carries the new vote in its hard state together with the vote response that must follow it", "[raft][ready]") {
    raft::core n(make_config(2, {1, 2, 3}));
    REQUIRE_FALSE(n.has_ready());
    n.step(make_message(message_type::vote, 1, 2, 1));
    REQUIRE(n.has_ready());
    auto rd = n.take_ready();
    REQUIRE(rd.hard_state);
    CHECK(*rd.hard_state == raft::hard_state{1, 1, 0}); // to persist first ...
    REQUIRE(rd.messages.size() == 1);
    CHECK(rd.messages[0].type == message_type::vote_response); // ... then send
    CHECK_FALSE(rd.messages[0].reject);
    n.advance(rd);
    CHECK_FALSE(n.has_ready()); // nothing changed since
}

TEST_CASE("a ready hands out new entries to persist, then committed entries to apply, each exactly once", "[raft][ready]") {
    raft::core f(make_config(2, {1, 2, 3}));
    auto m = make_message(message_type::append, 1, 2, 1);
    m.entries = entries_with_terms({1, 1, 1});
    m.commit = 2;
    f.step(m);
    auto rd = f.take_ready();
    CHECK(rd.entries.size() == 3);
    CHECK(rd.committed_entries.size() == 2); // persisted by this same ready before they are applied
    REQUIRE(rd.soft_state);
    CHECK(rd.soft_state->leader == 1);
    f.advance(rd);
    CHECK(f.applied() == 2);
    CHECK(f.log().stable_index() == 3);
    auto heartbeat = make_message(message_type::heartbeat, 1, 2, 1);
    heartbeat.commit = 3;
    f.step(heartbeat);
    rd = f.take_ready();
    CHECK(rd.entries.empty());
    REQUIRE(rd.committed_entries.size() == 1);
    CHECK(rd.committed_entries[0].index == 3);
    REQUIRE(rd.hard_state);
    CHECK(rd.hard_state->commit == 3);
    f.advance();
}

TEST_CASE("take_ready before advance is refused, and advance must acknowledge the ready that was taken", "[raft][ready]") {
    raft::core n(make_config(1, {1, 2, 3}));
    n.campaign();
    auto first = n.take_ready();
    CHECK_FALSE(n.has_ready()); // one ready at a time
    CHECK_THROWS_AS(n.take_ready(), std::logic_error);
    n.step(make_message(message_type::vote_response, 2, 1, 1)); // inputs keep coming meanwhile
    raft::ready other;
    other.number = first.number + 7;
    CHECK_THROWS_AS(n.advance(other), std::logic_error);
    n.advance(first);
    CHECK_THROWS_AS(n.advance(), std::logic_error);
    REQUIRE(n.has_ready()); // what happened meanwhile comes next
    auto second = n.take_ready();
    CHECK(second.number == first.number + 1);
    CHECK_FALSE(second.messages.empty());
    n.advance(second);
}

TEST_CASE("a node restarted from its persisted hard state and log resumes with the same term, vote, commit and log", "[raft][ready]") {
    cluster c(3, 71);
    REQUIRE(c.elect(1));
    for (int i = 0; i < 3; ++i) REQUIRE(c.propose(1, "d" + std::to_string(i)));
    c.stabilize();
    auto before = c[2].hard_state();
    auto last = c[2].log().last_index();
    c.crash(2);
    c.restart(2);
    CHECK(c[2].hard_state() == before);
    CHECK(c[2].log().last_index() == last);
    CHECK(c[2].role() == role::follower);
    CHECK(c[2].leader() == raft::no_node);
    CHECK(c[2].members() == c[1].members());
    c.stabilize(); // the restarted node re-applies what was committed
    CHECK(c.app(2).commands == c.app(1).commands);
    // It still cannot vote twice in the term it voted in.
    auto vote = make_message(message_type::vote, 3, 2, before.term);
    vote.index = 100;
    vote.log_term = before.term;
    if (before.vote != 3) {
        c[2].step(vote);
        c.process(2);
        CHECK(c[2].vote() == before.vote);
    }
}

TEST_CASE("a restored state that is not a log, or a config out of range, is refused with invalid_argument", "[raft][ready]") {
    auto cfg = make_config(1, {1, 2, 3});
    CHECK_THROWS_AS(raft::core(cfg, log_state({1, 1}, 1, 3)), std::invalid_argument); // commit past the log
    CHECK_THROWS_AS(raft::core(cfg, log_state({1, 3}, 2)), std::invalid_argument);    // entry from a future term
    auto gap = log_state({1, 1}, 1);
    gap.entries[1].index = 5;
    CHECK_THROWS_AS(raft::core(cfg, gap), std::invalid_argument);
    auto bad = cfg;
    bad.id = 0;
    CHECK_THROWS_AS(raft::core(bad), std::invalid_argument);
    bad = cfg;
    bad.election_ticks = 1;
    CHECK_THROWS_AS(raft::core(bad), std::invalid_argument);
    bad = cfg;
    bad.learners = {3};
    CHECK_THROWS_AS(raft::core(bad), std::invalid_argument);
}
