// Keeping the ring a ring (the Chord paper's stabilization pseudocode and its
// successor lists): the end of join, stabilize and notify, fix_fingers,
// check_predecessor.
#include <coronet/dht/chord/core.hpp>

namespace coronet::dht::chord {

void core::finish_join(errc error, const peer& owner) {
    if (error == errc{} && owner.id == _config.self.id) error = errc::id_in_use;
    if (error != errc{}) {
        _state = node_state::idle;
        _bootstrap.clear();
        _join_outcome = make_error_code(error);
        return;
    }
    _table.set_successors(owner);
    _state = node_state::joined;
    _join_outcome = std::error_code{};
    // Tell the successor now rather than at the next stabilize_ticks: until
    // it knows us, it answers for our keys.
    stabilize();
}

void core::stabilize() {
    if (_state != node_state::joined) return;
    const auto& succ = _table.successor();
    if (succ.id == _config.self.id) {
        // Alone as far as we know: whoever has notified us is our successor
        // too (the paper's x = successor.predecessor, with successor = self).
        if (auto p = _table.predecessor()) {
            _table.set_successors(*p);
            send(make(message_type::notify, p->address));
        }
        return;
    }
    if (_stabilize_rpc != 0) return;
    pending_rpc rpc;
    rpc.kind = rpc_kind::get_predecessor;
    rpc.address = succ.address;
    rpc.peer_id = succ.id;
    auto rpc_id = add_rpc(std::move(rpc));
    if (rpc_id == 0) return; // overloaded: the next round tries again
    _stabilize_rpc = rpc_id;
    auto m = make(message_type::get_predecessor, succ.address);
    m.rpc_id = rpc_id;
    send(std::move(m));
}

std::error_code core::handle_get_predecessor(const message& m) {
    auto reply = make(message_type::predecessor_reply, m.from.address);
    reply.rpc_id = m.rpc_id;
    reply.node = _table.predecessor();
    reply.successors = _table.successors();
    send(std::move(reply));
    return {};
}

std::error_code core::handle_predecessor_reply(const message& m) {
    auto rpc = take_rpc(m, rpc_kind::get_predecessor);
    if (!rpc) return errc::unexpected_reply;
    _stabilize_rpc = 0;
    if (auto e = check_successor_list(m.from.id, m.successors); e != errc{}) return e;
    // Our successor changed while the question was out (it failed, or a
    // closer node turned up): its answer is about someone else's interval.
    if (_table.successor().id != m.from.id) return errc::stale_message;
    const auto& self = _config.self.id;
    auto list = without_suspects(m.successors);
    // A node the successor believes precedes it is our new successor only if
    // it lies strictly between us and the successor; anything else it says
    // about its predecessor is not about our interval, and notify sorts it out.
    if (const auto& x = m.node; x && in_open(x->id, self, m.from.id) && !_suspects.contains(x->id)) {
        list.insert(list.begin(), m.from);
        _table.set_successors(*x, list);
    } else {
        _table.set_successors(m.from, list);
    }
    send(make(message_type::notify, _table.successor().address));
    return {};
}

std::error_code core::handle_notify(const message& m) {
    const auto& p = _table.predecessor();
    if (p && p->id == m.from.id) return {}; // the usual case: nothing new
    if (p && !in_open(m.from.id, p->id, _config.self.id)) return errc::not_between;
    _table.set_predecessor(m.from);
    return {};
}

void core::fix_fingers() {
    if (_state != node_state::joined || _finger_lookup != 0) return;
    const auto& self = _config.self.id;
    const auto m = _table.finger_count();
    const auto& succ = _table.successor();
    // Finger i starts at self + 2^i, inside (self, successor] exactly when
    // 2^i <= the successor's distance: those fingers are the successor and
    // need no lookup. On a large ring that is most of them (with m = 160 and
    // N = 1000, all but about 10).
    const unsigned local = succ.id == self ? m : _ring.distance(self, succ.id).bit_width();
    if (_next_finger < local) {
        std::optional<peer> f;
        if (succ.id != self) f = succ;
        for (auto i = _next_finger; i < local; ++i) _table.set_finger(i, f);
        _next_finger = local % m;
    }
    if (local == m) return;
    auto i = _next_finger;
    _next_finger = (i + 1) % m;
    // Refused (too many lookups in progress): this finger again next time.
    if (start_lookup(purpose::finger, 0, i, _table.finger_start(i), _config.maintenance_style)) _next_finger = i;
}

void core::check_predecessor() {
    if (_state != node_state::joined || _ping_rpc != 0) return;
    const auto& p = _table.predecessor();
    if (!p) return;
    pending_rpc rpc;
    rpc.kind = rpc_kind::ping;
    rpc.address = p->address;
    rpc.peer_id = p->id;
    auto rpc_id = add_rpc(std::move(rpc));
    if (rpc_id == 0) return;
    _ping_rpc = rpc_id;
    auto m = make(message_type::ping, p->address);
    m.rpc_id = rpc_id;
    send(std::move(m));
}

std::error_code core::handle_ping(const message& m) {
    auto reply = make(message_type::pong, m.from.address);
    reply.rpc_id = m.rpc_id;
    send(std::move(reply));
    return {};
}

std::error_code core::handle_pong(const message& m) {
    if (!take_rpc(m, rpc_kind::ping)) return errc::unexpected_reply;
    _ping_rpc = 0;
    return {};
}

std::error_code core::consider_successor(const peer& p) {
    if (_state != node_state::joined) return errc::not_joined;
    if (!_ring.contains(p.id)) return errc::id_out_of_range;
    if (p.address.empty()) return errc::malformed_message;
    if (p.id == _config.self.id || _suspects.contains(p.id)) return errc::not_between;
    // Alone, a node is its own successor and every other id lies between.
    if (!in_open(p.id, _config.self.id, _table.successor().id)) return errc::not_between;
    auto rest = _table.successors();
    _table.set_successors(p, rest);
    return {};
}

} // namespace coronet::dht::chord

