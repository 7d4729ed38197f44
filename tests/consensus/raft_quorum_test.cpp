// Majorities, and the leader's per-follower progress and in-flight window.
#include "consensus/raft_support.hpp"

#include <coronet/consensus/raft/progress.hpp>
#include <coronet/consensus/raft/quorum.hpp>

#include <catch2/catch.hpp>

#include <map>
#include <stdexcept>
#include <vector>

using namespace raft_test;
using raft::node_id;

TEST_CASE("the majority value is the highest index that more than half of the voters reached", "[raft][quorum]") {
    std::map<node_id, raft::index_t> match{{1, 9}, {2, 9}, {3, 7}, {4, 4}, {5, 1}};
    std::vector<node_id> five{1, 2, 3, 4, 5};
    CHECK(raft::majority_value(five, [&](node_id id) { return match[id]; }) == 7);
    std::vector<node_id> four{1, 3, 4, 5}; // 9, 7, 4, 1: a majority of four is three
    CHECK(raft::majority_value(four, [&](node_id id) { return match[id]; }) == 4);
    std::vector<node_id> one{5};
    CHECK(raft::majority_value(one, [&](node_id id) { return match[id]; }) == 1);
    CHECK(raft::majority_value({}, [&](node_id id) { return match[id]; }) == 0);
    CHECK(raft::quorum_size(3) == 2);
    CHECK(raft::quorum_size(4) == 3);
}

TEST_CASE("an election is won at a majority of grants and lost once a majority has refused", "[raft][quorum]") {
    std::vector<node_id> voters{1, 2, 3, 4, 5};
    std::map<node_id, int> votes{{1, 1}};
    auto result = [&] {
        return raft::tally(voters, [&](node_id id) { return votes.contains(id) ? votes[id] : -1; });
    };
    CHECK(result() == raft::vote_result::pending);
    votes[2] = 0;
    votes[3] = 0;
    CHECK(result() == raft::vote_result::pending);
    votes[4] = 1;
    CHECK(result() == raft::vote_result::pending);
    votes[5] = 1;
    CHECK(result() == raft::vote_result::won);
    votes[5] = 0;
    CHECK(result() == raft::vote_result::lost);
}

TEST_CASE("a probing follower gets one append at a time, walks back on rejections and ignores stale ones", "[raft][progress]") {
    raft::progress pr(11, 8, false);
    CHECK(pr.state() == raft::progress_state::probe);
    CHECK_FALSE(pr.is_paused());
    pr.sent_append(10, 0); // an empty probe after index 10
    CHECK(pr.is_paused());
    CHECK_FALSE(pr.maybe_decrease_to(9, 5)); // answers an older probe
    CHECK(pr.is_paused());
    CHECK(pr.maybe_decrease_to(10, 5)); // the answer to this probe: try 5 next
    CHECK(pr.next() == 5);
    CHECK_FALSE(pr.is_paused());
    pr.sent_append(4, 0);
    pr.heard_heartbeat_response(); // a heartbeat answer allows another try
    CHECK_FALSE(pr.is_paused());
    CHECK(pr.maybe_update(4));
    CHECK(pr.match() == 4);
    CHECK(pr.next() == 5);
    CHECK_FALSE(pr.maybe_update(3)); // old news
}

TEST_CASE("a replicating follower pauses when its in-flight window is full and resumes as acknowledgments free it", "[raft][progress]") {
    raft::progress pr(1, 3, false);
    pr.maybe_update(0);
    pr.become_replicate();
    pr.sent_append(2, 2);
    pr.sent_append(4, 2);
    pr.sent_append(6, 2);
    CHECK(pr.next() == 7); // optimistic
    CHECK(pr.inflights().count() == 3);
    CHECK(pr.is_paused());
    CHECK(pr.maybe_update(4)); // frees the first two
    CHECK(pr.inflights().count() == 1);
    CHECK_FALSE(pr.is_paused());
    CHECK_FALSE(pr.maybe_decrease_to(3, 1)); // at or below match: stale
    CHECK(pr.maybe_decrease_to(6, 1));
    CHECK(pr.next() == 5); // back to match + 1
}

TEST_CASE("a follower receiving a snapshot gets nothing else until it is reported", "[raft][progress]") {
    raft::progress pr(3, 4, false);
    pr.become_snapshot(20);
    CHECK(pr.is_paused());
    pr.become_probe();
    CHECK(pr.next() == 21); // resumes after the snapshot
    pr.become_snapshot(20);
    pr.abort_snapshot();
    CHECK(pr.next() == 1); // failed: probe from match + 1 again
    CHECK_THROWS_AS(raft::inflights(0), std::invalid_argument);
}
