#pragma once
// The output of the core: one batch of work for the driver, taken with
// core::take_ready() and acknowledged with core::advance().
//
// The driver MUST handle a ready in this order:
//   1. persist `snapshot` (if any): it replaces everything stored so far,
//      and the stored log restarts after it;
//   2. persist `entries`: the first of them may be at an index already
//      stored, in which case it and everything stored after it are
//      overwritten (a follower's divergent suffix, §5.3);
//   3. persist `hard_state` (if any), in the same atomic write as 2. or after;
//   4. only then send `messages`: a vote or an acknowledgment promises that
//      the state behind it survives a crash, so it must be on stable storage
//      BEFORE anyone can see the message;
//   5. apply the snapshot (if any), then `committed_entries` in order, to the
//      state machine, and serve `read_states` once applied() has reached
//      their index;
//   6. call advance().

#include <coronet/consensus/raft/message.hpp>
#include <coronet/consensus/raft/snapshot.hpp>
#include <coronet/consensus/raft/types.hpp>

#include <cstdint>
#include <optional>
#include <vector>

namespace coronet::consensus::raft {

/// A ReadIndex answer: once the state machine has applied `index`, a read
/// issued for `request_ctx` sees every write committed before the request
/// (dissertation §6.4).
struct read_state {
    index_t index = 0;
    std::uint64_t request_ctx = 0;

    friend bool operator==(const read_state&, const read_state&) = default;
};

/// Volatile state the driver may want to watch (e.g. to redirect clients).
struct soft_state {
    raft::role role = raft::role::follower;
    node_id leader = no_node;

    friend bool operator==(const soft_state&, const soft_state&) = default;
};

struct ready {
    /// Set if the hard state changed since the previous ready.
    std::optional<raft::hard_state> hard_state;
    /// Set if role or leader changed since the previous ready; nothing to persist.
    std::optional<raft::soft_state> soft_state;
    /// Entries to append to stable storage (may overwrite a stored suffix).
    std::vector<entry> entries;
    /// A snapshot received from the leader, to persist and restore.
    std::optional<raft::snapshot> snapshot;
    /// To send AFTER snapshot, entries and hard state are persisted.
    std::vector<message> messages;
    /// Committed entries to apply, in order; each is on stable storage once
    /// steps 1-3 are done.
    std::vector<entry> committed_entries;
    /// Answers to read_index() calls on this node.
    std::vector<read_state> read_states;
    /// Identifies the ready for advance(const ready&).
    std::uint64_t number = 0;

    bool empty() const {
        return !hard_state && !soft_state && entries.empty() && !snapshot && messages.empty() &&
               committed_entries.empty() && read_states.empty();
    }
};

} // namespace coronet::consensus::raft
