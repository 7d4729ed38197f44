// Lookups: the routing decision every node makes, the iterative style (the
// origin asks hop after hop) and the recursive style (each hop forwards and
// the owner answers the origin). lookup.hpp compares the two.
#include <coronet/dht/chord/core.hpp>

#include <algorithm>

namespace coronet::dht::chord {

// The paper's find_successor pseudocode as one decision, plus the
// predecessor's shortcut: a node whose predecessor is known owns
// (predecessor, self] and need not ask anyone. Nodes in `avoid` failed this
// request: the first successor not among them stands in for the dead ones
// before it, which is what the successor list is for.
core::next_hop core::route(const id& key, std::size_t candidates, std::span<const id> avoid) const {
    const auto& self = _config.self.id;
    if (_table.successors().empty()) return {hop_kind::self_owns, {}}; // alone
    if (const auto& p = _table.predecessor(); p && in_half_open(key, p->id, self)) return {hop_kind::self_owns, {}};
    for (const auto& s : _table.successors()) {
        if (std::find(avoid.begin(), avoid.end(), s.id) != avoid.end()) continue;
        if (in_half_open(key, self, s.id)) return {hop_kind::successor_owns, {s}};
        break;
    }
    auto next = _table.closest_preceding(key, candidates, avoid);
    if (next.empty()) return {hop_kind::stuck, {}};
    return {hop_kind::forward, std::move(next)};
}

std::error_code core::start_lookup(purpose why, std::uint64_t user_request_id, unsigned finger, const id& key,
                                   lookup_style style) {
    if (_lookups.size() >= _config.pending_lookups_max) return errc::too_many_lookups;
    auto lookup_id = draw_id();
    lookup_state l;
    l.why = why;
    l.user_request_id = user_request_id;
    l.finger = finger;
    l.key = key;
    l.style = style;
    _lookups.emplace(lookup_id, std::move(l));
    if (why == purpose::user) _user_requests.insert(user_request_id);
    if (why == purpose::finger) _finger_lookup = lookup_id;
    start_attempt(lookup_id);
    return {};
}

void core::start_attempt(std::uint64_t lookup_id) {
    auto& l = _lookups.at(lookup_id);
    ++l.attempts;
    l.deadline = _now + _config.lookup_timeout_ticks;
    l.hops = 0;
    l.candidates.clear();
    l.asked.clear();
    if (l.asking != 0) {
        _rpcs.erase(l.asking);
        l.asking = 0;
    }
    if (l.why == purpose::join) {
        ask(lookup_id, _bootstrap, std::nullopt);
        return;
    }
    if (l.style == lookup_style::recursive) {
        forward_state f;
        f.key = l.key;
        f.origin = _config.self;
        f.request_id = lookup_id;
        route_request(std::move(f));
        return;
    }
    auto h = route(l.key, _config.candidates_max, l.failed);
    switch (h.kind) {
    case hop_kind::self_owns: complete(lookup_id, errc{}, _config.self); return;
    case hop_kind::successor_owns: complete(lookup_id, errc{}, h.candidates.front()); return;
    case hop_kind::forward:
        l.candidates = std::move(h.candidates);
        ask_next(lookup_id);
        return;
    case hop_kind::stuck: attempt_failed(lookup_id, errc::no_route); return;
    }
}

void core::attempt_failed(std::uint64_t lookup_id, errc reason) {
    auto it = _lookups.find(lookup_id);
    if (it == _lookups.end()) return;
    auto& l = it->second;
    if (l.asking != 0) {
        _rpcs.erase(l.asking);
        l.asking = 0;
    }
    if (l.attempts < _config.lookup_attempts_max) start_attempt(lookup_id);
    else complete(lookup_id, reason, {});
}

void core::complete(std::uint64_t lookup_id, errc error, const peer& owner) {
    auto node = _lookups.extract(lookup_id);
    if (node.empty()) return;
    auto& l = node.mapped();
    if (l.asking != 0) _rpcs.erase(l.asking);
    switch (l.why) {
    case purpose::user: {
        _user_requests.erase(l.user_request_id);
        lookup_result r;
        r.request_id = l.user_request_id;
        r.key = l.key;
        r.style = l.style;
        if (error != errc{}) r.error = error;
        else r.owner = owner;
        r.hops = l.hops;
        r.attempts = l.attempts;
        ++(error == errc{} ? _stats.lookups_succeeded : _stats.lookups_failed);
        _results.push_back(std::move(r));
        break;
    }
    case purpose::join: finish_join(error, owner); break;
    case purpose::finger:
        _finger_lookup = 0;
        if (error == errc{} && _state == node_state::joined) _table.set_finger(l.finger, owner);
        break;
    }
}

// ---- Iterative --------------------------------------------------------------

void core::ask_next(std::uint64_t lookup_id) {
    auto& l = _lookups.at(lookup_id);
    while (!l.candidates.empty()) {
        auto next = std::move(l.candidates.front());
        l.candidates.erase(l.candidates.begin());
        if (next.id == _config.self.id || _suspects.contains(next.id)) continue;
        // Each node at most once per attempt: a lookup cannot go round in
        // circles between nodes with stale views.
        if (std::find(l.asked.begin(), l.asked.end(), next.id) != l.asked.end()) continue;
        ask(lookup_id, next.address, next.id);
        return;
    }
    // A join has only its bootstrap node to ask: it did not answer in time.
    attempt_failed(lookup_id, l.why == purpose::join ? errc::timeout : errc::no_route);
}

void core::ask(std::uint64_t lookup_id, const std::string& address, std::optional<id> peer_id) {
    auto& l = _lookups.at(lookup_id);
    if (l.hops >= _config.hops_max) {
        complete(lookup_id, errc::hop_limit, {});
        return;
    }
    pending_rpc rpc;
    rpc.kind = rpc_kind::find_next;
    rpc.address = address;
    rpc.peer_id = peer_id;
    rpc.lookup = lookup_id;
    auto rpc_id = add_rpc(std::move(rpc));
    if (rpc_id == 0) {
        complete(lookup_id, errc::overloaded, {});
        return;
    }
    l.asking = rpc_id;
    if (peer_id) l.asked.push_back(*peer_id);
    auto m = make(message_type::find_next, address);
    m.rpc_id = rpc_id;
    m.key = l.key;
    send(std::move(m));
}

std::error_code core::handle_find_next(const message& m) {
    auto reply = make(message_type::find_next_reply, m.from.address);
    reply.rpc_id = m.rpc_id;
    reply.successors = _table.successors();
    auto h = route(m.key, _config.candidates_max);
    switch (h.kind) {
    case hop_kind::self_owns:
        reply.done = true;
        reply.node = _config.self;
        break;
    case hop_kind::successor_owns:
        reply.done = true;
        reply.node = h.candidates.front();
        break;
    case hop_kind::forward: reply.candidates = std::move(h.candidates); break;
    case hop_kind::stuck: break; // not done and nobody to offer: the asker falls back
    }
    send(std::move(reply));
    return {};
}

std::error_code core::handle_find_next_reply(const message& m) {
    auto rpc = take_rpc(m, rpc_kind::find_next);
    if (!rpc) return errc::unexpected_reply;
    auto lookup_id = rpc->lookup;
    auto it = _lookups.find(lookup_id);
    if (it == _lookups.end() || it->second.asking != m.rpc_id) return errc::stale_message;
    auto& l = it->second;
    l.asking = 0;
    const auto& x = m.from.id;
    // A node answers for the interval it is responsible for: the owner it
    // names must follow it with the key in between, and every next hop it
    // offers must be strictly closer to the key than itself. That also
    // guarantees progress: each hop moves clockwise towards the key.
    auto distrust = [&](errc why) -> std::error_code {
        mark_failed(x);
        ask_next(lookup_id);
        return why;
    };
    if (auto e = check_successor_list(x, m.successors); e != errc{}) return distrust(e);
    if (m.done && !in_half_open(l.key, x, m.node->id)) return distrust(errc::bogus_owner);
    for (const auto& c : m.candidates)
        if (!in_open(c.id, x, l.key)) return distrust(errc::bogus_candidate);
    ++l.hops;

    // The answerer may not know yet that its successor died, but we may
    // (it failed to answer us): then the answerer's first successor not
    // known dead stands in for it, which is what successor lists are for,
    // and owns the key if the key falls before it. That stand-in may be this
    // very node, if everything between the answerer and us has died.
    auto known_dead = [&](const id& p) {
        return _suspects.contains(p) || std::find(l.failed.begin(), l.failed.end(), p) != l.failed.end();
    };
    const peer* live_successor = nullptr;
    for (const auto& s : m.successors) {
        if (known_dead(s.id)) continue;
        live_successor = &s;
        break;
    }
    if (m.done && !known_dead(m.node->id)) {
        complete(lookup_id, errc{}, *m.node);
        return {};
    }
    if (live_successor && in_half_open(l.key, x, live_successor->id)) {
        complete(lookup_id, errc{}, *live_successor);
        return {};
    }

    // Its next hops are closer to the key than any kept from earlier
    // answers, which stay behind them as fallbacks; its successors before
    // the key are next hops too, should all it offered be dead.
    std::vector<peer> merged;
    merged.reserve(m.candidates.size() + m.successors.size() + l.candidates.size());
    auto consider = [&](const peer& c) {
        if (c.id == _config.self.id || _suspects.contains(c.id)) return;
        if (std::find(l.asked.begin(), l.asked.end(), c.id) != l.asked.end()) return;
        merged.push_back(c);
    };
    for (const auto& c : m.candidates) consider(c);
    for (const auto& s : m.successors)
        if (in_open(s.id, x, l.key)) consider(s);
    for (const auto& c : l.candidates) consider(c);
    std::vector<std::pair<id, std::size_t>> order; // (distance to the key, index in merged)
    order.reserve(merged.size());
    for (std::size_t i = 0; i < merged.size(); ++i) order.emplace_back(_ring.distance(merged[i].id, l.key), i);
    std::sort(order.begin(), order.end());
    l.candidates.clear();
    for (std::size_t i = 0; i < order.size() && l.candidates.size() < _config.peer_list_max; ++i)
        if (i == 0 || order[i].first != order[i - 1].first) l.candidates.push_back(std::move(merged[order[i].second]));
    ask_next(lookup_id);
    return {};
}

// ---- Recursive --------------------------------------------------------------

void core::route_request(forward_state f) {
    if (f.final) {
        // The sender handed us the key as its successor. Usually we own it;
        // but if our predecessor lies between the key and us, the sender's
        // view is stale (a node joined, or the sender gave up on the owner
        // because an ack got lost), and the request goes back to the
        // predecessor. If that one does not answer either, we are the
        // first live node at or after the key as far as anyone can tell.
        const auto& p = _table.predecessor();
        bool avoided = p && std::find(f.avoid.begin(), f.avoid.end(), p->id) != f.avoid.end();
        if (!p || avoided || in_half_open(f.key, p->id, _config.self.id)) {
            answer_request(f, errc{});
        } else {
            auto hops = f.hops + 1;
            hand_on(std::move(f), *p, true, hops);
        }
        return;
    }
    auto h = route(f.key, 1, f.avoid);
    switch (h.kind) {
    case hop_kind::self_owns: answer_request(f, errc{}); return;
    case hop_kind::stuck: answer_request(f, errc::no_route); return;
    case hop_kind::successor_owns:
    case hop_kind::forward: break;
    }
    // Handing the request to the owner is not a routing decision; handing it
    // to another router is one more hop.
    bool final = h.kind == hop_kind::successor_owns;
    auto hops = final ? f.hops : f.hops + 1;
    hand_on(std::move(f), h.candidates.front(), final, hops);
}

void core::hand_on(forward_state f, const peer& next, bool final, std::uint32_t hops) {
    if (hops > _config.hops_max) {
        answer_request(f, errc::hop_limit);
        return;
    }
    pending_rpc rpc;
    rpc.kind = rpc_kind::forward;
    rpc.address = next.address;
    rpc.peer_id = next.id;
    rpc.forward = f;
    auto rpc_id = add_rpc(std::move(rpc));
    if (rpc_id == 0) {
        answer_request(f, errc::overloaded);
        return;
    }
    auto m = make(message_type::find_successor, next.address);
    m.rpc_id = rpc_id;
    m.request_id = f.request_id;
    m.key = f.key;
    m.hops = hops;
    m.origin = f.origin;
    m.final = final;
    send(std::move(m));
}

void core::answer_request(const forward_state& f, errc failure) {
    std::optional<peer> owner;
    if (failure == errc{}) owner = _config.self;
    if (f.origin.id == _config.self.id) {
        on_result(f.request_id, f.key, failure, owner, f.hops);
        return;
    }
    auto m = make(message_type::lookup_result, f.origin.address);
    m.request_id = f.request_id;
    m.key = f.key;
    m.hops = f.hops;
    m.failure = failure;
    m.node = std::move(owner);
    send(std::move(m));
}

void core::on_result(std::uint64_t lookup_id, const id& key, errc failure, const std::optional<peer>& owner,
                     std::uint32_t hops) {
    auto it = _lookups.find(lookup_id);
    if (it == _lookups.end() || it->second.key != key) return;
    if (failure == errc{}) {
        it->second.hops = hops;
        complete(lookup_id, errc{}, *owner);
    } else {
        attempt_failed(lookup_id, failure);
    }
}

std::error_code core::handle_find_successor(const message& m) {
    // Acknowledge first: from here on this node is responsible for the
    // request, and the sender may forget it.
    auto ack = make(message_type::find_successor_ack, m.from.address);
    ack.rpc_id = m.rpc_id;
    send(std::move(ack));
    forward_state f;
    f.key = m.key;
    f.origin = *m.origin;
    f.request_id = m.request_id;
    f.hops = m.hops;
    f.final = m.final;
    // A final request never goes back to its sender: the two would disagree
    // about who owns the key forever.
    if (f.final) f.avoid.push_back(m.from.id);
    // The owner answers the origin itself, which also shows it is alive.
    route_request(std::move(f));
    return {};
}

std::error_code core::handle_find_successor_ack(const message& m) {
    if (!take_rpc(m, rpc_kind::forward)) return errc::unexpected_reply;
    return {};
}

std::error_code core::handle_lookup_result(const message& m) {
    auto it = _lookups.find(m.request_id);
    if (it == _lookups.end() || it->second.style != lookup_style::recursive) return errc::stale_message;
    if (it->second.key != m.key) return errc::unexpected_reply;
    // Only the owner itself may say it owns the key.
    if (m.failure == errc{} && m.node->id != m.from.id) return errc::bogus_owner;
    on_result(m.request_id, m.key, m.failure, m.node, m.hops);
    return {};
}

} // namespace coronet::dht::chord
