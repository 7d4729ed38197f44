// The in-memory log: terms by index, conflicts, truncation, compaction and
// the bookkeeping behind ready.entries.
#include "consensus/raft_support.hpp"

#include <coronet/consensus/raft/log.hpp>

#include <catch2/catch.hpp>

#include <stdexcept>

using namespace raft_test;
using raft::raft_log;

namespace {

raft::snapshot snapshot_at(raft::index_t index, raft::term_t term) {
    raft::snapshot s;
    s.metadata.index = index;
    s.metadata.term = term;
    s.metadata.members = raft::make_membership({1, 2, 3});
    return s;
}

} // namespace

TEST_CASE("a log restored after a snapshot knows terms only from the snapshot index to its last entry", "[raft][log]") {
    raft_log log(snapshot_at(5, 2), entries_with_terms({2, 3, 3}, 6));
    CHECK(log.first_index() == 6);
    CHECK(log.last_index() == 8);
    CHECK(log.last_term() == 3);
    CHECK(log.term_at(4) == std::nullopt); // compacted
    CHECK(log.term_at(5) == 2);            // the snapshot's own term
    CHECK(log.term_at(7) == 3);
    CHECK(log.term_at(9) == std::nullopt); // not there yet
    CHECK(log.matches(5, 2));
    CHECK_FALSE(log.matches(5, 1));
    CHECK(log.stable_index() == 8);
    CHECK_FALSE(log.has_unhanded_entries());
}

TEST_CASE("restoring entries that leave a gap or whose terms decrease throws", "[raft][log]") {
    CHECK_THROWS_AS(raft_log(snapshot_at(5, 2), entries_with_terms({2, 3}, 7)), std::invalid_argument);
    CHECK_THROWS_AS(raft_log(snapshot_at(0, 0), entries_with_terms({2, 1})), std::invalid_argument);
    CHECK_THROWS_AS(raft_log(snapshot_at(5, 4), entries_with_terms({3}, 6)), std::invalid_argument);
}

TEST_CASE("a log is at least as up to date when its last term is higher, or equal with a longer log (§5.4.1)", "[raft][log]") {
    raft_log log({}, entries_with_terms({1, 2, 2}));
    CHECK(log.is_up_to_date(1, 3));  // later term wins even if shorter
    CHECK(log.is_up_to_date(3, 2));  // same term, same length
    CHECK(log.is_up_to_date(4, 2));  // same term, longer
    CHECK_FALSE(log.is_up_to_date(2, 2));
    CHECK_FALSE(log.is_up_to_date(9, 1));
}

TEST_CASE("find_conflict returns the first entry that differs or is new, and 0 when the log holds them all", "[raft][log]") {
    raft_log log({}, entries_with_terms({1, 1, 2, 2}));
    CHECK(log.find_conflict(entries_with_terms({1, 2, 2}, 2)) == 0);
    CHECK(log.find_conflict(entries_with_terms({2, 2, 3}, 3)) == 5);
    CHECK(log.find_conflict(entries_with_terms({1, 3, 3}, 2)) == 3);
    CHECK(log.find_conflict({}) == 0);
}

TEST_CASE("truncate_and_append replaces a divergent suffix and hands the new entries out again", "[raft][log]") {
    raft_log log({}, entries_with_terms({1, 1, 2, 2}));
    log.append(make_entry(5, 2));
    CHECK(log.hand_unstable_entries().size() == 1);
    log.mark_handed_stable();
    CHECK(log.stable_index() == 5);
    auto replacement = entries_with_terms({3, 3}, 4);
    log.truncate_and_append(replacement);
    CHECK(log.last_index() == 5);
    CHECK(log.term_at(3) == 2);
    CHECK(log.term_at(4) == 3);
    CHECK(log.stable_index() == 3); // 4 and 5 were overwritten
    auto handed = log.hand_unstable_entries();
    REQUIRE(handed.size() == 2);
    CHECK(handed.front().index == 4);
}

TEST_CASE("find_conflict_by_term skips every entry of a newer term in one step", "[raft][log]") {
    raft_log log({}, entries_with_terms({1, 1, 1, 4, 4, 5, 5, 6, 6, 6}));
    CHECK(log.find_conflict_by_term(10, 3) == 3);
    CHECK(log.find_conflict_by_term(10, 6) == 10);
    CHECK(log.find_conflict_by_term(7, 4) == 5);
    CHECK(log.find_conflict_by_term(99, 5) == 7); // clamped to the last index first
    CHECK(log.find_conflict_by_term(10, 0) == 0);
}

TEST_CASE("slice stops at the entry and byte bounds but always returns at least one entry", "[raft][log]") {
    raft_log log({}, {});
    for (raft::index_t i = 1; i <= 10; ++i) log.append(make_entry(i, 1, std::string(100, 'x')));
    CHECK(log.slice(1, 4, 1 << 20).size() == 4);
    CHECK(log.slice(1, 100, 250).size() == 2);
    CHECK(log.slice(1, 100, 10).size() == 1); // one oversized entry still goes
    CHECK(log.slice(11, 100, 1 << 20).empty());
}

TEST_CASE("compaction forgets entries but keeps the snapshot's term for the log-matching check", "[raft][log]") {
    raft_log log({}, entries_with_terms({1, 1, 2, 2, 3}));
    log.compact(snapshot_at(3, 2));
    CHECK(log.first_index() == 4);
    CHECK(log.term_at(3) == 2);
    CHECK(log.term_at(2) == std::nullopt);
    CHECK(log.latest_snapshot().metadata.index == 3);
    CHECK_THROWS_AS(log.compact(snapshot_at(2, 1)), std::logic_error);
    log.install(snapshot_at(9, 4));
    CHECK(log.last_index() == 9);
    CHECK(log.first_index() == 10);
    CHECK(log.has_unhanded_snapshot());
    CHECK(log.hand_snapshot().metadata.index == 9);
    CHECK_FALSE(log.has_unhanded_snapshot());
}
