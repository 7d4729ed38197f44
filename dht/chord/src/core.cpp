// The core's entry points, its request table and the output: everything that
// is not routing (core_lookup.cpp), ring maintenance (core_maintenance.cpp)
// or message validation (core_validate.cpp).
#include <coronet/dht/chord/core.hpp>

#include <algorithm>
#include <numeric>
#include <stdexcept>
#include <utility>

namespace coronet::dht::chord {
namespace {

chord::config validated(chord::config config) {
    config.validate();
    return config;
}

/// The splitmix64 step: a small, seedable generator with no state but a word.
std::uint64_t splitmix64(std::uint64_t& state) {
    auto z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

} // namespace

std::string_view to_string(node_state s) {
    switch (s) {
    case node_state::idle: return "idle";
    case node_state::joining: return "joining";
    case node_state::joined: return "joined";
    }
    return "unknown";
}

std::uint64_t counters::rejected_total() const { return std::accumulate(rejected.begin(), rejected.end(), std::uint64_t{0}); }

core::core(chord::config config)
    : _config(validated(std::move(config))),
      _ring(_config.id_bits),
      _table(_ring, _config.self, _config.successors),
      // Mixing in the id keeps nodes configured with the same seed apart.
      _rng_state(_config.seed ^ _config.self.id.low64()),
      _reported(current_neighbours()) {}

std::error_code core::create() {
    if (_state != node_state::idle) return errc::already_joined;
    _state = node_state::joined;
    return {};
}

std::error_code core::join(std::string bootstrap_address) {
    if (bootstrap_address.empty()) throw std::invalid_argument("chord core: join needs a bootstrap address");
    if (_state != node_state::idle) return errc::already_joined;
    _state = node_state::joining;
    _bootstrap = std::move(bootstrap_address);
    if (auto e = start_lookup(purpose::join, 0, 0, _config.self.id, lookup_style::iterative)) {
        _state = node_state::idle;
        return e;
    }
    return {};
}

std::error_code core::lookup(std::uint64_t request_id, const id& key, lookup_style style) {
    if (_state != node_state::joined) return errc::not_joined;
    if (!_ring.contains(key)) return errc::key_out_of_range;
    if (_user_requests.contains(request_id)) return errc::duplicate_request;
    return start_lookup(purpose::user, request_id, 0, key, style);
}

void core::tick() {
    ++_now;
    std::vector<std::uint64_t> due;
    for (const auto& [rpc_id, rpc] : _rpcs)
        if (rpc.deadline <= _now) due.push_back(rpc_id);
    // Each timeout may send, complete or cancel other requests: look every
    // one up again rather than holding on to iterators.
    for (auto rpc_id : due) on_rpc_timeout(rpc_id);
    due.clear();
    for (const auto& [lookup_id, l] : _lookups)
        if (l.deadline <= _now) due.push_back(lookup_id);
    for (auto lookup_id : due)
        if (auto it = _lookups.find(lookup_id); it != _lookups.end() && it->second.deadline <= _now)
            attempt_failed(lookup_id, errc::timeout);
    expire_suspects();
    if (_state != node_state::joined) return;
    if (_now % _config.stabilize_ticks == 0) stabilize();
    if (_now % _config.check_predecessor_ticks == 0) check_predecessor();
    if (_now % _config.fix_fingers_ticks == 0) fix_fingers();
}

std::error_code core::step(const message& m) {
    ++_stats.messages_received;
    if (auto e = check(m); e != errc{}) return reject(e);
    // Whatever it says, a node that speaks is alive.
    _suspects.erase(m.from.id);
    _failures.erase(m.from.id);
    std::error_code e;
    if (_state != node_state::joined) {
        // Outside a ring a node only listens to answers to its own requests.
        switch (m.type) {
        case message_type::find_next_reply: e = handle_find_next_reply(m); break;
        case message_type::pong: e = handle_pong(m); break;
        default: e = errc::not_joined; break;
        }
    } else {
        switch (m.type) {
        case message_type::find_next: e = handle_find_next(m); break;
        case message_type::find_next_reply: e = handle_find_next_reply(m); break;
        case message_type::find_successor: e = handle_find_successor(m); break;
        case message_type::find_successor_ack: e = handle_find_successor_ack(m); break;
        case message_type::lookup_result: e = handle_lookup_result(m); break;
        case message_type::get_predecessor: e = handle_get_predecessor(m); break;
        case message_type::predecessor_reply: e = handle_predecessor_reply(m); break;
        case message_type::notify: e = handle_notify(m); break;
        case message_type::ping: e = handle_ping(m); break;
        case message_type::pong: e = handle_pong(m); break;
        }
    }
    if (e && e.category() == chord_category()) return reject(static_cast<errc>(e.value()));
    return e;
}

bool core::has_ready() const {
    return !_outbox.empty() || !_results.empty() || _join_outcome || _table.predecessor() != _reported.predecessor ||
           _table.successor() != _reported.successor;
}

ready core::take_ready() {
    ready rd;
    rd.messages = std::move(_outbox);
    rd.lookups = std::move(_results);
    rd.joined = std::exchange(_join_outcome, std::nullopt);
    if (auto n = current_neighbours(); n != _reported) {
        _reported = n;
        rd.neighbours = std::move(n);
    }
    _outbox.clear();
    _results.clear();
    return rd;
}

// ---- Plumbing --------------------------------------------------------------

std::error_code core::reject(errc e) {
    ++_stats.rejected[static_cast<std::size_t>(e)];
    return e;
}

message core::make(message_type type, const std::string& to) const {
    message m;
    m.type = type;
    m.from = _config.self;
    m.to = to;
    return m;
}

void core::send(message m) {
    ++_stats.messages_sent;
    _outbox.push_back(std::move(m));
}

std::uint64_t core::draw_id() {
    for (;;) {
        auto v = splitmix64(_rng_state);
        if (v != 0 && !_rpcs.contains(v) && !_lookups.contains(v)) return v;
    }
}

std::uint64_t core::add_rpc(pending_rpc rpc) {
    if (_rpcs.size() >= _config.pending_rpcs_max) return 0;
    auto rpc_id = draw_id();
    rpc.deadline = _now + _config.rpc_timeout_ticks;
    _rpcs.emplace(rpc_id, std::move(rpc));
    return rpc_id;
}

std::optional<core::pending_rpc> core::take_rpc(const message& m, rpc_kind kind) {
    auto it = _rpcs.find(m.rpc_id);
    if (it == _rpcs.end()) return std::nullopt;
    const auto& rpc = it->second;
    if (rpc.kind != kind || rpc.address != m.from.address) return std::nullopt;
    if (rpc.peer_id && *rpc.peer_id != m.from.id) return std::nullopt;
    auto out = std::move(it->second);
    _rpcs.erase(it);
    return out;
}

void core::on_rpc_timeout(std::uint64_t rpc_id) {
    auto it = _rpcs.find(rpc_id);
    if (it == _rpcs.end()) return;
    auto rpc = std::move(it->second);
    _rpcs.erase(it);
    ++_stats.rpc_timeouts;
    if (rpc.peer_id) note_failure(*rpc.peer_id);
    switch (rpc.kind) {
    case rpc_kind::find_next:
        if (auto l = _lookups.find(rpc.lookup); l != _lookups.end() && l->second.asking == rpc_id) {
            l->second.asking = 0;
            if (rpc.peer_id) l->second.failed.push_back(*rpc.peer_id);
            ask_next(rpc.lookup);
        }
        break;
    case rpc_kind::forward: {
        auto f = std::move(rpc.forward);
        // The request reached its end some other way (an ack was lost, say):
        // nothing left to route.
        if (f.origin.id == _config.self.id && !_lookups.contains(f.request_id)) break;
        if (++f.attempts >= _config.forward_attempts_max) {
            answer_request(f, errc::no_route);
        } else {
            f.avoid.push_back(*rpc.peer_id);
            route_request(std::move(f));
        }
        break;
    }
    case rpc_kind::get_predecessor: _stabilize_rpc = 0; break;
    case rpc_kind::ping: _ping_rpc = 0; break;
    }
}

void core::note_failure(const id& x) {
    auto it = _failures.find(x);
    if (it == _failures.end()) {
        if (_config.suspects_max == 0 || _failures.size() >= _config.suspects_max) {
            mark_failed(x); // no room to count: believe the first failure
            return;
        }
        it = _failures.emplace(x, 0).first;
    }
    if (++it->second < _config.failures_max) return;
    _failures.erase(it);
    mark_failed(x);
}

void core::mark_failed(const id& x) {
    ++_stats.peers_failed;
    _table.remove(x);
    if (_config.suspects_max == 0) return;
    if (_suspects.size() >= _config.suspects_max && !_suspects.contains(x)) {
        // Forgive the one that would be forgiven soonest.
        auto oldest = std::min_element(_suspects.begin(), _suspects.end(),
                                       [](const auto& a, const auto& b) { return a.second < b.second; });
        _suspects.erase(oldest);
    }
    _suspects[x] = _now + _config.suspect_ticks;
}

void core::expire_suspects() {
    std::erase_if(_suspects, [&](const auto& s) { return s.second <= _now; });
}

chord::neighbours core::current_neighbours() const { return {_table.predecessor(), _table.successor()}; }

} // namespace coronet::dht::chord
