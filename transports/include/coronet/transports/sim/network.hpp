#pragma once
// An in-process network on virtual time: named nodes, links with every
// fallacy of distributed computing as a switch, partitions, pauses, crashes,
// and one seed that fixes every random choice.

#include <coronet/clock.hpp>
#include <coronet/transports/sim/link.hpp>
#include <coronet/transports/sim/node.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>

#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace coronet::sim {

class topology;
namespace detail {
struct world;
}

struct network_options {
    /// Fixes latency draws, losses, duplicates and the order of simultaneous
    /// events: the same seed gives the same run, event for event.
    std::uint64_t seed = 1;
    link_model link;
    tcp_model tcp;
    /// Datagrams queued per socket before new ones are dropped.
    std::size_t datagram_queue_max = 1024;
    /// Keep a readable line per event (trace()); the hash is always kept.
    bool keep_trace = false;
};

struct network_stats {
    std::uint64_t packets_sent = 0;
    std::uint64_t packets_delivered = 0;
    std::uint64_t packets_lost = 0;       // by the loss probability
    std::uint64_t packets_blocked = 0;    // by a partition or a down node
    std::uint64_t packets_duplicated = 0;
    std::uint64_t packets_reordered = 0;
    std::uint64_t datagrams_overflowed = 0; // receive queue full
    std::uint64_t retransmissions = 0;
    std::uint64_t bytes_sent = 0;
    std::uint64_t hops = 0; // link crossings, > packets on a routed topology
};

class network {
    // Every node's code runs on its own io_context, polled by run*() on the
    // calling thread; when no node can run, virtual time jumps to the next
    // event. Nodes must reach each other only through the network (streams,
    // datagrams), never by sharing objects, or the run is not deterministic.
    // Not thread-safe: use it from one thread.
public:
    explicit network(network_options options = {});
    ~network();
    network(const network&) = delete;
    network& operator=(const network&) = delete;

    /// Adds a node named `name` (letters, digits, '-', '_', '.'), addressed
    /// 10.x.y.z by its index, so it can be reached as sim://name:port.
    node& add_node(std::string name);
    /// Adds `count` nodes named prefix0, prefix1, …
    void add_nodes(std::size_t count, std::string_view prefix = "n");
    node& at(node_index i);
    /// Throws std::out_of_range naming the unknown node.
    node& operator[](std::string_view name);
    node* find(std::string_view name);
    node* find(const asio::ip::address& address);
    std::size_t size() const;

    /// The model of every link without one of its own; changes take effect
    /// for packets sent afterwards.
    link_model& default_link();
    /// The model of the link from -> to (one direction).
    void set_link(node& from, node& to, const link_model& model);
    /// Both directions.
    void set_links(node& a, node& b, const link_model& model);
    const link_model& link(const node& from, const node& to) const;
    /// Lays the network on a topology with one node per vertex: only its edges
    /// are links, and packets between non-neighbours are forwarded hop by hop
    /// along a shortest path (latency and loss apply per hop).
    void lay_on(const topology& t);

    /// Nodes in different groups cannot reach each other; nodes in no group
    /// form one more group. Replaces the previous partition.
    void partition(const std::vector<std::vector<std::string>>& groups);
    /// Cuts the direction from -> to only (one-way partition).
    void block(const node& from, const node& to);
    void unblock(const node& from, const node& to);
    /// Restores every cut link.
    void heal();
    bool blocked(const node& from, const node& to) const;

    /// Virtual time: every node's clock and timers.
    coronet::clock& clock();
    time_point now() const;
    /// Virtual time since the network was made.
    duration elapsed() const;

    /// Runs until nothing is left to do (no runnable node, no pending event).
    void run();
    /// Runs until `d` of virtual time has passed or nothing is left to do.
    void run_for(duration d);
    /// Runs until `done()` holds (true) or `timeout` of virtual time passes
    /// or nothing is left to do (false).
    bool run_until(const std::function<bool()>& done, duration timeout);
    /// Runs `task` on `n` until it completes; returns its result or rethrows.
    /// Throws std::runtime_error if the network goes idle first (a deadlock)
    /// or `timeout` of virtual time passes.
    template <class T>
    T run_task(node& n, asio::awaitable<T> task, duration timeout = std::chrono::hours(24));
    void run_task(node& n, asio::awaitable<void> task, duration timeout = std::chrono::hours(24));

    std::uint64_t seed() const;
    /// A uniform draw in [0, 1) from the network's generator (deterministic).
    double uniform();
    /// A uniform draw in [0, n).
    std::uint64_t uniform(std::uint64_t n);

    /// A hash of every event so far: equal hashes mean equal runs.
    std::uint64_t trace_hash() const;
    /// One line per event, if network_options::keep_trace.
    const std::vector<std::string>& trace() const;
    const network_stats& stats() const;
    const network_options& options() const;

    /// Cancels every node's tasks and runs until they finish; the destructor
    /// calls it.
    void shutdown();

    detail::world& internals() { return *_world; }

private:
    std::unique_ptr<detail::world> _world;
};

template <class T>
T network::run_task(node& n, asio::awaitable<T> task, duration timeout) {
    auto result = std::make_shared<std::optional<T>>(); // outlives a timed-out task
    run_task(
        n,
        [](asio::awaitable<T> t, std::shared_ptr<std::optional<T>> out) -> asio::awaitable<void> {
            out->emplace(co_await std::move(t));
        }(std::move(task), result),
        timeout);
    return std::move(**result);
}

/// The seed for a seeded test or experiment: $CORONET_SIM_SEED if set (so a
/// printed seed can be replayed), else `fallback`.
std::uint64_t seed_from_env(std::uint64_t fallback);

} // namespace coronet::sim
