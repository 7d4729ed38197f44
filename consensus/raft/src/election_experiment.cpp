#include <coronet/consensus/raft/core.hpp>
#include <coronet/consensus/raft/election_experiment.hpp>

#include <algorithm>
#include <cmath>
#include <memory>
#include <queue>
#include <random>
#include <stdexcept>
#include <string>

namespace coronet::consensus::raft {

namespace {

constexpr double ticks_per_ms = 10; // a tick is 0.1 ms: fine enough for the paper's 1 ms spreads

std::uint32_t to_ticks(double ms) { return static_cast<std::uint32_t>(std::llround(ms * ticks_per_ms)); }

class simulated_cluster {
    // The cores, a queue of messages in flight ordered by arrival tick, and
    // a clock. The driver loop of ready.hpp written out, with nothing stored:
    // an election needs no durability to be timed.
public:
    simulated_cluster(const election_experiment_options& o, std::uint64_t seed)
        : _rng(seed), _latency(to_ticks(o.latency_min_ms), to_ticks(o.latency_max_ms)) {
        std::vector<node_id> voters;
        for (std::size_t i = 1; i <= o.servers; ++i) voters.push_back(i);
        for (auto id : voters) {
            raft::config c;
            c.id = id;
            c.voters = voters;
            c.election_ticks = to_ticks(o.timeout_min_ms);
            c.election_jitter_ticks = to_ticks(o.timeout_spread_ms) + 1; // [min, min + spread]
            c.heartbeat_ticks = std::max<std::uint32_t>(1, to_ticks(o.heartbeat_ms ? o.heartbeat_ms : o.timeout_min_ms / 2));
            c.pre_vote = o.pre_vote;
            c.check_quorum = false; // the paper's algorithm
            c.seed = _rng();
            _nodes.push_back(std::make_unique<core>(c));
        }
    }

    std::uint64_t now() const { return _now; }
    core& node(node_id id) { return *_nodes[id - 1]; }

    void campaign(node_id id) {
        node(id).campaign();
        drain(id);
    }

    void crash(node_id id) { _down.push_back(id); }

    /// The node leading a term after `term`, among those up, if any.
    node_id leader_after(term_t term) const {
        for (const auto& n : _nodes)
            if (!down(n->id()) && n->role() == role::leader && n->term() > term) return n->id();
        return no_node;
    }

    void step_one_tick() {
        ++_now;
        for (auto& n : _nodes) {
            if (down(n->id())) continue;
            n->tick();
            drain(n->id());
        }
        while (!_in_flight.empty() && _in_flight.top().at <= _now) {
            auto m = std::move(const_cast<flight&>(_in_flight.top()).m);
            _in_flight.pop();
            if (down(m.to)) continue; // a crashed server hears nothing
            node(m.to).step(m);
            drain(m.to);
        }
    }

private:
    struct flight {
        std::uint64_t at;
        std::uint64_t order; // FIFO among equal arrival ticks
        message m;
        bool operator>(const flight& o) const { return at != o.at ? at > o.at : order > o.order; }
    };

    bool down(node_id id) const { return std::find(_down.begin(), _down.end(), id) != _down.end(); }

    void drain(node_id id) {
        auto& n = node(id);
        while (n.has_ready()) {
            auto rd = n.take_ready();
            for (auto& m : rd.messages) {
                auto at = _now + std::max<std::uint32_t>(1, _latency(_rng));
                _in_flight.push(flight{at, _order++, std::move(m)});
            }
            n.advance(rd);
        }
    }

    std::mt19937_64 _rng;
    std::uniform_int_distribution<std::uint32_t> _latency;
    std::vector<std::unique_ptr<core>> _nodes;
    std::vector<node_id> _down;
    std::priority_queue<flight, std::vector<flight>, std::greater<>> _in_flight;
    std::uint64_t _now = 0;
    std::uint64_t _order = 0;
};

} // namespace

void election_experiment_options::validate() const {
    auto fail = [](const char* what) { throw std::invalid_argument(std::string("raft election experiment: ") + what); };
    if (servers < 2 || servers > 101) fail("servers must be 2..101");
    if (!(timeout_min_ms >= 1 && timeout_min_ms <= 60'000)) fail("the minimum timeout must be 1..60000 ms");
    if (!(timeout_spread_ms >= 0 && timeout_spread_ms <= 60'000)) fail("the timeout spread must be 0..60000 ms");
    if (!(heartbeat_ms >= 0) || (heartbeat_ms > 0 && heartbeat_ms * ticks_per_ms < 1)) fail("bad heartbeat interval");
    if (heartbeat_ms >= timeout_min_ms) fail("the heartbeat interval must be shorter than the minimum timeout");
    if (!(latency_min_ms >= 0 && latency_max_ms >= latency_min_ms && latency_max_ms <= 10'000))
        fail("latency must be 0 <= min <= max <= 10000 ms");
    if (trials == 0 || trials > 1'000'000) fail("trials must be 1..1000000");
    // A leader holds only if its heartbeats arrive before followers time out.
    auto beat = heartbeat_ms > 0 ? heartbeat_ms : timeout_min_ms / 2;
    if (latency_max_ms >= timeout_min_ms - beat)
        fail("the highest latency must be below the minimum timeout less the heartbeat interval, or no leader holds");
    if (!(give_up_ms > 0 && give_up_ms <= 3'600'000)) fail("give_up_ms must be 0..3600000");
}

double election_experiment_result::quantile(double q) const {
    if (elected_ms.empty()) return 0;
    auto i = static_cast<std::size_t>(std::ceil(q * double(elected_ms.size()))) ;
    return elected_ms[std::min(elected_ms.size() - 1, i == 0 ? 0 : i - 1)];
}

election_experiment_result run_election_experiment(const election_experiment_options& o,
                                                   const std::function<void(std::size_t)>& on_trial) {
    o.validate();
    election_experiment_result r;
    r.options = o;
    std::mt19937_64 seeds(o.seed);
    const auto heartbeat = to_ticks(o.heartbeat_ms ? o.heartbeat_ms : o.timeout_min_ms / 2);
    const auto give_up = to_ticks(o.give_up_ms);
    for (std::size_t t = 0; t < o.trials; ++t) {
        simulated_cluster c(o, seeds());
        // A first leader without waiting for a timeout: with no randomization
        // the start-up election could split as long as the one measured.
        c.campaign(1);
        while (c.leader_after(0) == no_node && c.now() < give_up) c.step_one_tick();
        auto leader = c.leader_after(0);
        if (leader == no_node) throw std::logic_error("raft election experiment: no first leader");
        auto old_term = c.node(leader).term();
        std::uniform_int_distribution<std::uint32_t> phase(0, heartbeat);
        for (auto until = c.now() + heartbeat + phase(seeds); c.now() < until;) c.step_one_tick();
        if (c.leader_after(0) != leader || c.node(leader).term() != old_term)
            throw std::logic_error("raft election experiment: the first leader did not hold");
        c.crash(leader);
        auto crashed_at = c.now();
        node_id next = no_node;
        while ((next = c.leader_after(old_term)) == no_node && c.now() - crashed_at < give_up) c.step_one_tick();
        if (next == no_node) {
            ++r.not_elected;
        } else {
            r.elected_ms.push_back(double(c.now() - crashed_at) / ticks_per_ms);
            r.terms += c.node(next).term() - old_term;
        }
        if (on_trial) on_trial(t + 1);
    }
    std::sort(r.elected_ms.begin(), r.elected_ms.end());
    return r;
}

} // namespace coronet::consensus::raft
