#pragma once
// Why the core refused a request or ignored a message. The core never aborts
// on what arrives from the network or the application: it returns one of
// these as a std::error_code and leaves its state as it was.

#include <string>
#include <system_error>

namespace coronet::consensus::raft {

enum class errc {
    // Refused requests from the application.
    not_leader = 1,             ///< only the leader accepts this request
    no_leader,                  ///< no leader is known to forward the request to
    leader_transfer_in_progress, ///< proposals wait until the transfer ends
    config_change_pending,      ///< a membership change is appended but not committed yet
    term_not_committed,         ///< the leader has not committed an entry of its own term yet
    invalid_config_change,      ///< e.g. adding a member twice, removing the last voter
    not_a_voter,                ///< learners and removed nodes never campaign
    invalid_target,             ///< leadership can only go to another voter
    too_many_uncommitted,       ///< uncommitted_entries_max reached
    too_many_pending_reads,     ///< pending_reads_max reached
    compacted,                  ///< the index is at or below the snapshot already
    not_applied,                ///< compact() beyond what the application applied
    // Ignored messages.
    wrong_recipient,            ///< message.to is not this node
    unknown_sender,             ///< a response from a node the leader does not track
    stale_term,                 ///< message.term is older than the node's term
    in_lease,                   ///< a vote request while a leader is known to be alive
    malformed_message,          ///< inconsistent fields (indexes, terms, missing snapshot)
    stale_message,              ///< a well-formed message that no longer applies
};

const std::error_category& raft_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), raft_category()}; }

} // namespace coronet::consensus::raft

template <>
struct std::is_error_code_enum<coronet::consensus::raft::errc> : std::true_type {};
