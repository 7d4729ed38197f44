// The Raft paper, section by section (Ongaro and Ousterhout, extended
// version), in the manner of etcd-raft's raft_paper_test.go: each test names
// the section whose rule it checks. Nodes are driven by hand, message by
// message; PreVote and CheckQuorum are off, as in the paper.
#include "consensus/raft_cluster.hpp"

#include <catch2/catch.hpp>

#include <set>

using namespace raft_test;
using raft::message_type;
using raft::role;

TEST_CASE("a follower that hears nothing for its election timeout becomes a candidate of the next term and asks every voter (§5.2)", "[raft][paper]") {
    raft::core n(make_config(1, {1, 2, 3}));
    tick_to_timeout(n);
    CHECK(n.role() == role::candidate);
    CHECK(n.term() == 1);
    CHECK(n.vote() == 1); // votes for itself
    auto d = drain(n);
    REQUIRE(d.hard_states.size() == 1);
    CHECK(d.hard_states[0] == raft::hard_state{1, 1, 0});
    auto votes = d.of_type(message_type::vote);
    REQUIRE(votes.size() == 2);
    std::set<raft::node_id> to;
    for (const auto& m : votes) {
        to.insert(m.to);
        CHECK(m.term == 1);
        CHECK(m.index == 0);
        CHECK(m.log_term == 0);
    }
    CHECK(to == std::set<raft::node_id>{2, 3});
}

TEST_CASE("election timeouts are drawn between election_ticks and twice that, and the same seed draws the same ones (§5.2)", "[raft][paper]") {
    std::set<std::uint32_t> seen;
    for (raft::node_id id = 1; id <= 30; ++id) {
        raft::core n(make_config(id, {id, 100, 101}));
        auto t = n.election_timeout_ticks();
        CHECK(t >= 10);
        CHECK(t < 20);
        seen.insert(t);
        raft::core twin(make_config(id, {id, 100, 101}));
        CHECK(twin.election_timeout_ticks() == t);
        // The timeout is exactly when the follower campaigns.
        tick(n, static_cast<int>(t) - 1);
        CHECK(n.role() == role::follower);
        n.tick();
        CHECK(n.role() == role::candidate);
    }
    CHECK(seen.size() > 3); // randomized, not one value for everybody
}

TEST_CASE("a candidate with votes from a majority becomes leader and sends heartbeats every heartbeat interval (§5.2)", "[raft][paper]") {
    raft::core n(make_config(1, {1, 2, 3}));
    n.campaign();
    drain(n);
    REQUIRE_FALSE(n.step(make_message(message_type::vote_response, 2, 1, 1)));
    CHECK(n.role() == role::leader); // itself and 2: two of three
    CHECK(n.leader() == 1);
    drain(n);
    n.tick(); // heartbeat_ticks = 1
    auto heartbeats = drain(n).of_type(message_type::heartbeat);
    REQUIRE(heartbeats.size() == 2);
    for (const auto& m : heartbeats) CHECK(m.term == 1);
}

TEST_CASE("a candidate that is refused by a majority returns to follower, and one that hears nothing campaigns again at a higher term (§5.2)", "[raft][paper]") {
    raft::core n(make_config(1, {1, 2, 3, 4, 5}));
    n.campaign();
    auto refused = make_message(message_type::vote_response, 2, 1, 1);
    refused.reject = true;
    n.step(refused);
    refused.from = 3;
    n.step(refused);
    CHECK(n.role() == role::candidate); // two refusals of five: still possible
    refused.from = 4;
    n.step(refused);
    CHECK(n.role() == role::follower);

    raft::core split(make_config(1, {1, 2, 3}));
    split.campaign();
    CHECK(split.term() == 1);
    tick(split, 2 * 10);
    CHECK(split.role() == role::candidate);
    CHECK(split.term() == 2);
}

TEST_CASE("a node grants at most one vote per term, to the first candidate that asks (§5.2)", "[raft][paper]") {
    raft::core n(make_config(3, {1, 2, 3}));
    auto from1 = make_message(message_type::vote, 1, 3, 1);
    auto from2 = make_message(message_type::vote, 2, 3, 1);
    REQUIRE_FALSE(n.step(from1));
    REQUIRE_FALSE(n.step(from2));
    REQUIRE_FALSE(n.step(from1)); // a repeated request (the answer may have been lost)
    auto answers = drain(n).of_type(message_type::vote_response);
    REQUIRE(answers.size() == 3);
    CHECK_FALSE(answers[0].reject);
    CHECK(answers[1].reject);
    CHECK_FALSE(answers[2].reject);
    CHECK(n.vote() == 1);
}

TEST_CASE("a node refuses its vote to a candidate whose log is less up to date than its own (§5.4.1)", "[raft][paper]") {
    struct request {
        raft::term_t last_term;
        raft::index_t last_index;
        bool granted;
    };
    // The voter's log: terms 1, 2 (last entry: index 2, term 2).
    const request requests[] = {
        {1, 1, false}, {1, 5, false}, // older last term, however long
        {2, 1, false},                // same term, shorter
        {2, 2, true},  {2, 3, true},  // same term, as long or longer
        {3, 1, true},                 // newer last term, however short
    };
    for (const auto& r : requests) {
        raft::core n(make_config(3, {1, 2, 3}), log_state({1, 2}, 2));
        auto m = make_message(message_type::vote, 1, 3, 4);
        m.log_term = r.last_term;
        m.index = r.last_index;
        n.step(m);
        auto answers = drain(n).of_type(message_type::vote_response);
        REQUIRE(answers.size() == 1);
        CHECK(answers[0].reject == !r.granted);
        CHECK(n.term() == 4); // the newer term is adopted either way (§5.1)
    }
}

TEST_CASE("a message from an older term is rejected, and one from a newer term makes the receiver a follower of that term (§5.1)", "[raft][paper]") {
    raft::core n(make_config(1, {1, 2, 3}));
    make_leader(n, {1, 2, 3});
    n.campaign(); // a leader ignores this
    REQUIRE(n.role() == role::leader);
    REQUIRE(n.term() == 1);
    drain(n);
    auto higher = make_message(message_type::append_response, 2, 1, 2);
    n.step(higher); // answers nothing it sent in term 2, but the term is news
    CHECK(n.role() == role::follower);
    CHECK(n.term() == 2);
    CHECK(n.leader() == raft::no_node);
    auto stale = make_message(message_type::heartbeat, 3, 1, 1);
    CHECK(n.step(stale) == raft::errc::stale_term);
    CHECK(n.leader() == raft::no_node);
    CHECK(drain(n).of_type(message_type::heartbeat_response).empty());
    auto current = make_message(message_type::heartbeat, 3, 1, 3);
    REQUIRE_FALSE(n.step(current));
    CHECK(n.term() == 3);
    CHECK(n.leader() == 3);
}

TEST_CASE("a candidate that hears from a leader of its own term returns to follower (§5.2)", "[raft][paper]") {
    raft::core n(make_config(1, {1, 2, 3}));
    n.campaign();
    REQUIRE(n.role() == role::candidate);
    REQUIRE_FALSE(n.step(make_message(message_type::heartbeat, 2, 1, 1)));
    CHECK(n.role() == role::follower);
    CHECK(n.leader() == 2);
    CHECK(n.term() == 1);
}

TEST_CASE("a new leader appends an empty entry of its term at once (§8)", "[raft][paper]") {
    raft::core n(make_config(1, {1, 2, 3}), log_state({1, 1}, 1));
    make_leader(n, {1, 2, 3});
    REQUIRE(n.role() == role::leader);
    CHECK(n.log().last_index() == 3);
    CHECK(n.log().at(3).type == raft::entry_type::noop);
    CHECK(n.log().at(3).term == 2);
    auto appends = drain(n).of_type(message_type::append);
    REQUIRE(appends.size() == 2);
    CHECK(appends[0].index == 2); // probing right after its own log
    CHECK(appends[0].log_term == 1);
    CHECK(appends[0].entries.size() == 1);
}

TEST_CASE("a follower rejects an append whose previous entry it does not hold, and accepts one whose previous entry matches (§5.3)", "[raft][paper]") {
    raft::core f(make_config(2, {1, 2, 3}), log_state({1, 1, 2}, 2));
    auto wrong_term = make_message(message_type::append, 1, 2, 3);
    wrong_term.index = 3;
    wrong_term.log_term = 3; // f has term 2 at index 3
    wrong_term.entries = entries_with_terms({3}, 4);
    f.step(wrong_term);
    auto too_far = wrong_term;
    too_far.index = 7;
    too_far.entries = entries_with_terms({3}, 8);
    f.step(too_far);
    auto good = wrong_term;
    good.log_term = 2;
    good.commit = 4;
    f.step(good);
    auto answers = drain(f).of_type(message_type::append_response);
    REQUIRE(answers.size() == 3);
    CHECK(answers[0].reject);
    CHECK(answers[0].index == 3);
    CHECK(answers[0].reject_hint == 3); // its entry 3 has term 2 <= 3: it might match from there down
    CHECK(answers[0].log_term == 2);
    CHECK(answers[1].reject);
    CHECK(answers[1].reject_hint == 3); // its last index
    CHECK_FALSE(answers[2].reject);
    CHECK(answers[2].index == 4);
    CHECK(f.log().last_index() == 4);
    CHECK(f.commit() == 4);
}

TEST_CASE("a follower replaces a conflicting uncommitted suffix with the leader's entries and keeps the matching prefix (§5.3)", "[raft][paper]") {
    raft::core f(make_config(2, {1, 2, 3}), log_state({1, 1, 2, 2, 2}, 2, 2));
    auto m = make_message(message_type::append, 1, 2, 3);
    m.index = 2;
    m.log_term = 1;
    m.entries = entries_with_terms({3, 3}, 3);
    REQUIRE_FALSE(f.step(m));
    CHECK(f.log().last_index() == 4); // 5 (term 2) is gone: it came after the conflict
    CHECK(f.log().term_at(3) == 3);
    CHECK(f.log().term_at(4) == 3);
    auto d = drain(f);
    REQUIRE(d.entries.size() == 2); // only the rewritten suffix goes to storage
    CHECK(d.entries.front().index == 3);
    // A duplicate of the same append changes nothing and keeps the log.
    REQUIRE_FALSE(f.step(m));
    CHECK(f.log().last_index() == 4);
    CHECK(drain(f).entries.empty());
}

TEST_CASE("fast backtracking finds where long divergent logs match in a few round trips instead of one per entry (§5.3)", "[raft][paper]") {
    // The leader holds 1 entry of term 1 then 50 of term 3; the follower the
    // same first entry, then 100 entries of term 2 that never committed.
    std::vector<raft::term_t> leader_terms{1}, follower_terms{1};
    leader_terms.insert(leader_terms.end(), 50, 3);
    follower_terms.insert(follower_terms.end(), 100, 2);
    raft::core leader(make_config(1, {1, 2, 3}), log_state(leader_terms, 3));
    raft::core follower(make_config(2, {1, 2, 3}), log_state(follower_terms, 2));
    make_leader(leader, {1, 2, 3});
    REQUIRE(leader.role() == role::leader);

    int round_trips = 0, rejections = 0;
    auto same_log = [&] {
        if (follower.log().last_index() != leader.log().last_index()) return false;
        for (raft::index_t i = 1; i <= leader.log().last_index(); ++i)
            if (follower.log().term_at(i) != leader.log().term_at(i)) return false;
        return true;
    };
    while (!same_log() && round_trips < 200) {
        ++round_trips;
        for (const auto& m : drain(leader).messages)
            if (m.to == 2) follower.step(m);
        for (const auto& m : drain(follower).messages) {
            if (m.type == message_type::append_response && m.reject) ++rejections;
            leader.step(m);
        }
    }
    CHECK(same_log());
    CHECK(rejections == 1);  // one rejection skips the whole term-2 suffix
    CHECK(round_trips <= 3); // a probe, then the entries (64 per message) in the replicate state
}

TEST_CASE("a leader does not commit an entry of an earlier term by counting replicas, only through an entry of its own term (§5.4.2, Figure 8)", "[raft][paper]") {
    // Entry 2 (term 2) is on the leader and, below, on node 2: a majority of
    // three. The leader is now in term 3.
    raft::core leader(make_config(1, {1, 2, 3}), log_state({1, 2}, 2, 1));
    make_leader(leader, {1, 2, 3});
    REQUIRE(leader.term() == 3);
    drain(leader);
    REQUIRE_FALSE(leader.step(ack(2, 1, 3, 2)));
    CHECK(leader.progresses().at(2).match() == 2);
    CHECK(leader.commit() == 1); // counting replicas is not enough for term 2
    REQUIRE_FALSE(leader.step(ack(2, 1, 3, 3)));
    CHECK(leader.commit() == 3); // the no-op of term 3 commits, and entry 2 with it
}

TEST_CASE("an entry commits once a majority stores it, and followers learn the commit index from the leader (§5.3)", "[raft][paper]") {
    cluster c(3, 21, [](raft::config& cfg) {
        cfg.pre_vote = false;
        cfg.check_quorum = false;
    });
    REQUIRE(c.elect(1));
    c.isolate(3);
    auto p = c.propose(1, "x");
    REQUIRE(p);
    c.stabilize();
    CHECK(c[1].commit() == p.index);
    CHECK(c[2].commit() == p.index); // learned from the next append or heartbeat
    CHECK(c.app(1).commands == std::vector<std::string>{"x"});
    CHECK(c.app(2).commands == std::vector<std::string>{"x"});
    CHECK(c[3].log().last_index() < p.index);
    c.heal();
    c.run(2);
    CHECK(c[3].commit() == p.index);
    CHECK(c.app(3).commands == std::vector<std::string>{"x"});
}

TEST_CASE("a leader never overwrites or deletes entries in its own log (§5.3, Leader Append-Only)", "[raft][paper]") {
    raft::core leader(make_config(1, {1, 2, 3}), log_state({1, 1, 1}, 1));
    make_leader(leader, {1, 2, 3});
    drain(leader);
    auto before = leader.log().last_index();
    // A forged append of the leader's own term from another node.
    auto forged = make_message(message_type::append, 2, 1, leader.term());
    forged.index = 0;
    forged.entries = entries_with_terms({leader.term()});
    CHECK(leader.step(forged) == raft::errc::stale_message);
    CHECK(leader.role() == role::leader);
    CHECK(leader.log().last_index() == before);
    CHECK(leader.log().term_at(1) == 1);
}
