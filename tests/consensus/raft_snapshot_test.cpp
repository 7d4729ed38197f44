// Snapshots and InstallSnapshot (§7).
#include "consensus/raft_cluster.hpp"

#include <catch2/catch.hpp>

using namespace raft_test;
using raft::message_type;

TEST_CASE("a lagging follower whose next entries were compacted installs the leader's snapshot, then replicates normally (§7)", "[raft][snapshot]") {
    cluster c(3, 61);
    REQUIRE(c.elect(1));
    c.isolate(3);
    for (int i = 0; i < 10; ++i) REQUIRE(c.propose(1, "s" + std::to_string(i)));
    c.stabilize();
    REQUIRE_FALSE(c.compact(1));
    REQUIRE_FALSE(c.compact(2));
    auto snap_index = c[1].log().snapshot_index();
    REQUIRE(snap_index == c[1].commit());
    c.heal();
    c.clear_trace();
    c.run(3);
    CHECK(c.delivered_count(message_type::snapshot) == 1);
    CHECK(c.storage(3).snapshot.metadata.index == snap_index);
    CHECK(c[3].log().first_index() == snap_index + 1);
    CHECK(c.app(3).commands == c.app(1).commands);
    CHECK(c[3].members() == c[1].members());
    REQUIRE(c.propose(1, "after"));
    c.stabilize();
    CHECK(c.app(3).commands.size() == 11);
    CHECK(c.app(3).commands == c.app(1).commands);
    CHECK(c[1].progresses().at(3).state() == raft::progress_state::replicate);
}

TEST_CASE("compaction is refused at or below the current snapshot and beyond what was applied", "[raft][snapshot]") {
    cluster c(3, 63);
    REQUIRE(c.elect(1));
    REQUIRE(c.propose(1, "a"));
    c.stabilize();
    auto applied = c[1].applied();
    CHECK(c[1].compact(applied + 1, "future") == raft::errc::not_applied);
    REQUIRE_FALSE(c[1].compact(applied, "state"));
    CHECK(c[1].compact(applied, "again") == raft::errc::compacted);
    CHECK(c[1].compact(0, "zero") == raft::errc::compacted);
    CHECK(c[1].log().latest_snapshot().data == "state");
    CHECK(c[1].log().latest_snapshot().metadata.members.voters == std::vector<raft::node_id>{1, 2, 3});
}

TEST_CASE("a snapshot the follower's log already covers only advances its commit index", "[raft][snapshot]") {
    raft::core f(make_config(2, {1, 2, 3}), log_state({1, 1, 1, 1}, 1, 1));
    auto m = make_message(message_type::snapshot, 1, 2, 1);
    m.snapshot.emplace();
    m.snapshot->metadata.index = 3;
    m.snapshot->metadata.term = 1;
    m.snapshot->metadata.members = raft::make_membership({1, 2, 3});
    REQUIRE_FALSE(f.step(m));
    CHECK(f.commit() == 3);
    CHECK(f.log().last_index() == 4); // kept: entry 4 may still commit
    auto d = drain(f);
    CHECK(d.snapshots.empty());
    CHECK(d.committed.size() == 3);
    // An older snapshot than the commit index is acknowledged and ignored.
    m.snapshot->metadata.index = 2;
    REQUIRE_FALSE(f.step(m));
    auto answers = drain(f).of_type(message_type::append_response);
    REQUIRE(answers.size() == 1);
    CHECK(answers[0].index == 3);
}

TEST_CASE("a follower with a conflicting log replaces it entirely by the snapshot and restarts its log after it", "[raft][snapshot]") {
    raft::core f(make_config(2, {1, 2, 3}), log_state({1, 1, 2, 2}, 2, 1));
    auto m = make_message(message_type::snapshot, 1, 2, 3);
    m.snapshot.emplace();
    m.snapshot->metadata.index = 6;
    m.snapshot->metadata.term = 3;
    m.snapshot->metadata.members = raft::make_membership({1, 2, 3, 4});
    m.snapshot->data = "state at 6";
    REQUIRE_FALSE(f.step(m));
    CHECK(f.commit() == 6);
    CHECK(f.log().last_index() == 6);
    CHECK(f.log().first_index() == 7);
    CHECK(f.members().voters.size() == 4);
    auto d = drain(f);
    REQUIRE(d.snapshots.size() == 1);
    CHECK(d.snapshots[0].data == "state at 6");
    CHECK(d.committed.empty()); // the snapshot stands for entries 1-6
    CHECK(f.applied() == 6);
    auto answers = d.of_type(message_type::append_response);
    REQUIRE(answers.size() == 1);
    CHECK(answers[0].index == 6);
}

TEST_CASE("a node restarted after compaction resumes from its snapshot and the entries after it", "[raft][snapshot]") {
    cluster c(3, 67);
    REQUIRE(c.elect(1));
    for (int i = 0; i < 4; ++i) REQUIRE(c.propose(1, "r" + std::to_string(i)));
    c.stabilize();
    REQUIRE_FALSE(c.compact(2));
    REQUIRE(c.propose(1, "r4"));
    c.stabilize();
    auto commands = c.app(2).commands;
    c.crash(2);
    c.restart(2);
    CHECK(c[2].log().snapshot_index() == c.storage(2).snapshot.metadata.index);
    CHECK(c[2].applied() == c[2].log().snapshot_index());
    c.stabilize();
    CHECK(c.app(2).commands == commands); // snapshot + the committed entries after it, applied again
    c.run(2);
    CHECK(c.app(2).commands == c.app(1).commands);
}
