#include <coronet/consensus/raft/types.hpp>

namespace coronet::consensus::raft {

std::string_view to_string(role r) {
    switch (r) {
    case role::follower: return "follower";
    case role::pre_candidate: return "pre_candidate";
    case role::candidate: return "candidate";
    case role::leader: return "leader";
    }
    return "unknown";
}

std::string_view to_string(entry_type t) {
    switch (t) {
    case entry_type::normal: return "normal";
    case entry_type::config: return "config";
    case entry_type::noop: return "noop";
    }
    return "unknown";
}

} // namespace coronet::consensus::raft
