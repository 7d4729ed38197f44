// Ring repair after a partition. While nodes cannot reach each other, each
// side takes the other for dead, purges it from every list and closes into a
// ring of its own; Chord's stabilization only ever talks to the successor,
// so after the network heals neither ring would find the other. Each node
// therefore remembers a few peers it has routed through, and now and then
// asks one that is no longer in its table which node it knows just after
// this node's id. An answer closer than the current successor is adopted
// (core::consider_successor), stabilization and notify splice the two rings
// together around it, and the other nodes follow as they probe in turn.
#include <coronet/dht/chord/hash.hpp>
#include <coronet/dht/chord/node.hpp>

namespace coronet::dht::chord {

void node::remember(const peer& p) {
    if (p.id == self().id || p.address.empty()) return;
    for (const auto& r : _remembered)
        if (r.address == p.address) return;
    _remembered.push_back(p);
    if (_remembered.size() > _options.remembered_max) _remembered.pop_front();
}

void node::probe() {
    for (const auto& s : _core.table().successors()) remember(s);
    // Answers that never came (the peer is gone) are forgotten here.
    if (_probes.size() > 64) _probes.clear();
    for (std::size_t tried = 0; tried < _remembered.size(); ++tried) {
        const auto& p = _remembered[_next_probe++ % _remembered.size()];
        if (_core.table().knows(p.id) || _core.suspects(p.id)) continue;
        store_message m;
        m.op = store_op::successor_probe;
        m.rpc_id = _next_id++;
        m.entries.push_back(store_entry{self().id.to_hex(), std::nullopt, 0});
        _probes.insert(m.rpc_id);
        ++_counters.probes;
        send(p.address, encode(m));
        return;
    }
}

store_message node::answer_probe(const store_message& m) const {
    store_message r;
    r.op = store_op::reply;
    r.rpc_id = m.rpc_id;
    auto x = m.entries.size() == 1 ? id::from_hex(m.entries[0].key) : std::nullopt;
    if (!x || !_core.ring().contains(*x) || _core.state() != node_state::joined) {
        r.status = store_status::invalid;
        return r;
    }
    // The first node this one knows strictly after x, itself included.
    const auto& ring = _core.ring();
    const peer* best = &self();
    auto best_distance = ring.distance(*x, self().id);
    auto consider = [&](const peer& p) {
        auto d = ring.distance(*x, p.id);
        if (d != id{} && (best_distance == id{} || d < best_distance)) {
            best = &p;
            best_distance = d;
        }
    };
    for (const auto& s : _core.table().successors()) consider(s);
    for (unsigned i = 0; i < _core.table().finger_count(); ++i)
        if (const auto& f = _core.table().finger(i)) consider(*f);
    if (const auto& p = _core.predecessor()) consider(*p);
    r.entries.push_back(store_entry{best->address, std::nullopt, 0});
    return r;
}

void node::on_probe_reply(const store_message& m) {
    if (m.status != store_status::ok || m.entries.size() != 1) return;
    const auto& address = m.entries[0].key;
    // The id is ours to compute: an answer cannot place a node anywhere else.
    peer p{hash_id(address, _core.ring()), address};
    if (!_core.consider_successor(p)) {
        ++_counters.probe_adoptions;
        _log->info("ring repair: {} adopted {} as successor", self().address, address);
    }
    pump();
}

} // namespace coronet::dht::chord
