#include "world.hpp"

#include <boost/system/system_error.hpp>

#include <cstdlib>
#include <stdexcept>

namespace coronet::sim {

namespace {

bool valid_name(std::string_view name) {
    if (name.empty() || name.size() > 64) return false;
    for (char c : name)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) return false;
    return true;
}

} // namespace

network::network(network_options options) : _world(std::make_unique<detail::world>(std::move(options))) {}

network::~network() {
    shutdown();
}

node& network::add_node(std::string name) {
    auto& w = *_world;
    if (!valid_name(name))
        throw std::invalid_argument("sim: node name '" + name + "' must be 1-64 letters, digits, '-', '_' or '.'");
    if (w.by_name.contains(name)) throw std::invalid_argument("sim: a node named '" + name + "' already exists");
    if (w.nodes.size() >= (1u << 24) - 2) throw std::length_error("sim: too many nodes");
    auto index = static_cast<node_index>(w.nodes.size());
    auto ns = std::make_unique<detail::node_state>();
    ns->address = asio::ip::address_v4((10u << 24) | (index + 1));
    ns->facade = std::make_unique<node>(w, index, name);
    w.nodes.push_back(std::move(ns));
    w.by_name.emplace(std::move(name), index);
    w.start_process(index);
    return *w.nodes.back()->facade;
}

void network::add_nodes(std::size_t count, std::string_view prefix) {
    auto first = _world->nodes.size();
    for (std::size_t i = 0; i < count; ++i) add_node(std::string(prefix) + std::to_string(first + i));
}

node& network::at(node_index i) {
    if (i >= _world->nodes.size()) throw std::out_of_range("sim: no node with index " + std::to_string(i));
    return *_world->nodes[i]->facade;
}

node& network::operator[](std::string_view name) {
    if (auto* n = find(name)) return *n;
    throw std::out_of_range("sim: no node named '" + std::string(name) + "'");
}

node* network::find(std::string_view name) {
    auto it = _world->by_name.find(name);
    return it == _world->by_name.end() ? nullptr : _world->nodes[it->second]->facade.get();
}

node* network::find(const asio::ip::address& address) {
    try {
        return &at(_world->index_of(address));
    } catch (const boost::system::system_error&) {
        return nullptr;
    }
}

std::size_t network::size() const { return _world->nodes.size(); }

link_model& network::default_link() { return _world->options.link; }

void network::set_link(node& from, node& to, const link_model& model) {
    validate(model);
    _world->links[{from.index(), to.index()}] = model;
}

void network::set_links(node& a, node& b, const link_model& model) {
    set_link(a, b, model);
    set_link(b, a, model);
}

const link_model& network::link(const node& from, const node& to) const {
    return _world->link(from.index(), to.index());
}

void network::lay_on(const topology& t) {
    if (t.size() != size())
        throw std::invalid_argument("sim: the topology has " + std::to_string(t.size()) + " nodes, the network " +
                                    std::to_string(size()));
    _world->topo = t;
    _world->record("topology", 0, 0, t.edge_count());
}

void network::partition(const std::vector<std::vector<std::string>>& groups) {
    auto& w = *_world;
    // Group 0 holds every node not named.
    std::vector<std::size_t> group(w.nodes.size(), 0);
    for (std::size_t g = 0; g < groups.size(); ++g)
        for (const auto& name : groups[g]) group[(*this)[name].index()] = g + 1;
    w.cut.clear();
    for (node_index a = 0; a < w.nodes.size(); ++a)
        for (node_index b = 0; b < w.nodes.size(); ++b)
            if (group[a] != group[b]) w.cut.insert({a, b});
    w.record("partition", 0, 0, w.cut.size());
}

void network::block(const node& from, const node& to) {
    _world->cut.insert({from.index(), to.index()});
    _world->record("block", from.index(), to.index());
}

void network::unblock(const node& from, const node& to) {
    _world->cut.erase({from.index(), to.index()});
    _world->record("unblock", from.index(), to.index());
}

void network::heal() {
    _world->cut.clear();
    _world->record("heal", 0, 0);
}

bool network::blocked(const node& from, const node& to) const {
    return _world->cut.contains({from.index(), to.index()});
}

coronet::clock& network::clock() { return _world->clock; }
time_point network::now() const { return _world->now; }
duration network::elapsed() const { return _world->now - _world->start; }

void network::run() { _world->run_until({}, std::nullopt); }

void network::run_for(duration d) {
    auto limit = _world->now + d;
    _world->run_until({}, limit);
    _world->now = std::max(_world->now, limit);
}

bool network::run_until(const std::function<bool()>& done, duration timeout) {
    return _world->run_until(done, _world->now + timeout);
}

void network::run_task(node& n, asio::awaitable<void> task, duration timeout) {
    // Shared with the task, which outlives this call if it times out.
    struct outcome {
        bool finished = false;
        std::exception_ptr error;
    };
    auto out = std::make_shared<outcome>();
    auto& w = *_world;
    w.spawn(w.at(n.index()).current(),
            [](asio::awaitable<void> t, std::shared_ptr<outcome> out) -> asio::awaitable<void> {
                try {
                    co_await std::move(t);
                } catch (...) {
                    out->error = std::current_exception();
                }
                out->finished = true;
            }(std::move(task), out));
    if (!w.run_until([&] { return out->finished; }, w.now + timeout))
        throw std::runtime_error(w.events.empty() ? "sim: run_task: the network went idle before the task finished"
                                                  : "sim: run_task: the task did not finish within its timeout");
    if (out->error) std::rethrow_exception(out->error);
}

std::uint64_t network::seed() const { return _world->options.seed; }
double network::uniform() { return _world->uniform(); }
std::uint64_t network::uniform(std::uint64_t n) { return _world->uniform(n); }
std::uint64_t network::trace_hash() const { return _world->hash; }
const std::vector<std::string>& network::trace() const { return _world->trace; }
const network_stats& network::stats() const { return _world->stats; }
const network_options& network::options() const { return _world->options; }

void network::shutdown() {
    auto& w = *_world;
    if (w.closing) return;
    w.closing = true;
    // Every process dies as in a crash (tasks cancelled, pending operations
    // failed, new ones refused) and runs until its tasks have unwound, so no
    // handler is left holding a coroutine when the io_contexts go.
    for (node_index i = 0; i < w.nodes.size(); ++i) {
        w.at(i).paused = false;
        w.crash(i);
    }
    try {
        w.run_until({}, std::nullopt);
    } catch (...) {
        // A task that fails while being cancelled at shutdown has nobody to
        // report to; the destructor must not throw.
    }
}

std::uint64_t seed_from_env(std::uint64_t fallback) {
    const char* s = std::getenv("CORONET_SIM_SEED");
    if (!s || !*s) return fallback;
    char* end = nullptr;
    auto v = std::strtoull(s, &end, 10);
    if (*end != '\0') throw std::invalid_argument(std::string("CORONET_SIM_SEED='") + s + "' is not a number");
    return v;
}

void validate(const link_model& m) {
    auto probability = [](double p, const char* name) {
        if (!(p >= 0 && p <= 1)) throw std::invalid_argument(std::string("sim link: ") + name + " must be in [0, 1]");
    };
    probability(m.loss, "loss");
    probability(m.duplicate, "duplicate");
    probability(m.reorder, "reorder");
    if (m.latency.count() < 0 || m.jitter.count() < 0 || m.reorder_delay.count() < 0)
        throw std::invalid_argument("sim link: latency, jitter and reorder_delay must not be negative");
    if (m.mtu == 0) throw std::invalid_argument("sim link: mtu must be positive");
}

void validate(const tcp_model& m) {
    if (m.rto_min.count() <= 0 || m.rto_max < m.rto_min || m.syn_rto.count() <= 0 || m.rto_initial.count() <= 0)
        throw std::invalid_argument("sim tcp: need 0 < rto_min <= rto_max, rto_initial > 0 and syn_rto > 0");
    if (m.retries < 0 || m.syn_retries < 0) throw std::invalid_argument("sim tcp: retries must not be negative");
    if (m.window == 0 || m.segment_bytes == 0 || m.backlog == 0)
        throw std::invalid_argument("sim tcp: window, segment_bytes and backlog must be positive");
}

} // namespace coronet::sim
