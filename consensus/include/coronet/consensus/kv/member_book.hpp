#pragma once
// Where each member of a KV cluster listens, kept in the replicated store
// under reserved keys ("\0coronet/member/ID" -> "RAFT_URL\nHOST:PORT"), so
// that every node, a new one and any later leader included, learns a member's
// addresses from the log before the change that adds it commits.

#include <coronet/consensus/module.hpp>

#include <string>
#include <string_view>
#include <tuple>
#include <utility>

namespace coronet::consensus::kv {

/// "\0coronet/member/": under store's reserved_prefix.
std::string member_key_prefix();
std::string member_key(node_id id);

/// Checks a member's addresses: id above 0, a transport URL (tcp://…,
/// uring://…), an HTTP host:port. Returns {raft_url, http}; throws
/// std::invalid_argument naming what is wrong.
std::pair<std::string, std::string> parse_member_address(node_id id, std::string raft_url, std::string http);

/// A stored entry back: {id, raft_url, http}; id 0 if it is not one.
std::tuple<node_id, std::string, std::string> parse_member_entry(std::string_view key, std::string_view value);

} // namespace coronet::consensus::kv
