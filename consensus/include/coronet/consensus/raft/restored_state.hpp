#pragma once
// What a node reads back from stable storage when it starts: everything the
// readies before the crash told it to persist.

#include <coronet/consensus/raft/snapshot.hpp>
#include <coronet/consensus/raft/types.hpp>

#include <vector>

namespace coronet::consensus::raft {

struct restored_state {
    /// The last hard state persisted ({0, 0, 0} for a brand-new node).
    raft::hard_state hard_state;
    /// The last snapshot persisted (metadata.index == 0: none). Its
    /// membership replaces config::voters/learners.
    raft::snapshot snapshot;
    /// The stored entries after the snapshot, consecutive.
    std::vector<entry> entries;
    /// The last entry the application had applied, if its state machine is
    /// durable; committed entries after it are handed out again. Values below
    /// the snapshot index mean the snapshot index.
    index_t applied = 0;
};

} // namespace coronet::consensus::raft
