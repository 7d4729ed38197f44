#pragma once
// A discrete-event simulation of a Chord network: the real cores
// (coronet::dht_core), virtual time in microseconds, every message delivered
// after the latency model's delay, every node ticking on its own phase. No
// sockets and no wall clock: the same seed gives the same run.
//
// It is the driver loop of core.hpp with an event queue instead of a
// network: after each call into a core it takes the core's readies,
// schedules the messages and keeps the lookup results. Messages travel as
// values (the codec has its own tests; encoding every message would triple
// the cost of a 8192-node run without changing any result here).
//
// A simulation is a value: copying it copies every core and every message in
// flight, which is how one converged ring serves several experiments.

#include "latency_model.hpp"

#include <coronet/dht/chord/core.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <queue>
#include <random>
#include <unordered_map>
#include <utility>
#include <vector>

namespace coronet::bench::chord_bench {

namespace chord = coronet::dht::chord;

using node_index = std::uint32_t;

/// The core timing used by every experiment, for a tick of 100 ms.
void bench_timing(chord::config& c);

struct sim_options {
    std::uint64_t seed = 1;
    std::size_t successors = 8;
    std::uint64_t tick_us = 100'000;
    latency_model latency;
    /// Sets each core's timing (bench_timing unless an experiment needs
    /// another).
    std::function<void(chord::config&)> timing = bench_timing;
};

/// A lookup the simulation started, once its result is in.
struct finished_lookup {
    node_index origin = 0;
    chord::lookup_result result;
    std::uint64_t started_us = 0;
    std::uint64_t finished_us = 0;
    /// The key's live owner when the answer arrived, to judge the answer by.
    chord::id true_owner;
    double latency_ms() const { return static_cast<double>(finished_us - started_us) / 1000.0; }
};

/// What is wrong with the live ring, compared with the truth.
struct ring_health {
    std::size_t live = 0;
    std::size_t wrong_successors = 0;
    std::size_t wrong_predecessors = 0;
    std::size_t wrong_lists = 0;
    std::size_t fingers = 0;        ///< fingers checked (live nodes × m)
    std::size_t wrong_fingers = 0;
    bool ring_ok() const { return wrong_successors == 0 && wrong_predecessors == 0 && wrong_lists == 0; }
    bool ok() const { return ring_ok() && wrong_fingers == 0; }
};

class simulation {
public:
    explicit simulation(sim_options opts);

    const sim_options& options() const { return _opts; }
    latency_model& latency() { return _opts.latency; }
    const chord::ring& ring() const { return _ring; }
    std::mt19937_64& rng() { return _rng; }
    std::uint64_t now_us() const { return _now; }

    /// A new idle node "sim://n<k>" whose id is the SHA-1 of its address.
    node_index add_node();
    void create(node_index n);
    /// Starts n's join through `bootstrap`; n shows up in joined() once done.
    void join(node_index n, node_index bootstrap);
    /// The node stops for good: it never ticks again, messages to it are lost.
    void crash(node_index n);

    std::size_t size() const { return _nodes.size(); }
    const chord::core& core(node_index n) const { return _nodes[n].core; }
    bool up(node_index n) const { return _nodes[n].up; }
    bool joined(node_index n) const { return up(n) && core(n).state() == chord::node_state::joined; }
    /// Nodes whose last join attempt failed (they are idle), since last asked.
    std::vector<node_index> take_failed_joins() { return std::exchange(_failed_joins, {}); }

    /// Starts a lookup at `origin`; false if the core refused it.
    bool lookup(node_index origin, const chord::id& key, chord::lookup_style style);
    std::size_t lookups_pending() const { return _pending.size(); }
    std::vector<finished_lookup> take_finished() { return std::exchange(_finished, {}); }
    /// Forgets the lookups started at crashed nodes (they never finish);
    /// returns how many.
    std::size_t drop_orphans();
    /// Stops waiting for the lookups still pending; returns how many.
    std::size_t abandon_pending() { return std::exchange(_pending, {}).size(); }

    /// Processes every event up to `t_us`; then now_us() == t_us.
    void run_until(std::uint64_t t_us);
    void run_ticks(std::uint64_t ticks) { run_until(_now + ticks * _opts.tick_us); }

    /// Live, joined nodes in ring order.
    std::vector<node_index> live_ring() const;
    /// Whether the node with id `x` is up (false if there is none).
    bool up_id(const chord::id& x) const {
        auto it = _by_id.find(x);
        return it != _by_id.end() && up(it->second);
    }
    /// The first live, joined node at or after `key`.
    node_index true_owner(const chord::id& key) const;
    ring_health health(bool fingers) const;
    /// Messages delivered so far, and lost to crashed nodes.
    std::uint64_t delivered() const { return _delivered; }
    std::uint64_t lost() const { return _lost; }

private:
    struct node {
        chord::core core;
        bool up = true;
        std::uint64_t phase_us = 0;
    };
    struct event {
        std::uint64_t at = 0;
        std::uint64_t seq = 0;
        node_index to = 0;
        std::uint32_t slot = 0; ///< tick_slot, or the message's slot
        bool operator>(const event& o) const { return at != o.at ? at > o.at : seq > o.seq; }
    };
    static constexpr std::uint32_t tick_slot = 0xFFFFFFFFu;
    struct pending_lookup {
        node_index origin = 0;
        std::uint64_t started_us = 0;
    };

    void collect(node_index n);
    void schedule_tick(node_index n, std::uint64_t at);
    node_index index_of(const std::string& address) const;

    sim_options _opts;
    chord::ring _ring;
    std::mt19937_64 _rng;
    std::vector<node> _nodes;
    /// Every node that ever existed, by id (crashed ones too).
    std::map<chord::id, node_index> _by_id;
    std::priority_queue<event, std::vector<event>, std::greater<>> _events;
    std::vector<chord::message> _slots;
    std::vector<std::uint32_t> _free_slots;
    std::uint64_t _now = 0;
    std::uint64_t _seq = 0;
    std::uint64_t _next_request = 0;
    std::unordered_map<std::uint64_t, pending_lookup> _pending;
    std::vector<finished_lookup> _finished;
    std::vector<node_index> _failed_joins;
    std::uint64_t _delivered = 0;
    std::uint64_t _lost = 0;
};

} // namespace coronet::bench::chord_bench
