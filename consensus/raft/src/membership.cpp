#include <coronet/consensus/raft/error.hpp>
#include <coronet/consensus/raft/membership.hpp>

#include <algorithm>
#include <stdexcept>

namespace coronet::consensus::raft {
namespace {

void normalize(std::vector<node_id>& ids) {
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
}

bool has(const std::vector<node_id>& sorted, node_id id) { return std::binary_search(sorted.begin(), sorted.end(), id); }

void insert(std::vector<node_id>& sorted, node_id id) {
    sorted.insert(std::lower_bound(sorted.begin(), sorted.end(), id), id);
}

void erase(std::vector<node_id>& sorted, node_id id) {
    auto it = std::lower_bound(sorted.begin(), sorted.end(), id);
    if (it != sorted.end() && *it == id) sorted.erase(it);
}

} // namespace

bool membership::is_voter(node_id id) const { return has(voters, id); }
bool membership::is_learner(node_id id) const { return has(learners, id); }

membership make_membership(std::vector<node_id> voters, std::vector<node_id> learners) {
    normalize(voters);
    normalize(learners);
    if ((!voters.empty() && voters.front() == no_node) || (!learners.empty() && learners.front() == no_node))
        throw std::invalid_argument("raft membership: node id 0 is reserved");
    for (auto id : learners)
        if (has(voters, id)) throw std::invalid_argument("raft membership: a node is both voter and learner");
    return {std::move(voters), std::move(learners)};
}

std::string_view to_string(change_type t) {
    switch (t) {
    case change_type::add_voter: return "add_voter";
    case change_type::add_learner: return "add_learner";
    case change_type::promote_learner: return "promote_learner";
    case change_type::remove: return "remove";
    }
    return "unknown";
}

namespace {

void put(std::string& out, std::uint64_t value, int bytes) {
    for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

/// Reads `bytes` little-endian bytes at `pos`, advancing it; false if the data is too short.
bool get(std::string_view data, std::size_t& pos, int bytes, std::uint64_t& value) {
    if (data.size() - pos < static_cast<std::size_t>(bytes)) return false;
    value = 0;
    for (int i = 0; i < bytes; ++i) value |= static_cast<std::uint64_t>(static_cast<std::uint8_t>(data[pos + i])) << (8 * i);
    pos += static_cast<std::size_t>(bytes);
    return true;
}

bool get_ids(std::string_view data, std::size_t& pos, std::vector<node_id>& ids) {
    std::uint64_t count = 0;
    if (!get(data, pos, 4, count) || count > (data.size() - pos) / 8) return false;
    ids.resize(static_cast<std::size_t>(count));
    for (auto& id : ids)
        if (!get(data, pos, 8, id)) return false;
    return std::is_sorted(ids.begin(), ids.end()) && std::adjacent_find(ids.begin(), ids.end()) == ids.end() &&
           (ids.empty() || ids.front() != no_node);
}

} // namespace

std::string encode(const config_entry& entry) {
    std::string data;
    data.reserve(17 + 8 * (entry.members.voters.size() + entry.members.learners.size()));
    put(data, static_cast<std::uint8_t>(entry.change.type), 1);
    put(data, entry.change.node, 8);
    put(data, entry.members.voters.size(), 4);
    for (auto id : entry.members.voters) put(data, id, 8);
    put(data, entry.members.learners.size(), 4);
    for (auto id : entry.members.learners) put(data, id, 8);
    return data;
}

std::optional<config_entry> decode_config_entry(std::string_view data) {
    config_entry out;
    std::size_t pos = 0;
    std::uint64_t type = 0;
    if (!get(data, pos, 1, type) || type > static_cast<std::uint8_t>(change_type::remove)) return std::nullopt;
    out.change.type = static_cast<change_type>(type);
    if (!get(data, pos, 8, out.change.node)) return std::nullopt;
    if (!get_ids(data, pos, out.members.voters) || !get_ids(data, pos, out.members.learners)) return std::nullopt;
    if (pos != data.size()) return std::nullopt;
    for (auto id : out.members.learners)
        if (out.members.is_voter(id)) return std::nullopt;
    return out;
}

std::error_code validate(const membership& current, const config_change& change) {
    const auto invalid = make_error_code(errc::invalid_config_change);
    if (change.node == no_node) return invalid;
    switch (change.type) {
    case change_type::add_voter:
    case change_type::add_learner: return current.contains(change.node) ? invalid : std::error_code{};
    case change_type::promote_learner: return current.is_learner(change.node) ? std::error_code{} : invalid;
    case change_type::remove:
        if (!current.contains(change.node)) return invalid;
        if (current.is_voter(change.node) && current.voters.size() == 1) return invalid;
        return {};
    }
    return invalid;
}

membership apply(membership current, const config_change& change) {
    if (validate(current, change)) return current;
    switch (change.type) {
    case change_type::add_voter: insert(current.voters, change.node); break;
    case change_type::add_learner: insert(current.learners, change.node); break;
    case change_type::promote_learner:
        erase(current.learners, change.node);
        insert(current.voters, change.node);
        break;
    case change_type::remove:
        erase(current.voters, change.node);
        erase(current.learners, change.node);
        break;
    }
    return current;
}

} // namespace coronet::consensus::raft
