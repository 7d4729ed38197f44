// The checks every message passes before the core acts on it. What a
// message claims is never trusted beyond what the protocol lets its sender
// vouch for: these are the checks that need no context; the handlers add the
// ones that do (a reply must answer a request of ours, an owner must lie in
// the interval its sender is responsible for).
#include <coronet/dht/chord/core.hpp>
#include <coronet/dht/chord/hash.hpp>

namespace coronet::dht::chord {
namespace {

bool is_routing_failure(errc e) {
    return e == errc::timeout || e == errc::no_route || e == errc::hop_limit || e == errc::overloaded;
}

} // namespace

bool core::valid_peer(const peer& p) const { return _ring.contains(p.id) && !p.address.empty(); }

errc core::check(const message& m) const {
    if (static_cast<std::uint8_t>(m.type) >= message_type_count) return errc::malformed_message;
    // Ids first: everything below compares them on the ring.
    if (!_ring.contains(m.from.id) || !_ring.contains(m.key)) return errc::id_out_of_range;
    if ((m.node && !_ring.contains(m.node->id)) || (m.origin && !_ring.contains(m.origin->id)))
        return errc::id_out_of_range;
    for (const auto* list : {&m.candidates, &m.successors})
        for (const auto& p : *list)
            if (!_ring.contains(p.id)) return errc::id_out_of_range;
    if (m.candidates.size() > _config.peer_list_max || m.successors.size() > _config.peer_list_max)
        return errc::list_too_long;

    if (!valid_peer(m.from) || (m.node && !valid_peer(*m.node)) || (m.origin && !valid_peer(*m.origin)))
        return errc::malformed_message;
    for (const auto* list : {&m.candidates, &m.successors})
        for (const auto& p : *list)
            if (!valid_peer(p)) return errc::malformed_message;
    // Our id is ours: a message "from" it is a conflict (or an echo of our
    // own message, which is just as wrong).
    if (m.from.id == _config.self.id) return errc::id_conflict;

    switch (m.type) {
    case message_type::find_next:
    case message_type::get_predecessor:
    case message_type::ping:
    case message_type::find_next_reply:
    case message_type::find_successor_ack:
    case message_type::predecessor_reply:
    case message_type::pong:
        if (m.rpc_id == 0) return errc::malformed_message;
        break;
    default: break;
    }
    switch (m.type) {
    case message_type::find_next_reply:
        if (m.done != m.node.has_value()) return errc::malformed_message;
        if (m.done && !m.candidates.empty()) return errc::malformed_message;
        break;
    case message_type::find_successor:
        if (m.rpc_id == 0 || m.request_id == 0 || !m.origin) return errc::malformed_message;
        if (m.hops > _config.hops_max + 1) return errc::malformed_message;
        break;
    case message_type::lookup_result:
        if (m.request_id == 0) return errc::malformed_message;
        if (m.failure == errc{} ? !m.node : (m.node || !is_routing_failure(m.failure)))
            return errc::malformed_message;
        break;
    default: break;
    }
    if (m.failure != errc{} && m.type != message_type::lookup_result) return errc::malformed_message;
    if (!m.candidates.empty() && m.type != message_type::find_next_reply) return errc::malformed_message;
    if (!m.successors.empty() && m.type != message_type::find_next_reply && m.type != message_type::predecessor_reply)
        return errc::malformed_message;

    if (_config.verify_ids) {
        auto verified = [&](const peer& p) { return hash_id(p.address, _ring) == p.id; };
        if (!verified(m.from) || (m.node && !verified(*m.node)) || (m.origin && !verified(*m.origin)))
            return errc::id_unverified;
        for (const auto* list : {&m.candidates, &m.successors})
            for (const auto& p : *list)
                if (!verified(p)) return errc::id_unverified;
    }
    return errc{};
}

errc core::check_successor_list(const id& sender, const std::vector<peer>& list) const {
    // Each entry lies further clockwise from the sender than the one before:
    // no duplicates, not the sender itself, no going back.
    id last{};
    for (const auto& p : list) {
        auto d = _ring.distance(sender, p.id);
        if (d <= last) return errc::list_out_of_order;
        last = d;
    }
    return errc{};
}

std::vector<peer> core::without_suspects(const std::vector<peer>& list) const {
    std::vector<peer> out;
    out.reserve(list.size());
    for (const auto& p : list)
        if (!_suspects.contains(p.id)) out.push_back(p);
    return out;
}

} // namespace coronet::dht::chord
