#pragma once
// A deterministic in-memory Raft cluster for tests: N cores, a network that
// is a queue of messages (with cut links, loss, duplication and reordering
// drawn from a seeded generator), a stable store and a state machine per
// node, and the invariant checker run after every input to every node.
//
// The harness is the driver loop of core.hpp, written out: for each ready it
// persists the snapshot, entries and hard state, THEN queues the messages,
// then applies, then advances. Time advances only through tick_all().

#include "consensus/raft_invariants.hpp"
#include "consensus/raft_support.hpp"

#include <algorithm>
#include <cstddef>
#include <deque>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace raft_test {

/// A node's stable storage, written exactly as ready.hpp prescribes.
struct memory_storage {
    raft::hard_state hard_state;
    raft::snapshot snapshot;
    std::vector<raft::entry> entries; ///< the entries after snapshot, consecutive

    void persist(const raft::ready& rd) {
        if (rd.snapshot) {
            snapshot = *rd.snapshot;
            entries.clear();
        }
        if (!rd.entries.empty()) {
            auto first = rd.entries.front().index;
            while (!entries.empty() && entries.back().index >= first) entries.pop_back();
            auto expected = entries.empty() ? snapshot.metadata.index + 1 : entries.back().index + 1;
            if (first != expected) throw std::logic_error("storage: entries leave a gap");
            entries.insert(entries.end(), rd.entries.begin(), rd.entries.end());
        }
        if (rd.hard_state) hard_state = *rd.hard_state;
    }

    void compact(const raft::snapshot& snap) {
        snapshot = snap;
        std::erase_if(entries, [&](const raft::entry& e) { return e.index <= snap.metadata.index; });
    }

    raft::restored_state restore() const {
        raft::restored_state s;
        s.hard_state = hard_state;
        s.snapshot = snapshot;
        s.entries = entries;
        return s;
    }
};

/// The replicated application: a list of commands.
struct state_machine {
    raft::index_t applied = 0;
    std::vector<std::string> commands; ///< data of the normal entries applied, in order

    void apply(const raft::entry& e) {
        if (e.index != applied + 1) throw std::logic_error("state machine: entries applied out of order");
        if (e.type == raft::entry_type::normal) commands.push_back(e.data);
        applied = e.index;
    }

    std::string snapshot_data() const {
        std::string out;
        for (const auto& c : commands) out += std::to_string(c.size()) + ":" + c;
        return out;
    }

    void restore(const raft::snapshot& snap) {
        commands.clear();
        const auto& d = snap.data;
        std::size_t pos = 0;
        while (pos < d.size()) {
            auto colon = d.find(':', pos);
            auto size = std::stoul(d.substr(pos, colon - pos));
            commands.push_back(d.substr(colon + 1, size));
            pos = colon + 1 + size;
        }
        applied = snap.metadata.index;
    }
};

class cluster {
public:
    using tweak_fn = std::function<void(raft::config&)>;

    /// Voters 1..voters and learners voters+1..voters+learners, all with
    /// PreVote and CheckQuorum on unless `tweak` says otherwise.
    explicit cluster(std::size_t voters, std::uint64_t seed = 1, tweak_fn tweak = {}, std::size_t learners = 0)
        : _rng(seed), _tweak(std::move(tweak)) {
        std::vector<raft::node_id> voter_ids, learner_ids;
        for (std::size_t i = 1; i <= voters; ++i) voter_ids.push_back(i);
        for (std::size_t i = voters + 1; i <= voters + learners; ++i) learner_ids.push_back(i);
        for (std::size_t i = 1; i <= voters + learners; ++i) {
            auto c = make_config(i, voter_ids, true, true);
            c.learners = learner_ids;
            c.seed = seed;
            start(i, std::move(c));
        }
    }

    /// A new node that knows nobody (it learns the membership from the
    /// leader's log once a config change adds it).
    void add_node(raft::node_id id) {
        auto c = make_config(id, {}, true, true);
        c.seed = _rng();
        start(id, std::move(c));
    }

    raft::core& node(raft::node_id id) {
        auto& n = _nodes.at(id);
        if (!n.core) throw std::logic_error("node " + std::to_string(id) + " is down");
        return *n.core;
    }
    raft::core& operator[](raft::node_id id) { return node(id); }
    bool up(raft::node_id id) const { return _nodes.at(id).core != nullptr; }
    const state_machine& app(raft::node_id id) const { return _nodes.at(id).app; }
    const memory_storage& storage(raft::node_id id) const { return _nodes.at(id).storage; }
    const std::vector<raft::read_state>& reads(raft::node_id id) const { return _nodes.at(id).reads; }
    const invariant_checker& checker() const { return _check; }

    std::vector<raft::node_id> ids() const {
        std::vector<raft::node_id> out;
        for (const auto& [id, n] : _nodes) out.push_back(id);
        return out;
    }

    // ---- The network ---------------------------------------------------------

    void cut(raft::node_id a, raft::node_id b) {
        _cut.insert({a, b});
        _cut.insert({b, a});
    }
    void isolate(raft::node_id id) {
        for (const auto& [other, n] : _nodes)
            if (other != id) cut(id, other);
    }
    /// Cuts every link between different groups.
    void partition(const std::vector<std::vector<raft::node_id>>& groups) {
        for (std::size_t g = 0; g < groups.size(); ++g)
            for (std::size_t h = 0; h < groups.size(); ++h)
                if (g != h)
                    for (auto a : groups[g])
                        for (auto b : groups[h]) _cut.insert({a, b});
    }
    void heal() { _cut.clear(); }
    /// Probabilities (in percent) of losing and of duplicating each message,
    /// whether each delivery round is shuffled, and the probability that a
    /// round also delivers again an old message from any time before (a
    /// network that delays some packets arbitrarily).
    void set_faults(unsigned drop_percent, unsigned duplicate_percent, bool reorder, unsigned replay_percent = 0) {
        _drop_percent = drop_percent;
        _duplicate_percent = duplicate_percent;
        _reorder = reorder;
        _replay_percent = replay_percent;
    }

    /// Hands `m` to node `id` now, outside the network's queue (for
    /// hand-made or corrupted messages, whatever their `to` says); false if
    /// the node is down or refused it.
    bool inject(raft::node_id id, const raft::message& m) {
        auto it = _nodes.find(id);
        if (it == _nodes.end() || !it->second.core) return false;
        auto ec = it->second.core->step(m);
        _check.observe(*it->second.core);
        return !ec;
    }

    const std::deque<raft::message>& in_flight() const { return _in_flight; }
    /// Every message delivered so far, in order.
    const std::vector<raft::message>& delivered() const { return _delivered; }
    std::size_t delivered_count(raft::message_type t) const {
        std::size_t n = 0;
        for (const auto& m : _delivered) n += m.type == t;
        return n;
    }
    void clear_trace() { _delivered.clear(); }

    // ---- Driving ---------------------------------------------------------------

    /// Handles every ready of `id` as a driver would.
    void process(raft::node_id id) {
        auto& n = _nodes.at(id);
        if (!n.core) return;
        while (n.core->has_ready()) {
            auto rd = n.core->take_ready();
            n.storage.persist(rd); // 1-3: persist first ...
            for (auto& m : rd.messages) _in_flight.push_back(std::move(m)); // 4: ... then send
            if (rd.snapshot) n.app.restore(*rd.snapshot);
            for (const auto& e : rd.committed_entries) {
                n.app.apply(e);
                _check.applied(id, e);
            }
            for (const auto& r : rd.read_states) n.reads.push_back(r);
            n.core->advance(rd);
            _check.observe(*n.core);
        }
    }

    void process_all() {
        for (auto& [id, n] : _nodes) process(id);
    }

    /// Delivers the messages queued now (not those they cause), then
    /// processes every node. Returns how many were queued.
    std::size_t deliver_round() {
        std::vector<raft::message> batch(_in_flight.begin(), _in_flight.end());
        _in_flight.clear();
        if (_reorder) std::shuffle(batch.begin(), batch.end(), _rng);
        for (const auto& m : batch) {
            deliver(m);
            if (_duplicate_percent > 0 && _rng() % 100 < _duplicate_percent) deliver(m);
        }
        if (_replay_percent > 0 && !_delivered.empty() && _rng() % 100 < _replay_percent) {
            auto old = _delivered[_rng() % _delivered.size()];
            deliver(old);
        }
        process_all();
        return batch.size();
    }

    /// Processes and delivers until no message is in flight (or max_rounds).
    /// Returns the number of delivery rounds.
    std::size_t stabilize(std::size_t max_rounds = 10'000) {
        process_all();
        std::size_t rounds = 0;
        while (!_in_flight.empty() && rounds < max_rounds) {
            deliver_round();
            ++rounds;
        }
        return rounds;
    }

    /// One tick on every live node, then their readies.
    void tick_all() {
        for (auto& [id, n] : _nodes) {
            if (!n.core) continue;
            n.core->tick();
            _check.observe(*n.core);
        }
        process_all();
    }

    /// `ticks` times: tick everyone, then let the network settle.
    void run(int ticks) {
        for (int i = 0; i < ticks; ++i) {
            tick_all();
            stabilize();
            check_log_matching();
        }
    }

    /// The Log Matching Property (§5.3): if two live nodes hold an entry
    /// with the same index and term, their logs are identical up to it.
    /// Throws std::logic_error otherwise.
    void check_log_matching() const {
        for (auto a = _nodes.begin(); a != _nodes.end(); ++a) {
            for (auto b = std::next(a); b != _nodes.end(); ++b) {
                if (!a->second.core || !b->second.core) continue;
                const auto& la = a->second.core->log();
                const auto& lb = b->second.core->log();
                auto low = std::max(la.snapshot_index(), lb.snapshot_index());
                for (auto i = std::min(la.last_index(), lb.last_index()); i > low; --i) {
                    if (la.term_at(i) != lb.term_at(i)) continue;
                    for (auto j = i; j > low; --j)
                        if (la.term_at(j) != lb.term_at(j))
                            throw std::logic_error("raft invariant violated: logs of " + std::to_string(a->first) +
                                                   " and " + std::to_string(b->first) + " match at " +
                                                   std::to_string(i) + " but not at " + std::to_string(j));
                    break;
                }
            }
        }
    }

    /// Makes `id` campaign and settles. True if it then leads.
    bool elect(raft::node_id id) {
        node(id).campaign();
        _check.observe(node(id));
        stabilize();
        return leader() == id;
    }

    /// Ticks until some node leads (at most max_ticks). The leader or nothing.
    std::optional<raft::node_id> wait_for_leader(int max_ticks = 200) {
        for (int i = 0; i < max_ticks; ++i) {
            if (auto l = leader()) return l;
            run(1);
        }
        return leader();
    }

    /// The live leader with the highest term, if any.
    std::optional<raft::node_id> leader() const {
        std::optional<raft::node_id> best;
        raft::term_t best_term = 0;
        for (const auto& [id, n] : _nodes) {
            if (n.core && n.core->role() == raft::role::leader && (!best || n.core->term() > best_term)) {
                best = id;
                best_term = n.core->term();
            }
        }
        return best;
    }

    raft::proposal propose(raft::node_id id, std::string data) {
        auto p = node(id).propose(std::move(data));
        _check.observe(node(id));
        return p;
    }

    // ---- Failures ---------------------------------------------------------------

    /// Loses the node's volatile state; its storage survives. Messages to it
    /// are lost; messages it already sent are still in the network.
    void crash(raft::node_id id) {
        auto& n = _nodes.at(id);
        n.core.reset();
        n.app = {};
        n.reads.clear();
    }

    /// Starts the node again from its storage (its state machine from the
    /// stored snapshot, then the committed entries the core hands out again).
    void restart(raft::node_id id) {
        auto& n = _nodes.at(id);
        n.core = std::make_unique<raft::core>(n.config, n.storage.restore());
        n.app = {};
        if (n.storage.snapshot.metadata.index > 0) n.app.restore(n.storage.snapshot);
        _check.restarted(*n.core);
    }

    /// The application on `id` snapshots its state and compacts its log.
    std::error_code compact(raft::node_id id) {
        auto& n = _nodes.at(id);
        auto ec = n.core->compact(n.app.applied, n.app.snapshot_data());
        if (!ec) n.storage.compact(n.core->log().latest_snapshot());
        return ec;
    }

private:
    struct node_state {
        raft::config config;
        std::unique_ptr<raft::core> core;
        memory_storage storage;
        state_machine app;
        std::vector<raft::read_state> reads;
    };

    void start(raft::node_id id, raft::config c) {
        if (_tweak) _tweak(c);
        auto& n = _nodes[id];
        n.config = c;
        n.core = std::make_unique<raft::core>(std::move(c));
        _check.observe(*n.core);
    }

    bool lost(const raft::message& m) {
        if (_cut.contains({m.from, m.to})) return true;
        return _drop_percent > 0 && _rng() % 100 < _drop_percent;
    }

    void deliver(const raft::message& m) {
        auto it = _nodes.find(m.to);
        bool ok = it != _nodes.end() && it->second.core && !lost(m);
        if (ok) {
            it->second.core->step(m);
            _check.observe(*it->second.core);
            _delivered.push_back(m);
        }
        // The sender's driver learns whether its snapshot got through.
        if (m.type == raft::message_type::snapshot) {
            auto from = _nodes.find(m.from);
            if (from != _nodes.end() && from->second.core) from->second.core->report_snapshot(m.to, ok);
        }
    }

    std::mt19937_64 _rng;
    tweak_fn _tweak;
    std::map<raft::node_id, node_state> _nodes;
    std::deque<raft::message> _in_flight;
    std::vector<raft::message> _delivered;
    std::set<std::pair<raft::node_id, raft::node_id>> _cut;
    unsigned _drop_percent = 0;
    unsigned _duplicate_percent = 0;
    bool _reorder = false;
    unsigned _replay_percent = 0;
    invariant_checker _check;
};

} // namespace raft_test
