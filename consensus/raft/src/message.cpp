#include <coronet/consensus/raft/message.hpp>

namespace coronet::consensus::raft {

std::string_view to_string(message_type t) {
    switch (t) {
    case message_type::pre_vote: return "pre_vote";
    case message_type::pre_vote_response: return "pre_vote_response";
    case message_type::vote: return "vote";
    case message_type::vote_response: return "vote_response";
    case message_type::append: return "append";
    case message_type::append_response: return "append_response";
    case message_type::heartbeat: return "heartbeat";
    case message_type::heartbeat_response: return "heartbeat_response";
    case message_type::snapshot: return "snapshot";
    case message_type::timeout_now: return "timeout_now";
    case message_type::read_index: return "read_index";
    case message_type::read_index_response: return "read_index_response";
    }
    return "unknown";
}

bool is_response(message_type t) {
    switch (t) {
    case message_type::pre_vote_response:
    case message_type::vote_response:
    case message_type::append_response:
    case message_type::heartbeat_response:
    case message_type::read_index_response: return true;
    default: return false;
    }
}

std::string describe(const message& m) {
    std::string s(to_string(m.type));
    s += ' ' + std::to_string(m.from) + "->" + std::to_string(m.to) + " term " + std::to_string(m.term);
    s += " log_term " + std::to_string(m.log_term) + " index " + std::to_string(m.index);
    if (!m.entries.empty()) {
        s += " entries " + std::to_string(m.entries.front().index) + ".." + std::to_string(m.entries.back().index);
    }
    s += " commit " + std::to_string(m.commit);
    if (m.reject) s += " reject hint " + std::to_string(m.reject_hint);
    if (m.context != 0) s += " context " + std::to_string(m.context);
    if (m.leader_transfer) s += " transfer";
    if (m.snapshot) s += " snapshot " + std::to_string(m.snapshot->metadata.index);
    return s;
}

} // namespace coronet::consensus::raft
