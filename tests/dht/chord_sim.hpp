#pragma once
// A deterministic in-memory Chord ring for tests: pure cores, a FIFO queue of
// messages between them (every one through the wire codec by default, so the
// codec sees real traffic; optionally lossy), virtual ticks, crashes, and the structural
// invariants of every node checked after every input it gets. All choices
// (ids on small rings, bootstraps, keys) come from one seeded generator; a
// failing test prints its seed.
//
// The harness is the driver loop of core.hpp written out: after each call
// into a core it drains the core's readies, queueing the messages and
// keeping the lookup results. Time advances only through tick_all().

#include <coronet/dht/chord/core.hpp>
#include <coronet/dht/chord/hash.hpp>
#include <coronet/dht/chord/message_codec.hpp>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace chord_sim {

namespace chord = coronet::dht::chord;

/// A random id on `r`, uniform.
inline chord::id random_id(std::mt19937_64& rng, const chord::ring& r) {
    std::array<std::uint8_t, chord::id::bytes> b{};
    for (auto& x : b) x = static_cast<std::uint8_t>(rng());
    return chord::id::from_bytes(b).shifted_right(chord::id::bits_max - r.bits());
}

struct options {
    unsigned id_bits = 160;
    std::size_t successors = 8;
    chord::lookup_style maintenance_style = chord::lookup_style::iterative;
    /// Encode and decode every message on its way.
    bool through_codec = true;
    /// Last word on each node's config.
    std::function<void(chord::config&)> tweak;
};

/// Timing for simulated rings: everything every tick or two, so rings settle
/// in few ticks.
inline void fast_timing(chord::config& c) {
    c.stabilize_ticks = 1;
    c.fix_fingers_ticks = 1;
    c.check_predecessor_ticks = 2;
    c.rpc_timeout_ticks = 2;
    c.lookup_timeout_ticks = 40;
    c.suspect_ticks = 50;
}

class network {
public:
    explicit network(std::uint64_t seed, options opts = {}) : _rng(seed), _seed(seed), _opts(std::move(opts)), _ring(_opts.id_bits) {}

    const chord::ring& ring() const { return _ring; }
    std::mt19937_64& rng() { return _rng; }
    std::uint64_t seed() const { return _seed; }

    /// A new idle node "sim://n<k>", with the hash of its address as id (or
    /// `id`); on small rings an id already taken is replaced by a free
    /// random one.
    std::string add_node(std::optional<chord::id> id = std::nullopt) {
        auto address = "sim://n" + std::to_string(_next++);
        auto x = id ? *id : chord::hash_id(address, _ring);
        while (_by_id.contains(x)) x = random_id(_rng, _ring);
        chord::config c;
        c.self = {x, address};
        c.id_bits = _opts.id_bits;
        c.successors = _opts.successors;
        c.forward_attempts_max = static_cast<std::uint32_t>(std::max<std::size_t>(8, _opts.successors));
        c.peer_list_max = std::max<std::size_t>(32, _opts.successors);
        c.maintenance_style = _opts.maintenance_style;
        c.seed = _seed;
        fast_timing(c);
        if (_opts.tweak) _opts.tweak(c);
        _nodes.emplace(address, node_entry{std::make_unique<chord::core>(c), true, {}, {}});
        _by_id.emplace(x, address);
        return address;
    }

    chord::core& node(const std::string& address) { return *entry(address).core; }
    bool up(const std::string& address) const { return _nodes.at(address).up; }

    void create(const std::string& address) {
        if (node(address).create()) throw std::logic_error("chord sim: create refused");
        collect(address);
    }

    /// Starts a join through `bootstrap` and delivers until the network is
    /// quiet; returns the join's outcome if it finished.
    std::optional<std::error_code> join(const std::string& address, const std::string& bootstrap) {
        if (auto e = node(address).join(bootstrap)) throw std::logic_error("chord sim: join refused: " + e.message());
        collect(address);
        deliver_all();
        return std::exchange(entry(address).joined, std::nullopt);
    }

    /// From now on the network loses each message with probability `p`.
    void set_loss(double p) { _loss = p; }

    /// The node stops: it never ticks again and messages to it are lost.
    void crash(const std::string& address) { entry(address).up = false; }

    /// Every live node, ordered by id: the ring as it truly is.
    std::vector<std::string> live_ring() const {
        std::vector<std::string> out;
        for (const auto& [x, address] : _by_id) {
            const auto& e = _nodes.at(address);
            if (e.up && e.core->state() == chord::node_state::joined) out.push_back(address);
        }
        return out;
    }

    /// The first live node at or after `key`.
    std::string true_owner(const chord::id& key) const { return owner_in(live_ids(), key); }

    /// Empty if every live node's successor and predecessor are its true
    /// neighbours (and, with lists, its successor list the next r live
    /// nodes); else the first few mismatches.
    std::string ring_errors(bool lists = false) const {
        auto live = live_ring();
        std::string out;
        auto n = live.size();
        for (std::size_t i = 0; i < n && out.size() < 2000; ++i) {
            const auto& c = *_nodes.at(live[i]).core;
            const auto& succ = live[(i + 1) % n];
            const auto& pred = live[(i + n - 1) % n];
            if (c.successor().address != succ)
                out += live[i] + ": successor " + c.successor().address + ", should be " + succ + "\n";
            if (n > 1 && (!c.predecessor() || c.predecessor()->address != pred))
                out += live[i] + ": predecessor " + (c.predecessor() ? c.predecessor()->address : "none") +
                       ", should be " + pred + "\n";
            if (!lists) continue;
            const auto& list = c.table().successors();
            auto expected = std::min(c.config().successors, n - 1);
            bool ok = list.size() == expected;
            for (std::size_t k = 0; ok && k < expected; ++k) ok = list[k].address == live[(i + 1 + k) % n];
            if (!ok) out += live[i] + ": successor list wrong\n";
        }
        return out;
    }

    /// Empty if every finger of every live node is the true successor of its
    /// start (an empty finger: the node itself).
    std::string finger_errors() const {
        std::string out;
        auto live = live_ids();
        for (const auto& [x, a] : live) {
            const auto& c = *_nodes.at(a).core;
            for (unsigned i = 0; i < c.table().finger_count() && out.size() < 2000; ++i) {
                auto owner = owner_in(live, c.table().finger_start(i));
                const auto& f = c.table().finger(i);
                auto got = f ? f->address : a;
                if (got != owner) out += a + ": finger " + std::to_string(i) + " is " + got + ", should be " + owner + "\n";
            }
        }
        return out;
    }

    /// Delivers queued messages (and whatever they cause) until none is left.
    void deliver_all() {
        for (std::size_t budget = 50'000'000; !_queue.empty(); --budget) {
            if (budget == 0) throw std::logic_error("chord sim: messages never stop (seed " + std::to_string(_seed) + ")");
            auto [to, bytes, m] = std::move(_queue.front());
            _queue.pop_front();
            auto it = _nodes.find(to);
            if (it == _nodes.end() || !it->second.up) continue;
            if (_loss > 0 && std::uniform_real_distribution<double>(0, 1)(_rng) < _loss) continue;
            ++_delivered;
            if (_opts.through_codec) m = chord::decode_message(bytes);
            it->second.core->step(m);
            collect(to);
        }
    }

    /// One tick on every live node, then delivery until quiet.
    void tick_all() {
        for (auto& [address, e] : _nodes) {
            if (!e.up) continue;
            e.core->tick();
            collect(address);
        }
        deliver_all();
    }

    void run(std::size_t ticks) {
        for (std::size_t i = 0; i < ticks; ++i) tick_all();
    }

    /// Puts `m` on the wire to m.to, as if some node had sent it.
    void inject(chord::message m) {
        if (_opts.through_codec) _queue.push_back({m.to, chord::encode(m), {}});
        else _queue.push_back({m.to, {}, std::move(m)});
    }

    /// Ticks until `done()` or `max_ticks` pass; returns whether done.
    bool run_until(std::size_t max_ticks, const std::function<bool()>& done) {
        for (std::size_t i = 0; i < max_ticks; ++i) {
            if (done()) return true;
            tick_all();
        }
        return done();
    }

    /// Starts every lookup at once, then runs until all have answered (or
    /// max_ticks pass: missing answers throw). Results in request order.
    std::vector<chord::lookup_result> lookups(const std::vector<std::pair<std::string, chord::id>>& requests,
                                              chord::lookup_style style, std::size_t max_ticks = 400) {
        std::map<std::uint64_t, std::size_t> index;
        for (const auto& [address, key] : requests) {
            auto request_id = ++_next_request;
            index.emplace(request_id, index.size());
            if (auto e = node(address).lookup(request_id, key, style))
                throw std::logic_error("chord sim: lookup refused: " + e.message());
            collect(address);
        }
        deliver_all();
        std::vector<std::optional<chord::lookup_result>> out(requests.size());
        std::size_t have = 0;
        auto gather = [&] {
            for (auto& [address, e] : _nodes) {
                for (auto& r : e.results) {
                    auto it = index.find(r.request_id);
                    if (it == index.end()) continue;
                    out[it->second] = std::move(r);
                    ++have;
                }
                e.results.clear();
            }
            return have == requests.size();
        };
        if (!run_until(max_ticks, gather))
            throw std::logic_error("chord sim: lookups unanswered after " + std::to_string(max_ticks) + " ticks");
        std::vector<chord::lookup_result> results;
        for (auto& r : out) results.push_back(std::move(*r));
        return results;
    }

    /// Random (origin, key) pairs: live origins, uniform keys.
    std::vector<std::pair<std::string, chord::id>> random_requests(std::size_t n) {
        auto live = live_ring();
        std::vector<std::pair<std::string, chord::id>> out;
        for (std::size_t i = 0; i < n; ++i) out.emplace_back(live[_rng() % live.size()], random_id(_rng, _ring));
        return out;
    }

    /// Messages delivered so far (for sizing tests).
    std::uint64_t delivered() const { return _delivered; }

    /// Builds a ring: the first node creates it, each next one joins through
    /// a random member; every `joins_per_tick` joins, the ring ticks once.
    std::vector<std::string> grow(std::size_t n, std::size_t joins_per_tick = 1) {
        std::vector<std::string> members;
        for (std::size_t i = 0; i < n; ++i) {
            auto a = add_node();
            if (members.empty()) {
                create(a);
            } else {
                auto joined = join(a, members[_rng() % members.size()]);
                if (!joined || *joined) throw std::logic_error("chord sim: " + a + " could not join");
            }
            members.push_back(a);
            if ((i + 1) % joins_per_tick == 0) tick_all();
        }
        return members;
    }

private:
    struct node_entry {
        std::unique_ptr<chord::core> core;
        bool up = true;
        std::vector<chord::lookup_result> results;
        std::optional<std::error_code> joined;
    };

    struct in_flight {
        std::string to;
        std::string bytes;
        chord::message m;
    };

    /// Live members as (id, address), ordered by id.
    std::vector<std::pair<chord::id, std::string>> live_ids() const {
        std::vector<std::pair<chord::id, std::string>> out;
        for (const auto& [x, address] : _by_id) {
            const auto& e = _nodes.at(address);
            if (e.up && e.core->state() == chord::node_state::joined) out.emplace_back(x, address);
        }
        return out;
    }

    static std::string owner_in(const std::vector<std::pair<chord::id, std::string>>& live, const chord::id& key) {
        auto it = std::lower_bound(live.begin(), live.end(), key,
                                   [](const auto& member, const chord::id& k) { return member.first < k; });
        return it == live.end() ? live.front().second : it->second;
    }

    node_entry& entry(const std::string& address) {
        auto it = _nodes.find(address);
        if (it == _nodes.end()) throw std::logic_error("chord sim: no node " + address);
        return it->second;
    }

    void collect(const std::string& address) {
        auto& e = entry(address);
        while (e.core->has_ready()) {
            auto rd = e.core->take_ready();
            for (auto& m : rd.messages) {
                if (_opts.through_codec) _queue.push_back({m.to, chord::encode(m), {}});
                else _queue.push_back({m.to, {}, std::move(m)});
            }
            for (auto& r : rd.lookups) e.results.push_back(std::move(r));
            if (rd.joined) e.joined = rd.joined;
        }
        check_invariants(*e.core);
    }

    /// What must hold of any node at any time, whatever the network did.
    void check_invariants(const chord::core& c) const {
        auto fail = [&](const std::string& what) {
            throw std::logic_error("chord sim: invariant broken at " + c.self().address + " (seed " +
                                   std::to_string(_seed) + "): " + what);
        };
        const auto& t = c.table();
        const auto& self = c.self().id;
        if (t.successors().size() > c.config().successors) fail("successor list longer than r");
        chord::id last{};
        for (const auto& s : t.successors()) {
            if (!_ring.contains(s.id)) fail("successor off the ring");
            auto d = _ring.distance(self, s.id);
            if (d <= last) fail("successor list not in clockwise order, or contains the node");
            last = d;
        }
        if (t.predecessor() && t.predecessor()->id == self) fail("the node is its own predecessor");
        if (c.pending_rpcs() > c.config().pending_rpcs_max) fail("pending_rpcs_max exceeded");
        if (c.pending_lookups() > c.config().pending_lookups_max) fail("pending_lookups_max exceeded");
    }

    std::mt19937_64 _rng;
    std::uint64_t _seed;
    options _opts;
    chord::ring _ring;
    std::map<std::string, node_entry> _nodes;
    std::map<chord::id, std::string> _by_id;
    std::deque<in_flight> _queue;
    std::size_t _next = 0;
    std::uint64_t _next_request = 0;
    std::uint64_t _delivered = 0;
    double _loss = 0;
};

} // namespace chord_sim
