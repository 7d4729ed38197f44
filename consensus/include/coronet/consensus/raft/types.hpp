#pragma once
// The vocabulary of the Raft core: terms, log indexes, node ids, log entries,
// the state that must survive a crash (hard_state) and the roles a node plays.
// Everything here is a plain value type, so a driver can encode it on any wire
// or disk format.

#include <cstdint>
#include <string>
#include <string_view>

namespace coronet::consensus::raft {

/// A Raft term (§5.1). Terms start at 0 (no election has happened yet) and
/// only ever grow on a given node.
using term_t = std::uint64_t;

/// A position in the replicated log. The first entry has index 1; index 0 is
/// the empty prefix that every log shares.
using index_t = std::uint64_t;

/// A node's identity within one cluster. 0 is reserved for "nobody".
using node_id = std::uint64_t;

/// "No node": no leader known, no vote cast.
inline constexpr node_id no_node = 0;

/// What an entry carries.
enum class entry_type : std::uint8_t {
    normal = 0, ///< an application command (opaque bytes)
    config = 1, ///< a membership change, encoded by encode(config_entry)
    noop = 2,   ///< the empty entry a new leader appends to commit its term (§8)
};

/// One slot of the replicated log.
struct entry {
    term_t term = 0;   ///< the leader's term when the entry was created
    index_t index = 0; ///< its position in the log
    entry_type type = entry_type::normal;
    std::string data;  ///< opaque to the core unless type is config

    friend bool operator==(const entry&, const entry&) = default;
};

/// What a node must write to stable storage before it sends any message that
/// depends on it (Figure 2's "persistent state on all servers", plus commit so
/// a restart does not re-apply from scratch).
struct hard_state {
    term_t term = 0;        ///< latest term seen; never decreases
    node_id vote = no_node; ///< candidate voted for in `term`; set at most once per term
    index_t commit = 0;     ///< highest index known committed; never decreases

    friend bool operator==(const hard_state&, const hard_state&) = default;
};

/// The role a node currently plays.
enum class role : std::uint8_t {
    follower,
    pre_candidate, ///< asking whether it could win, without raising its term (PreVote, dissertation §9.6)
    candidate,
    leader,
};

std::string_view to_string(role r);
std::string_view to_string(entry_type t);

} // namespace coronet::consensus::raft
