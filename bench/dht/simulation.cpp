#include "simulation.hpp"

#include <coronet/dht/chord/hash.hpp>

#include <algorithm>
#include <charconv>
#include <stdexcept>
#include <string>

namespace coronet::bench::chord_bench {

namespace {

constexpr std::string_view address_prefix = "sim://n";

chord::config node_config(const sim_options& o, chord::peer self, const chord::ring& r) {
    chord::config c;
    c.self = std::move(self);
    c.id_bits = r.bits();
    c.successors = o.successors;
    c.forward_attempts_max = static_cast<std::uint32_t>(std::max<std::size_t>(8, o.successors));
    c.peer_list_max = std::max<std::size_t>(32, o.successors);
    c.seed = o.seed;
    o.timing(c);
    return c;
}

} // namespace

void bench_timing(chord::config& c) {
    // With a 100 ms tick: stabilize every 200 ms, one finger per tick, the
    // predecessor pinged every 400 ms. A request times out after 400 ms,
    // twice the longest round trip of the latency model, so only dead nodes
    // time out; a lookup attempt gives up after 5 s.
    c.stabilize_ticks = 2;
    c.fix_fingers_ticks = 1;
    c.check_predecessor_ticks = 4;
    c.rpc_timeout_ticks = 4;
    c.lookup_timeout_ticks = 50;
    c.lookup_attempts_max = 3;
    c.suspect_ticks = 100;
}

simulation::simulation(sim_options opts) : _opts(std::move(opts)), _ring(chord::id::bits_max), _rng(_opts.seed) {
    _opts.latency.seed ^= _opts.seed;
}

node_index simulation::add_node() {
    auto n = static_cast<node_index>(_nodes.size());
    auto address = std::string(address_prefix) + std::to_string(n);
    auto x = chord::hash_id(address, _ring);
    if (_by_id.contains(x)) throw std::logic_error("chord bench: SHA-1 collision on " + address);
    _by_id.emplace(x, n);
    auto phase = std::uniform_int_distribution<std::uint64_t>(0, _opts.tick_us - 1)(_rng);
    _nodes.push_back(node{chord::core(node_config(_opts, {x, address}, _ring)), true, phase});
    // The first tick at the node's own phase, at least one tick away.
    schedule_tick(n, _now - _now % _opts.tick_us + _opts.tick_us + phase);
    return n;
}

void simulation::create(node_index n) {
    if (_nodes[n].core.create()) throw std::logic_error("chord bench: create refused");
    collect(n);
}

void simulation::join(node_index n, node_index bootstrap) {
    if (auto e = _nodes[n].core.join(_nodes[bootstrap].core.self().address))
        throw std::logic_error("chord bench: join refused: " + e.message());
    collect(n);
}

void simulation::crash(node_index n) { _nodes[n].up = false; }

bool simulation::lookup(node_index origin, const chord::id& key, chord::lookup_style style) {
    auto request = ++_next_request;
    if (_nodes[origin].core.lookup(request, key, style)) return false;
    _pending.emplace(request, pending_lookup{origin, _now});
    collect(origin);
    return true;
}

std::size_t simulation::drop_orphans() {
    return std::erase_if(_pending, [&](const auto& p) { return !_nodes[p.second.origin].up; });
}

void simulation::schedule_tick(node_index n, std::uint64_t at) { _events.push({at, ++_seq, n, tick_slot}); }

node_index simulation::index_of(const std::string& address) const {
    node_index n = 0;
    auto digits = std::string_view(address).substr(address_prefix.size());
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (ec != std::errc{} || n >= _nodes.size() || end != digits.data() + digits.size())
        throw std::logic_error("chord bench: message to unknown address " + address);
    return n;
}

void simulation::collect(node_index n) {
    auto& c = _nodes[n].core;
    while (c.has_ready()) {
        auto rd = c.take_ready();
        for (auto& m : rd.messages) {
            auto to = index_of(m.to);
            std::uint32_t slot;
            if (_free_slots.empty()) {
                slot = static_cast<std::uint32_t>(_slots.size());
                _slots.push_back(std::move(m));
            } else {
                slot = _free_slots.back();
                _free_slots.pop_back();
                _slots[slot] = std::move(m);
            }
            _events.push({_now + _opts.latency.one_way_us(n, to), ++_seq, to, slot});
        }
        for (auto& r : rd.lookups) {
            auto it = _pending.find(r.request_id);
            if (it == _pending.end()) continue;
            auto truth = _nodes[true_owner(r.key)].core.self().id;
            _finished.push_back({it->second.origin, std::move(r), it->second.started_us, _now, truth});
            _pending.erase(it);
        }
        if (rd.joined && *rd.joined) _failed_joins.push_back(n);
    }
}

void simulation::run_until(std::uint64_t t_us) {
    // Bounded by virtual time: every event schedules only later ones (a
    // message at least the build latency later, a tick one tick later).
    while (!_events.empty() && _events.top().at <= t_us) {
        auto e = _events.top();
        _events.pop();
        _now = e.at;
        auto& target = _nodes[e.to];
        if (e.slot == tick_slot) {
            if (!target.up) continue;
            target.core.tick();
            collect(e.to);
            schedule_tick(e.to, _now + _opts.tick_us);
            continue;
        }
        auto m = std::move(_slots[e.slot]);
        _free_slots.push_back(e.slot);
        if (!target.up) {
            ++_lost;
            continue;
        }
        ++_delivered;
        target.core.step(m);
        collect(e.to);
    }
    _now = std::max(_now, t_us);
}

std::vector<node_index> simulation::live_ring() const {
    std::vector<node_index> out;
    for (const auto& [x, n] : _by_id)
        if (joined(n)) out.push_back(n);
    return out;
}

node_index simulation::true_owner(const chord::id& key) const {
    // Bounded by the number of nodes: the walk wraps round the ring once.
    auto it = _by_id.lower_bound(key);
    for (std::size_t i = 0; i <= _by_id.size(); ++i, ++it) {
        if (it == _by_id.end()) it = _by_id.begin();
        if (joined(it->second)) return it->second;
    }
    throw std::logic_error("chord bench: no live node");
}

ring_health simulation::health(bool fingers) const {
    ring_health h;
    auto live = live_ring();
    std::vector<chord::id> ids;
    for (auto n : live) ids.push_back(core(n).self().id);
    auto n_live = live.size();
    h.live = n_live;
    auto owner = [&](const chord::id& key) {
        auto it = std::lower_bound(ids.begin(), ids.end(), key);
        return live[it == ids.end() ? 0 : static_cast<std::size_t>(it - ids.begin())];
    };
    for (std::size_t i = 0; i < n_live; ++i) {
        const auto& c = core(live[i]);
        const auto& t = c.table();
        auto succ = live[(i + 1) % n_live];
        auto pred = live[(i + n_live - 1) % n_live];
        if (index_of(c.successor().address) != succ) ++h.wrong_successors;
        if (n_live > 1 && (!c.predecessor() || index_of(c.predecessor()->address) != pred)) ++h.wrong_predecessors;
        auto expected = std::min(c.config().successors, n_live - 1);
        bool list_ok = t.successors().size() == expected;
        for (std::size_t k = 0; list_ok && k < expected; ++k)
            list_ok = index_of(t.successors()[k].address) == live[(i + 1 + k) % n_live];
        if (!list_ok) ++h.wrong_lists;
        if (!fingers) continue;
        for (unsigned f = 0; f < t.finger_count(); ++f) {
            ++h.fingers;
            const auto& got = t.finger(f);
            auto want = owner(t.finger_start(f));
            if ((got ? index_of(got->address) : live[i]) != want) ++h.wrong_fingers;
        }
    }
    return h;
}

} // namespace coronet::bench::chord_bench
