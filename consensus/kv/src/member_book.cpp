#include <coronet/consensus/kv/member_book.hpp>
#include <coronet/consensus/kv/store.hpp>

#include <coronet/transports/url.hpp>

#include <charconv>
#include <stdexcept>

namespace coronet::consensus::kv {

std::string member_key_prefix() { return std::string(reserved_prefix) + "member/"; }

std::string member_key(node_id id) { return member_key_prefix() + std::to_string(id); }

std::pair<std::string, std::string> parse_member_address(node_id id, std::string raft_url, std::string http) {
    if (id == 0) throw std::invalid_argument("a member id is a number above 0");
    if (raft_url.find("://") == std::string::npos || raft_url.find('\n') != std::string::npos)
        throw std::invalid_argument("'" + raft_url + "' is not a transport URL (tcp://host:port, uring://…)");
    parse_url(raft_url); // throws, naming the problem
    if (http.find('\n') != std::string::npos) throw std::invalid_argument("an HTTP address is host:port");
    parse_url("tcp://" + http).tcp_endpoint(); // host:port, or throws
    return {std::move(raft_url), std::move(http)};
}

std::tuple<node_id, std::string, std::string> parse_member_entry(std::string_view key, std::string_view value) {
    auto prefix = member_key_prefix();
    if (!key.starts_with(prefix)) return {0, {}, {}};
    auto digits = key.substr(prefix.size());
    node_id id = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), id);
    auto newline = value.find('\n');
    if (ec != std::errc{} || end != digits.data() + digits.size() || newline == std::string_view::npos)
        return {0, {}, {}};
    return {id, std::string(value.substr(0, newline)), std::string(value.substr(newline + 1))};
}

} // namespace coronet::consensus::kv
