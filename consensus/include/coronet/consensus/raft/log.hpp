#pragma once
// A node's copy of the replicated log, in memory: a snapshot that stands for
// the prefix up to snapshot_index(), then entries snapshot_index()+1 ..
// last_index(). It also remembers how much of itself has been handed to the
// application for stable storage and how much the application confirmed,
// which is how ready.entries is computed.
//
// The log knows nothing about commitment, roles or messages: core decides
// what may be appended or truncated (never a committed entry) and the log
// checks only its own shape.

#include <coronet/consensus/raft/snapshot.hpp>
#include <coronet/consensus/raft/types.hpp>

#include <cstddef>
#include <deque>
#include <optional>
#include <span>
#include <vector>

namespace coronet::consensus::raft {

class raft_log {
public:
    raft_log() = default;

    /// Starts from what stable storage holds: `snap` (index 0 for none) and
    /// the entries after it, all counted as persisted. Throws
    /// std::invalid_argument unless the entries are consecutive from
    /// snap.metadata.index + 1 with terms that never decrease and never go
    /// below snap.metadata.term.
    raft_log(raft::snapshot snap, std::vector<entry> entries);

    index_t first_index() const { return _snapshot.metadata.index + 1; }
    index_t last_index() const { return _snapshot.metadata.index + _entries.size(); }
    term_t last_term() const { return _entries.empty() ? _snapshot.metadata.term : _entries.back().term; }
    index_t snapshot_index() const { return _snapshot.metadata.index; }
    term_t snapshot_term() const { return _snapshot.metadata.term; }

    /// The latest snapshot (what the leader sends to a follower that needs
    /// compacted entries); metadata.index == 0 if there is none.
    const raft::snapshot& latest_snapshot() const { return _snapshot; }

    /// The term of entry `i`, known for snapshot_index() <= i <= last_index();
    /// nothing outside that range (compacted, or not there yet).
    std::optional<term_t> term_at(index_t i) const;

    /// True if the log holds an entry `i` of term `t` (or i is the snapshot
    /// index with that term, or i == 0): by the Log Matching Property every
    /// entry up to `i` then equals the sender's (§5.3).
    bool matches(index_t i, term_t t) const;

    /// §5.4.1: a log ending at (last_term, last_index) is at least as
    /// up to date as this one.
    bool is_up_to_date(index_t last_index, term_t last_term) const;

    /// \pre first_index() <= i <= last_index()
    const entry& at(index_t i) const { return _entries[static_cast<std::size_t>(i - first_index())]; }

    /// Entries from `from` on, at most count_max of them and at most
    /// bytes_max bytes of data, but at least one if there is one.
    /// \pre first_index() <= from <= last_index() + 1
    std::vector<entry> slice(index_t from, std::size_t count_max, std::size_t bytes_max) const;

    /// The index of the first of `entries` that is not in this log (a
    /// different term at that index, or past the end); 0 if the log holds
    /// all of them. \pre entries are consecutive and start at or after first_index()
    index_t find_conflict(std::span<const entry> entries) const;

    /// For fast backtracking: the largest index <= `index` whose term is <=
    /// `term`, or the snapshot index if no entry qualifies. Everything after
    /// it cannot match a log whose entry at `index` has term `term`.
    index_t find_conflict_by_term(index_t index, term_t term) const;

    /// Appends `entries`, first dropping this log's entries from
    /// entries.front().index on. The caller has checked that nothing
    /// committed is dropped.
    /// \pre entries are consecutive, first_index() <= entries.front().index <= last_index() + 1,
    ///      and their terms never decrease and are >= the term before them
    void truncate_and_append(std::span<const entry> entries);

    /// Appends one entry at last_index() + 1. \pre e.index == last_index() + 1, e.term >= last_term()
    void append(entry e);

    /// Forgets every entry up to snap.metadata.index, which the application
    /// has applied and captured in `snap`.
    /// \pre snapshot_index() < snap.metadata.index <= last_index() and the terms match
    void compact(raft::snapshot snap);

    /// Replaces the whole log by `snap` (a follower installing the leader's
    /// snapshot); the snapshot is then waiting to be persisted.
    void install(raft::snapshot snap);

    // Persistence bookkeeping, for ready/advance. Entries up to stable_index()
    // are on stable storage; entries up to handed_index() have been handed to
    // the application in a ready that it has not acknowledged yet.
    // Invariant: snapshot_index() <= stable_index() <= handed_index() <= last_index().

    index_t stable_index() const { return _stable; }
    index_t handed_index() const { return _handed; }
    bool has_unhanded_entries() const { return last_index() > _handed; }
    /// Entries after handed_index(), which then becomes last_index().
    std::vector<entry> hand_unstable_entries();
    /// A snapshot installed and not handed yet.
    bool has_unhanded_snapshot() const { return _snapshot_unhanded; }
    /// The installed snapshot, which then counts as handed.
    raft::snapshot hand_snapshot();
    /// The application persisted everything handed so far.
    void mark_handed_stable() { _stable = _handed; }

private:
    /// Stands for entries 1 .. _snapshot.metadata.index.
    raft::snapshot _snapshot;
    /// Entries _snapshot.metadata.index + 1 .. last_index(), consecutive, with
    /// terms that never decrease and are >= _snapshot.metadata.term.
    std::deque<entry> _entries;
    index_t _stable = 0;
    index_t _handed = 0;
    bool _snapshot_unhanded = false;
};

} // namespace coronet::consensus::raft
