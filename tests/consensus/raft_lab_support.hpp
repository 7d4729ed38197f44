#pragma once
// The network the MIT 6.824 Raft lab tests assume, built on raft_cluster.hpp
// without changing it: nodes connected and disconnected one at a time (a
// disconnected node hears nobody and nobody hears it, as the lab's
// connect/disconnect), and links that stall now and then, holding their
// messages for many delivery rounds so that they arrive after newer ones —
// the lab's "long reordering", which the cluster's in-round shuffle and
// replays of delivered messages do not give (a replayed message also
// arrived on time; a stalled one did not).
//
// The lab_network owns the cluster's cut links: a test that uses it must
// disconnect and connect through it, never cluster::cut/isolate/heal.
// Messages held back by a stall reach their node through cluster::inject, so
// they are not in cluster::delivered(); count messages on reliable runs only.

#include "consensus/raft_cluster.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <random>
#include <set>
#include <utility>
#include <vector>

namespace raft_test {

/// How unreliable a lab_network is. Percentages are per message, except
/// stall_percent, which is per link and delivery round.
struct lab_faults {
    unsigned drop_percent = 0;
    unsigned duplicate_percent = 0;
    unsigned stall_percent = 0;
    /// A stalled link delivers what it held after 1..stall_rounds_max rounds.
    std::size_t stall_rounds_max = 30;
    /// Delivery rounds per tick while unreliable: a round is a network hop,
    /// so a stall of stall_rounds_max spans stall_rounds_max / rounds ticks.
    std::size_t rounds_per_tick = 3;

    bool reliable() const { return drop_percent == 0 && duplicate_percent == 0 && stall_percent == 0; }
};

class lab_network {
public:
    lab_network(cluster& c, std::uint64_t seed) : _c(c), _rng(seed ^ 0x6c61622d6e6574ull) {}

    cluster& nodes() { return _c; }

    void disconnect(raft::node_id id) {
        _disconnected.insert(id);
        apply_cuts();
    }
    void connect(raft::node_id id) {
        _disconnected.erase(id);
        apply_cuts();
    }
    void connect_all() {
        _disconnected.clear();
        apply_cuts();
    }
    bool connected(raft::node_id id) const { return !_disconnected.contains(id); }
    /// cluster::add_node, keeping the new node cut off from disconnected ones.
    void add_node(raft::node_id id) {
        _c.add_node(id);
        apply_cuts();
    }

    /// Live and connected: the nodes that can take part right now.
    std::vector<raft::node_id> reachable() const {
        std::vector<raft::node_id> out;
        for (auto id : _c.ids())
            if (_c.up(id) && connected(id)) out.push_back(id);
        return out;
    }

    void set_faults(const lab_faults& f) {
        _faults = f;
        // Loss and duplication are the cluster's; reordering within a round too.
        _c.set_faults(f.drop_percent, f.duplicate_percent, !f.reliable());
        if (f.stall_percent == 0) release_all_held();
    }
    void set_reliable() { set_faults({}); }
    const lab_faults& faults() const { return _faults; }

    /// One tick of every live node, then the network: settled completely
    /// when reliable (every message of the tick arrives within it, as the
    /// cluster's run() does), else rounds_per_tick rounds.
    void tick() {
        _c.tick_all();
        if (_faults.reliable()) {
            _c.stabilize();
        } else {
            for (std::size_t r = 0; r < _faults.rounds_per_tick; ++r) round();
        }
        _c.check_log_matching();
    }

    void run(int ticks) {
        for (int i = 0; i < ticks; ++i) tick();
    }

    /// Messages held back by stalled links.
    std::size_t held() const { return _held.size(); }

private:
    struct held_message {
        raft::message m;
        std::size_t due_round;
    };

    void apply_cuts() {
        _c.heal();
        for (auto id : _disconnected) _c.isolate(id);
    }

    static std::pair<raft::node_id, raft::node_id> link(const raft::message& m) {
        return std::minmax(m.from, m.to);
    }

    /// One hop: stall some links (holding what they carry now), let the
    /// cluster deliver the rest, then deliver what is due from earlier stalls.
    void round() {
        ++_round;
        std::set<std::pair<raft::node_id, raft::node_id>> stalled, carries_snapshot;
        for (const auto& m : _c.in_flight())
            if (m.type == raft::message_type::snapshot) carries_snapshot.insert(link(m));
        for (const auto& m : _c.in_flight()) {
            auto l = link(m);
            // Snapshots are not held: the cluster reports a lost snapshot to
            // its sender, and a held one would arrive after that report.
            if (carries_snapshot.contains(l) || stalled.contains(l)) continue;
            if (_faults.stall_percent > 0 && _rng() % 100 < _faults.stall_percent) stalled.insert(l);
        }
        for (const auto& m : _c.in_flight())
            if (stalled.contains(link(m)) && connected(m.from) && connected(m.to))
                _held.push_back({m, _round + 1 + _rng() % _faults.stall_rounds_max});
        for (const auto& [a, b] : stalled) _c.cut(a, b);
        _c.deliver_round();
        apply_cuts();
        deliver_held(false);
    }

    void deliver_held(bool all) {
        std::vector<raft::message> due;
        std::erase_if(_held, [&](const held_message& h) {
            if (!all && h.due_round > _round) return false;
            due.push_back(h.m);
            return true;
        });
        std::shuffle(due.begin(), due.end(), _rng);
        for (const auto& m : due) {
            // A partition that formed meanwhile loses the message.
            if (!connected(m.from) || !connected(m.to)) continue;
            if (_faults.drop_percent > 0 && _rng() % 100 < _faults.drop_percent) continue;
            _c.inject(m.to, m);
        }
        _c.process_all();
    }

    void release_all_held() {
        if (!_held.empty()) deliver_held(true);
    }

    cluster& _c;
    std::mt19937_64 _rng;
    lab_faults _faults;
    std::set<raft::node_id> _disconnected;
    std::vector<held_message> _held;
    std::size_t _round = 0;
};

} // namespace raft_test
