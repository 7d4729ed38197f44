#pragma once
// A Chord node as a coroutine service: the pure routing core (core.hpp) and a
// key-value store (store.hpp) driven over one datagram socket of any coronet
// transport: udp://, sim://, fault+udp://, or tcp:// and uring:// through
// datagrams over connections (transports/stream_datagram.hpp).
//
// Chord is message passing, and its messages are idempotent or retried by
// the core, so a connectionless transport is the natural one: a lost
// datagram costs a timeout, never a broken connection to rebuild. Over
// tcp:// or uring:// the node keeps one connection per peer it talks to; a
// crashed peer is then noticed by a refused connect as well as by the
// core's timeouts. `coronet bench dht` compares the three. Routing and store
// messages share the socket (store_message.hpp says how they are told apart).
//
// Storage follows the Chord paper's suggestion (and DHash's practice): a
// key's owner is the first node at or after hash(key); it keeps the value
// and pushes a copy to its next `replicas - 1` successors on every write and
// again every `replicate_ticks`, so that when it fails its successor — the
// new owner — already has the key. A node that gains a predecessor hands it
// the keys that are now its. A graceful stop() hands every owned key to the
// successor first. Copies converge by version (store.hpp): eventual
// consistency, not linearizability — use coronet kv (Raft) for that.
//
// Single executor: construct, call and stop it from the executor it was made
// with.

#include <coronet/dht/chord/core.hpp>
#include <coronet/dht/chord/store.hpp>
#include <coronet/dht/chord/store_message.hpp>
#include <coronet/log.hpp>
#include <coronet/timer.hpp>
#include <coronet/transports/any_datagram.hpp>
#include <coronet/waiters.hpp>

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <deque>
#include <set>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

namespace coronet::dht::chord {

struct node_options {
    /// The URL to bind: udp://HOST:PORT (port 0: any), sim://NODE:PORT, or
    /// tcp:// / uring:// for messages over connections. The node's address
    /// on the ring is the bound ip:port, so every node of a ring must use
    /// the same kind of transport.
    std::string listen = "udp://127.0.0.1:0";
    /// The core's unit of time. Its defaults (stabilize every 5 ticks, a
    /// request failed after 5) assume about 100 ms.
    std::chrono::milliseconds tick{100};
    unsigned id_bits = 160;
    std::size_t successors = 8;
    /// Copies of each key: the owner's and replicas - 1 on its successors.
    std::size_t replicas = 3;
    /// The owner re-pushes its keys to its successors this often.
    std::uint32_t replicate_ticks = 10;
    /// A copy the node does not own, not refreshed for this long, is dropped.
    std::uint32_t replica_ttl_ticks = 100;
    /// Every this many ticks the node asks one peer it remembers but no
    /// longer routes through (one lost in a partition, say) for the node it
    /// knows at or after this one's id, and adopts it as successor if it is
    /// closer: how two rings left by a partition merge. No traffic while
    /// every remembered peer is in the routing table.
    std::uint32_t probe_ticks = 20;
    /// Peers remembered for that (the join's bootstrap, neighbours seen).
    std::size_t remembered_max = 16;
    /// One get/put/del request to an owner; `attempts` of them, each after a
    /// fresh lookup, before the call fails.
    std::chrono::milliseconds request_timeout{1000};
    std::uint32_t attempts = 3;
    /// How get/put/del find the owner.
    lookup_style style = lookup_style::recursive;
    store_limits limits;
    std::uint64_t seed = 0;
    /// Last word on the core's config (timing, bounds).
    std::function<void(config&)> tweak;
};

/// A get/put/del or join that could not be done; what() says why.
class request_error : public std::runtime_error {
public:
    enum class kind { invalid, timeout, unavailable, stopped };
    request_error(kind k, const std::string& what) : std::runtime_error(what), _kind(k) {}
    kind why() const { return _kind; }

private:
    kind _kind;
};

struct node_counters {
    std::uint64_t datagrams_in = 0;
    std::uint64_t datagrams_out = 0;
    std::uint64_t malformed = 0;      ///< datagrams that failed to decode (dropped)
    std::uint64_t store_requests = 0; ///< get/put/del served as owner
    std::uint64_t not_owner = 0;      ///< ... refused: the key was not ours
    std::uint64_t replicated_out = 0; ///< entries pushed to successors
    std::uint64_t handed_over = 0;    ///< entries sent to a new predecessor or, on leave, the successor
    std::uint64_t probes = 0;         ///< successor probes sent to remembered peers
    std::uint64_t probe_adoptions = 0; ///< ... whose answer became our successor (a merge step)
    std::uint64_t lookups_answered = 0; ///< lookups this node started that found an owner (get/put/del's too)
    std::uint64_t lookup_hops = 0;     ///< ... their hops together: / lookups_answered is the mean path length
};

class node {
public:
    /// Binds the socket now (throws on a bad URL or a port in use); the
    /// node's address is the bound ip:port.
    node(const asio::any_io_executor& ex, node_options o, logger_ptr log = {});
    ~node();
    node(const node&) = delete;
    node& operator=(const node&) = delete;

    /// This node on the ring: hash(address) and the address.
    const peer& self() const { return _core.self(); }
    /// Starts receiving and ticking.
    void start();
    /// A new ring of one.
    void create();
    /// Joins the ring of the node at `bootstrap` (ip:port). Throws
    /// request_error if it cannot within `timeout`. A node restarted at its
    /// old address has its old id, and the ring may still list its earlier
    /// run: then it asks again every few stabilization rounds until the ring
    /// has noticed that run's death.
    asio::awaitable<void> join(std::string bootstrap, std::chrono::milliseconds timeout);
    /// The owner of `key`. Throws request_error (timeout, unavailable).
    asio::awaitable<lookup_result> lookup(const id& key, lookup_style style, std::chrono::milliseconds timeout);

    asio::awaitable<std::optional<store_entry>> get(const std::string& key);
    /// Returns the version written.
    asio::awaitable<std::uint64_t> put(const std::string& key, std::string value);
    /// False if there was nothing to delete.
    asio::awaitable<bool> del(const std::string& key);

    /// Leaves: hands every owned key to the successor, stops the loops and
    /// closes the socket. Idempotent.
    asio::awaitable<void> stop();
    /// Stops without a word to anyone, as a crash would (tests).
    asio::awaitable<void> crash();

    const chord::core& routing() const { return _core; }
    const chord::store& data() const { return _store; }
    const node_counters& counters() const { return _counters; }
    bool stopped() const { return _stopped; }

private:
    struct call {
        explicit call(asio::any_io_executor ex) : wake(std::move(ex)) {}
        waiters wake;
        std::optional<lookup_result> lookup;
        std::optional<store_message> reply;
        bool cancelled = false; ///< the node stopped
    };

    // `alive` is false once the node is destroyed: the loops may be resumed
    // after that, and must then not touch it.
    asio::awaitable<void> receive_loop(std::shared_ptr<bool> alive);
    asio::awaitable<void> tick_loop(std::shared_ptr<bool> alive);
    asio::awaitable<void> shut_down(bool hand_over);
    void on_datagram(std::string_view bytes, const std::string& from);
    void on_store(const store_message& m, const std::string& from);
    /// Serves a get/put/del as this node (the owner, or not_owner).
    store_message serve(const store_message& request);
    /// Hands the core's output to the network and to waiting calls.
    void pump();
    void send(const std::string& to, std::string bytes);
    void reply(const std::string& to, std::uint64_t rpc_id, store_status s, std::vector<store_entry> entries = {});
    /// Sends `entries` to `to` as replicate messages, as many per datagram as fit.
    std::size_t push(const std::string& to, const std::vector<store_entry>& entries);
    /// Pushes what this node owns to its next replicas - 1 successors.
    void replicate();
    void on_neighbours(const neighbours& n);
    void remember(const peer& p);
    /// Sends one successor probe, if a remembered peer is not in the table.
    void probe();
    void on_probe_reply(const store_message& m);
    store_message answer_probe(const store_message& m) const;
    bool owns(const id& key) const;
    asio::awaitable<store_message> store_call(store_op op, const std::string& key, std::optional<std::string> value);
    void check_key(const std::string& key) const;
    void check_running() const;

    asio::any_io_executor _ex;
    node_options _options;
    logger_ptr _log;
    any_datagram _socket;
    chord::core _core;
    chord::store _store;
    std::optional<neighbours> _neighbours;
    std::optional<std::error_code> _joined;
    waiters _join_wake;
    std::map<std::uint64_t, std::shared_ptr<call>> _lookups; ///< by request id
    std::map<std::uint64_t, std::shared_ptr<call>> _requests; ///< store calls, by rpc id
    std::deque<peer> _remembered;
    std::size_t _next_probe = 0;
    std::set<std::uint64_t> _probes; ///< rpc ids of probes in flight (bounded: one per probe_ticks, cleared with them)
    std::uint64_t _next_id;
    std::uint64_t _ticks = 0;
    bool _started = false;
    bool _stopped = false;
    int _loops = 0;
    std::shared_ptr<bool> _alive = std::make_shared<bool>(true);
    std::unique_ptr<coronet::timer> _timer;
    waiters _loops_done;
    node_counters _counters;
};

} // namespace coronet::dht::chord
