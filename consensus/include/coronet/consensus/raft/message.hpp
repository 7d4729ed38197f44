#pragma once
// Everything nodes say to each other, as one plain value type. A driver
// encodes it on whatever wire it likes; the core only ever sees decoded
// messages, and checks them (step() rejects inconsistent ones) because they
// come from the network.

#include <coronet/consensus/raft/snapshot.hpp>
#include <coronet/consensus/raft/types.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace coronet::consensus::raft {

enum class message_type : std::uint8_t {
    pre_vote = 0,             ///< "would you vote for me at term+1?" (the sender's term is not raised)
    pre_vote_response = 1,
    vote = 2,                 ///< RequestVote (§5.2)
    vote_response = 3,
    append = 4,               ///< AppendEntries carrying entries, or an empty probe (§5.3)
    append_response = 5,
    heartbeat = 6,            ///< an empty AppendEntries that only asserts leadership and carries commit
    heartbeat_response = 7,
    snapshot = 8,             ///< InstallSnapshot (§7), in one message
    timeout_now = 9,          ///< "start an election now" (leadership transfer, dissertation §3.10)
    read_index = 10,          ///< a follower forwards a ReadIndex request to its leader
    read_index_response = 11, ///< the leader answers it with the index to wait for
};

inline constexpr std::uint8_t message_type_count = 12;

std::string_view to_string(message_type t);

/// True for the types a node sends in answer to another.
bool is_response(message_type t);

/// One message. Which fields mean something depends on `type`:
///
/// | type                 | log_term / index                         | other fields                              |
/// |----------------------|------------------------------------------|-------------------------------------------|
/// | vote, pre_vote       | the candidate's last entry               | leader_transfer                           |
/// | *vote_response       | -                                        | reject                                    |
/// | append               | the entry just before `entries`          | entries, commit                           |
/// | append_response      | see below                                | reject, reject_hint                       |
/// | heartbeat            | -                                        | commit, context (read round)              |
/// | heartbeat_response   | -                                        | context (echoed)                          |
/// | snapshot             | -                                        | snapshot                                  |
/// | read_index           | -                                        | context (the requester's ctx)             |
/// | read_index_response  | index = the read index                   | context, reject (no leader after all)     |
///
/// An accepted append_response has index = the last index the follower now
/// shares with the leader. A rejection has index = the rejected `index` of
/// the append, reject_hint = an index at which the follower's log might
/// match, and log_term = the follower's term at reject_hint, so the leader
/// can skip a whole term of conflicting entries per round trip.
struct message {
    message_type type = message_type::append;
    node_id from = no_node;
    node_id to = no_node;
    term_t term = 0;           ///< the sender's term (for a granted pre_vote_response: the term asked about)
    term_t log_term = 0;
    index_t index = 0;
    std::vector<entry> entries;
    index_t commit = 0;
    bool reject = false;
    index_t reject_hint = 0;
    std::uint64_t context = 0;
    /// vote / pre_vote only: the campaign follows a timeout_now, so the
    /// receiver grants it even while it believes a leader is alive.
    bool leader_transfer = false;
    std::optional<raft::snapshot> snapshot; ///< snapshot messages only

    friend bool operator==(const message&, const message&) = default;
};

/// One line for logs and test failures, e.g. "append 1->2 term 3 index 7 log_term 2 entries 2 commit 6".
std::string describe(const message& m);

} // namespace coronet::consensus::raft
