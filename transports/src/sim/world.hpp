#pragma once
// The simulator's machinery behind sim::network: processes, the event queue,
// packets hop by hop, and the trace.

#include <coronet/transports/sim/network.hpp>
#include <coronet/transports/sim/topology.hpp>

#include <boost/asio/any_completion_executor.hpp>
#include <boost/asio/append.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <deque>
#include <list>
#include <map>
#include <queue>
#include <random>
#include <set>

namespace coronet::sim::detail {

struct world;
struct incarnation;

/// Something a process owns that its crash must end (a socket, a timer).
/// Registered with its process from construction until release().
struct resource {
    explicit resource(incarnation& inc);
    virtual ~resource() { release(); }
    resource(const resource&) = delete;
    resource& operator=(const resource&) = delete;
    /// The process died: fail pending operations, reset connections.
    virtual void on_crash() = 0;
    void release();

    incarnation& process;

private:
    friend struct world;
    world& _world;
    std::uint64_t _id;
    bool _registered = true;
};

/// One run of a node's process: its own io_context, tasks and resources.
struct incarnation {
    incarnation(world& w, node_index node, std::uint32_t number);
    ~incarnation();

    world& w;
    node_index node;
    std::uint32_t number;
    bool alive = true;
    bool queued = false; // in world::runnable
    struct task {
        asio::cancellation_signal signal;
        bool finished = false;
    };
    // Finished entries are swept only after a poll: co_spawn's cancellation
    // handler posts work that still points at the signal.
    std::list<task> tasks;
    std::uint64_t tasks_running = 0;
    /// Terminal cancellation for every running task.
    void cancel_tasks();
    void sweep_tasks();
    std::map<std::uint64_t, resource*> resources; // by registration order: crash order is deterministic


    // Last, so it is destroyed first: handlers it still holds may run
    // destructors that touch the members above.
    asio::io_context ctx{1};
};

struct listener_state;
struct datagram_state;

struct node_state {
    std::unique_ptr<sim::node> facade;
    asio::ip::address address;
    std::vector<std::unique_ptr<incarnation>> processes; // back() is the current one
    bool up = true;
    bool paused = false;
    std::uint64_t pause_generation = 0;
    std::function<asio::awaitable<void>(sim::node&)> boot;
    std::map<std::uint16_t, listener_state*> listeners;
    std::map<std::uint16_t, datagram_state*> datagram_ports;
    std::uint16_t next_ephemeral = 49152;

    incarnation& current() { return *processes.back(); }
    /// The next free port for `taken`, from the ephemeral range.
    template <class Map>
    std::uint16_t ephemeral(const Map& taken);
};

class virtual_clock final : public coronet::clock {
public:
    explicit virtual_clock(world& w) : _w(w) {}
    time_point now() const override;
    std::unique_ptr<timer_impl> make_timer(const asio::any_io_executor& ex) override;

private:
    world& _w;
};

struct world {
    explicit world(network_options o);
    ~world();

    network_options options;
    virtual_clock clock{*this};
    time_point start;
    time_point now;
    std::mt19937_64 rng;

    // -- nodes
    std::vector<std::unique_ptr<node_state>> nodes;
    std::map<std::string, node_index, std::less<>> by_name;
    node_state& at(node_index i) { return *nodes.at(i); }
    node_index index_of(const asio::ip::address& a) const; // throws host_unreachable
    incarnation* process_of(const asio::any_io_executor& ex) const; // null if not a sim node's
    incarnation& process_of_or_throw(const asio::any_io_executor& ex, std::string_view what) const;
    /// process_of() through the executor types a completion handler reports.
    template <class Executor>
    incarnation* process_of_erased(const Executor& ex) const {
        if constexpr (std::is_same_v<Executor, asio::any_io_executor>) {
            return process_of(ex);
        } else if constexpr (std::is_same_v<Executor, asio::any_completion_executor>) {
            if (auto* io = ex.template target<asio::any_io_executor>()) return process_of(*io);
            if (auto* io = ex.template target<asio::io_context::executor_type>()) return process_of(*io);
            return nullptr;
        } else {
            return process_of(asio::any_io_executor(ex));
        }
    }
    void start_process(node_index n);
    void spawn(incarnation& inc, asio::awaitable<void> task);
    void crash(node_index n);

    // -- events: (time, random tie-break, sequence) so simultaneous events run
    // in an order the seed chooses, the same every time.
    struct event {
        time_point at;
        std::uint64_t tie;
        std::uint64_t seq;
        std::function<void()> fn;
        bool operator>(const event& o) const {
            if (at != o.at) return at > o.at;
            if (tie != o.tie) return tie > o.tie;
            return seq > o.seq;
        }
    };
    std::priority_queue<event, std::vector<event>, std::greater<>> events;
    std::uint64_t event_seq = 0;
    void schedule(time_point at, std::function<void()> fn);
    void schedule_after(duration d, std::function<void()> fn) { schedule(now + d, std::move(fn)); }

    // -- processes that have handlers to run
    std::deque<incarnation*> runnable;
    void wake(incarnation& inc);
    /// Completes a handler on its process (or drops it while tearing down).
    template <class Handler, class... Args>
    void complete(incarnation& inc, Handler&& h, Args&&... args) {
        if (destroying) return;
        // The handler runs on its own executor; wake the process it belongs
        // to (normally `inc` itself).
        auto* target = process_of_erased(asio::get_associated_executor(h, inc.ctx.get_executor()));
        asio::post(inc.ctx.get_executor(), asio::append(std::forward<Handler>(h), std::forward<Args>(args)...));
        wake(target ? *target : inc);
    }
    void drain();
    bool run_until(const std::function<bool()>& done, std::optional<time_point> limit);
    std::exception_ptr failure;
    bool closing = false;
    bool destroying = false;

    // -- links and packets
    std::map<std::pair<node_index, node_index>, link_model> links;
    std::map<std::pair<node_index, node_index>, time_point> link_busy_until;
    std::set<std::pair<node_index, node_index>> cut;
    std::optional<topology> topo;
    const link_model& link(node_index from, node_index to) const;
    struct packet {
        node_index from, to;
        std::size_t bytes;
        std::function<void()> arrive;
    };
    /// Returns when the packet will have left `from` (its wait for the first
    /// link's bandwidth), which is where a sender's retransmission timer starts.
    duration send(node_index from, node_index to, std::size_t bytes, std::function<void()> arrive);
    duration hop(std::shared_ptr<packet> p, node_index at);
    /// The smallest MTU on the route from -> to.
    std::size_t path_mtu(node_index from, node_index to) const;

    // -- randomness and trace
    double uniform() { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }
    std::uint64_t uniform(std::uint64_t n) { return n == 0 ? 0 : rng() % n; }
    duration draw_delay(const link_model& m);
    void record(std::string_view what, node_index a, node_index b, std::uint64_t x = 0);
    std::uint64_t hash = 1469598103934665603ull;
    std::vector<std::string> trace;
    network_stats stats;

    std::uint64_t next_resource = 0;
    std::uint64_t next_connection = 0;
};

template <class Map>
std::uint16_t node_state::ephemeral(const Map& taken) {
    for (int tries = 0; tries < 16384; ++tries) {
        std::uint16_t p = next_ephemeral;
        next_ephemeral = next_ephemeral == 65535 ? 49152 : static_cast<std::uint16_t>(next_ephemeral + 1);
        if (!taken.contains(p)) return p;
    }
    throw boost::system::system_error(asio::error::no_buffer_space, "sim: no free ephemeral port");
}

/// The simulator that runs `ex`, or null if `ex` is not a sim node's.
world* world_of(const asio::any_io_executor& ex);

/// The error an operation of a crashed process gets.
inline boost::system::error_code process_gone() { return asio::error::network_down; }

} // namespace coronet::sim::detail
