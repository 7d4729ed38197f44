#pragma once
// Who is in the cluster, and how that changes: one server at a time
// (dissertation §4.1). A change travels through the log as an entry of type
// config that holds the change and the whole membership it produces; every
// node switches to that membership as soon as the entry is in its log,
// committed or not, and back if the entry is truncated away.
//
// Why the whole membership and not just the change: a node added to a
// running cluster starts knowing nobody, and may receive the log from
// index 1 on; with the result in every config entry, the newest config
// entry alone says who is in the cluster, whatever came before it.

#include <coronet/consensus/raft/types.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace coronet::consensus::raft {

/// The voters and learners of a cluster.
/// Invariant: both lists are sorted, without duplicates, without 0, and
/// disjoint. make_membership() establishes it; apply() keeps it.
struct membership {
    std::vector<node_id> voters;   ///< count for elections and commitment
    std::vector<node_id> learners; ///< receive the log, never vote or count

    bool is_voter(node_id id) const;
    bool is_learner(node_id id) const;
    bool contains(node_id id) const { return is_voter(id) || is_learner(id); }

    friend bool operator==(const membership&, const membership&) = default;
};

/// Sorts and deduplicates. Throws std::invalid_argument if an id is 0 or is
/// both a voter and a learner.
membership make_membership(std::vector<node_id> voters, std::vector<node_id> learners = {});

enum class change_type : std::uint8_t {
    add_voter = 0,       ///< a new node joins as a voter
    add_learner = 1,     ///< a new node joins as a learner (catch it up before promoting it, §4.2.1)
    promote_learner = 2, ///< a learner becomes a voter
    remove = 3,          ///< a voter or learner leaves
};

/// One single-server membership change.
struct config_change {
    change_type type = change_type::add_voter;
    node_id node = no_node;

    friend bool operator==(const config_change&, const config_change&) = default;
};

std::string_view to_string(change_type t);

/// What a config entry holds.
struct config_entry {
    config_change change;  ///< what was asked for (for the application's information)
    membership members;    ///< the membership once the change is applied: what nodes use

    friend bool operator==(const config_entry&, const config_entry&) = default;
};

/// The data of a config entry, little endian: u8 change type, u64 node,
/// u32 voter count, the voters (u64 each), u32 learner count, the learners.
std::string encode(const config_entry& entry);

/// The config entry in an entry's data; nothing if the data is not exactly
/// what encode() produces or the membership breaks its invariant (such an
/// entry changes nothing on any node).
std::optional<config_entry> decode_config_entry(std::string_view data);

/// Empty if `change` can be applied to `current`, else errc::invalid_config_change:
/// the node is 0, is already a member (add), is not a learner (promote), is
/// not a member (remove), or is the last voter (remove).
std::error_code validate(const membership& current, const config_change& change);

/// `current` with `change` applied; `current` unchanged if validate() fails.
membership apply(membership current, const config_change& change);

} // namespace coronet::consensus::raft
