// PreVote and CheckQuorum (dissertation §9.6 and §6.2): keeping a healthy
// cluster's term and leader when a node comes back from a partition, and
// making a leader cut off from the majority step down.
#include "consensus/raft_cluster.hpp"

#include <catch2/catch.hpp>

using namespace raft_test;
using raft::message_type;
using raft::role;

TEST_CASE("a follower that times out with PreVote on does not increase its term until a majority would vote for it", "[raft][prevote]") {
    raft::core n(make_config(1, {1, 2, 3}, true));
    tick_to_timeout(n);
    CHECK(n.role() == role::pre_candidate);
    CHECK(n.term() == 0);
    auto d = drain(n);
    CHECK(d.hard_states.empty()); // nothing to persist: no term, no vote
    auto asks = d.of_type(message_type::pre_vote);
    REQUIRE(asks.size() == 2);
    CHECK(asks[0].term == 1); // asks about the next term without entering it
    // Both refuse (say they heard from a leader): back to follower, same term.
    for (raft::node_id from : {2, 3}) {
        auto no = make_message(message_type::pre_vote_response, from, 1, 0);
        no.reject = true;
        n.step(no);
    }
    CHECK(n.role() == role::follower);
    CHECK(n.term() == 0);
    // Next time one grants: with its own, a majority would vote, so it campaigns for real.
    tick_to_timeout(n);
    REQUIRE(n.role() == role::pre_candidate);
    REQUIRE_FALSE(n.step(make_message(message_type::pre_vote_response, 2, 1, 1)));
    CHECK(n.role() == role::candidate);
    CHECK(n.term() == 1);
    CHECK(drain(n).of_type(message_type::vote).size() == 2);
}

TEST_CASE("a pre-vote is granted without changing the voter's term or vote", "[raft][prevote]") {
    raft::core n(make_config(2, {1, 2, 3}, true), log_state({1, 1}, 5));
    auto ask = make_message(message_type::pre_vote, 1, 2, 6);
    ask.index = 2;
    ask.log_term = 1;
    REQUIRE_FALSE(n.step(ask));
    CHECK(n.term() == 5);
    CHECK(n.vote() == raft::no_node);
    auto d = drain(n);
    auto answers = d.of_type(message_type::pre_vote_response);
    REQUIRE(answers.size() == 1);
    CHECK_FALSE(answers[0].reject);
    CHECK(answers[0].term == 6);
    CHECK(d.hard_states.empty());
    // A pre-candidate with a shorter log is refused, at the voter's own term.
    ask.index = 1;
    n.step(ask);
    answers = drain(n).of_type(message_type::pre_vote_response);
    REQUIRE(answers.size() == 1);
    CHECK(answers[0].reject);
    CHECK(answers[0].term == 5);
}

TEST_CASE("a node that rejoins after a partition leaves the cluster's term and leader unchanged with PreVote and CheckQuorum", "[raft][prevote]") {
    cluster c(3, 31);
    REQUIRE(c.elect(1));
    auto term = c[1].term();
    c.isolate(3);
    c.run(100); // many election timeouts on node 3
    CHECK(c[3].term() == term);             // PreVote never won, so its term never rose
    CHECK(c[3].role() != role::leader);
    c.heal();
    c.run(30);
    CHECK(c.leader() == 1u);
    CHECK(c[1].term() == term);
    CHECK(c[3].leader() == 1u);
    REQUIRE(c.propose(1, "still here"));
    c.stabilize();
    CHECK(c.app(3).commands == std::vector<std::string>{"still here"});
}

TEST_CASE("without PreVote a node that rejoins with a higher term forces the cluster into a new election", "[raft][prevote]") {
    cluster c(3, 31, [](raft::config& cfg) { cfg.pre_vote = false; });
    REQUIRE(c.elect(1));
    auto term = c[1].term();
    c.isolate(3);
    c.run(100);
    CHECK(c[3].term() > term + 3); // it campaigned alone, again and again
    c.heal();
    c.run(60);
    // The leader hears of the higher term (its own heartbeat is answered with
    // it) and steps down: the disruption PreVote exists to prevent.
    auto l = c.wait_for_leader();
    REQUIRE(l);
    CHECK(c[*l].term() > term + 3);
}

TEST_CASE("a leader with CheckQuorum steps down when it has not heard from a majority within an election timeout", "[raft][prevote]") {
    cluster c(3, 37);
    REQUIRE(c.elect(1));
    c.run(3);
    c.isolate(1);
    // The leader checks at the end of each election timeout whether a
    // majority answered during it. The first check after the cut may still
    // count answers from before it, so the leader steps down within two.
    c.run(10);
    c.run(10);
    CHECK(c[1].role() == role::follower);
    CHECK(c[1].leader() == raft::no_node);
    // The majority side elects a leader of its own.
    auto l = c.wait_for_leader();
    REQUIRE(l);
    CHECK(*l != 1u);
}

TEST_CASE("without CheckQuorum a leader cut off from the majority goes on believing it leads", "[raft][prevote]") {
    cluster c(3, 37, [](raft::config& cfg) { cfg.check_quorum = false; });
    REQUIRE(c.elect(1));
    c.isolate(1);
    c.run(100);
    CHECK(c[1].role() == role::leader);
    CHECK(c[1].propose("lost")); // accepted ...
    c.run(10);
    CHECK(c.app(1).commands.empty()); // ... but never committed
}

TEST_CASE("a follower that heard from its leader within the election timeout ignores vote requests (leader lease)", "[raft][prevote]") {
    raft::core f(make_config(2, {1, 2, 3}, false, true));
    REQUIRE_FALSE(f.step(make_message(message_type::heartbeat, 1, 2, 1)));
    drain(f);
    auto vote = make_message(message_type::vote, 3, 2, 2);
    CHECK(f.step(vote) == raft::errc::in_lease);
    CHECK(f.term() == 1);
    CHECK(drain(f).messages.empty());
    // A transfer's campaign is let through: the leader asked for it.
    auto transfer = vote;
    transfer.leader_transfer = true;
    REQUIRE_FALSE(f.step(transfer));
    CHECK(f.term() == 2);
    CHECK(f.vote() == 3);
    // And once the lease has run out, ordinary campaigns are heard again.
    raft::core g(make_config(2, {1, 2, 3}, false, true));
    REQUIRE_FALSE(g.step(make_message(message_type::heartbeat, 1, 2, 1)));
    tick(g, 10);
    vote.term = 5;
    REQUIRE_FALSE(g.step(vote));
    CHECK(g.term() == 5);
    CHECK(g.vote() == 3);
}

TEST_CASE("a node answers a stale leader's heartbeat with its newer term, so the stale leader steps down", "[raft][prevote]") {
    raft::core f(make_config(2, {1, 2, 3}, false, true), log_state({1}, 3));
    CHECK(f.step(make_message(message_type::heartbeat, 1, 2, 2)) == raft::errc::stale_term);
    auto answers = drain(f).of_type(message_type::append_response);
    REQUIRE(answers.size() == 1);
    CHECK(answers[0].term == 3);
    raft::core stale(make_config(1, {1, 2, 3}, false, true), log_state({1}, 1));
    make_leader(stale, {1, 2, 3});
    REQUIRE(stale.term() == 2);
    auto news = answers[0];
    news.to = 1;
    stale.step(news);
    CHECK(stale.role() == role::follower);
    CHECK(stale.term() == 3);
}
