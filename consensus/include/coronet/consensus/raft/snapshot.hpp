#pragma once
// A snapshot replaces a prefix of the log (§7): the application's state after
// applying every entry up to metadata.index, plus what the core needs to carry
// on from there.

#include <coronet/consensus/raft/membership.hpp>
#include <coronet/consensus/raft/types.hpp>

#include <string>

namespace coronet::consensus::raft {

struct snapshot_metadata {
    index_t index = 0;     ///< the last entry the snapshot covers; 0 means "no snapshot"
    term_t term = 0;       ///< that entry's term (the log-matching check needs it)
    membership members;    ///< the membership as of `index`

    friend bool operator==(const snapshot_metadata&, const snapshot_metadata&) = default;
};

struct snapshot {
    snapshot_metadata metadata;
    std::string data; ///< opaque: the application's state machine, serialized by it

    friend bool operator==(const snapshot&, const snapshot&) = default;
};

} // namespace coronet::consensus::raft
