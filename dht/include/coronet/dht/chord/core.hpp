#pragma once
// The Chord protocol of one node, with no I/O of its own (DESIGN.md
// principle 1, modelled on the Raft core). It has no sockets, clocks,
// threads or coroutines: a driver feeds it
//
//   tick()                         every fixed interval of its own clock,
//   step(message)                  for every message that arrives,
//   create(), join(address), lookup(request_id, key, style)   for local requests,
//
// and after each call collects the resulting work:
//
//   while (core.has_ready()) {
//       auto rd = core.take_ready();
//       for (auto& m : rd.messages) network.send(m.to, encode(m));
//       for (auto& r : rd.lookups) app.deliver(r);
//   }
//
// (ready.hpp says why there is no advance().) A core is single-threaded: its
// owner serializes every call.
//
// What it implements, after Stoica et al., "Chord: A Scalable Peer-to-peer
// Lookup Protocol for Internet Applications" (IEEE/ACM ToN 11(1), 2003):
// consistent hashing onto a 2^m ring (hash.hpp), the finger table and
// closest preceding node (routing_table.hpp), the paper's join, stabilize,
// notify, fix_fingers and check_predecessor, successor lists of length r and
// routing around failed nodes, and lookups in the two styles of lookup.hpp,
// selectable per request.
//
// Failure detection is by timeout in ticks: a request a peer leaves
// unanswered for rpc_timeout_ticks has failed, and the lookup hop that was
// waiting on it is routed around the peer at once. After failures_max
// consecutive failed requests the peer is taken for dead: removed from the
// fingers, the successor list and the predecessor, and remembered as a
// suspect for a while so other nodes' stale lists do not bring it back.
//
// Errors: nothing that arrives from the network aborts or corrupts the core.
// step() validates every message before acting on it (ids on the ring,
// bounded lists, successor lists in ring order, owners and next hops inside
// the interval their sender vouches for, replies matching a request of ours
// from the node we asked) and returns why it ignored one; stats() counts the
// rejections by reason. Local requests that cannot be honoured return an
// errc. Only a config that fails config::validate() and a join() without an
// address throw.

#include <coronet/dht/chord/config.hpp>
#include <coronet/dht/chord/error.hpp>
#include <coronet/dht/chord/lookup.hpp>
#include <coronet/dht/chord/message.hpp>
#include <coronet/dht/chord/ready.hpp>
#include <coronet/dht/chord/ring.hpp>
#include <coronet/dht/chord/routing_table.hpp>

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <system_error>
#include <vector>

namespace coronet::dht::chord {

enum class node_state : std::uint8_t {
    idle,    ///< in no ring: create() or join()
    joining, ///< looking up its own successor through the bootstrap node
    joined,  ///< in a ring: routes, stabilizes and answers
};

std::string_view to_string(node_state s);

/// What the core has seen, for status views, tests and metrics.
struct counters {
    std::uint64_t messages_received = 0; ///< every step() call
    std::uint64_t messages_sent = 0;
    std::uint64_t lookups_succeeded = 0; ///< the application's lookups only
    std::uint64_t lookups_failed = 0;
    std::uint64_t rpc_timeouts = 0;      ///< requests a peer did not answer in time
    std::uint64_t peers_failed = 0;      ///< peers taken for dead (or for liars) and removed
    /// Messages ignored, by reason (index: the errc value).
    std::array<std::uint64_t, errc_count> rejected{};

    std::uint64_t rejected_by(errc e) const { return rejected[static_cast<std::size_t>(e)]; }
    std::uint64_t rejected_total() const;
};

class core {
public:
    /// An idle node. Throws std::invalid_argument if config.validate() fails.
    explicit core(chord::config config);

    // ---- Local requests ---------------------------------------------------

    /// Starts a new ring of one: this node is its own successor. Errors:
    /// already_joined.
    std::error_code create();

    /// Joins the ring that the node at `bootstrap_address` belongs to, by
    /// looking up this node's own id through it (iteratively: a node outside
    /// the ring cannot be routed through). The outcome arrives in a later
    /// ready's `joined`. Errors: already_joined. Throws
    /// std::invalid_argument if the address is empty.
    std::error_code join(std::string bootstrap_address);

    /// Finds the owner of `key` in the given style; the result, with
    /// `request_id`, arrives in a later ready's `lookups` (possibly the next
    /// one, if this node can answer alone). Errors: not_joined,
    /// key_out_of_range, duplicate_request, too_many_lookups.
    std::error_code lookup(std::uint64_t request_id, const id& key, lookup_style style);

    /// Offers `p` as a successor, found by other means than stabilization
    /// (the driver asking a node it remembers, after a partition): adopted if
    /// it lies strictly between this node and its successor, and notified at
    /// the next stabilize. This is how two rings left by a long partition
    /// merge again — neither ring's stabilization alone ever meets the other.
    /// Errors: not_joined; id_out_of_range or malformed_message for an
    /// invalid peer; not_between if it is not closer than the successor or
    /// is a suspect.
    std::error_code consider_successor(const peer& p);

    // ---- Inputs -----------------------------------------------------------

    /// One unit of time: requests and lookups time out, and every
    /// stabilize_ticks / fix_fingers_ticks / check_predecessor_ticks the
    /// periodic work below runs.
    void tick();

    /// Processes one message addressed to this node. Returns empty if it was
    /// acted on, else why it was ignored (also counted in stats()).
    std::error_code step(const message& m);

    // ---- Periodic work (tick() calls these; tests may call them directly) --

    /// Asks the successor for its predecessor and successor list, adopts a
    /// node that has come between them, and notifies the successor.
    void stabilize();
    /// Refreshes the next finger whose interval does not start inside
    /// (self, successor], with one lookup; fingers inside it are the
    /// successor and are set on the way, round robin over all m.
    void fix_fingers();
    /// Pings the predecessor; forgets it after failures_max unanswered pings.
    void check_predecessor();

    // ---- Output -----------------------------------------------------------

    bool has_ready() const;
    /// The pending work (see ready.hpp); empty if there is none.
    ready take_ready();

    // ---- State, for drivers, status views and tests ----------------------

    node_state state() const { return _state; }
    const peer& self() const { return _config.self; }
    const chord::ring& ring() const { return _ring; }
    const chord::config& config() const { return _config; }
    const routing_table& table() const { return _table; }
    const peer& successor() const { return _table.successor(); }
    const std::optional<peer>& predecessor() const { return _table.predecessor(); }
    const counters& stats() const { return _stats; }
    /// Ticks since construction.
    std::uint64_t now() const { return _now; }
    std::size_t pending_lookups() const { return _lookups.size(); }
    std::size_t pending_rpcs() const { return _rpcs.size(); }
    /// True if `x` is remembered as recently failed.
    bool suspects(const id& x) const { return _suspects.contains(x); }

private:
    enum class rpc_kind : std::uint8_t { find_next, forward, get_predecessor, ping };
    enum class purpose : std::uint8_t { user, join, finger };

    /// A recursive request this node is routing: what it was given, and how
    /// often it has tried a next hop for it.
    struct forward_state {
        id key;
        peer origin;
        std::uint64_t request_id = 0;
        std::uint32_t hops = 0; ///< as received (0 at the origin)
        std::uint32_t attempts = 0;
        /// The sender believes this node owns the key.
        bool final = false;
        /// Next hops that did not acknowledge it (at most forward_attempts_max).
        std::vector<id> avoid;
    };

    struct pending_rpc {
        rpc_kind kind = rpc_kind::ping;
        std::string address;
        /// Empty only for the join's bootstrap node, whose id is not known yet.
        std::optional<id> peer_id;
        std::uint64_t deadline = 0;
        std::uint64_t lookup = 0;   ///< find_next: the lookup it serves
        forward_state forward;      ///< forward: the request handed on
    };

    struct lookup_state {
        purpose why = purpose::user;
        std::uint64_t user_request_id = 0;
        unsigned finger = 0;
        id key;
        lookup_style style = lookup_style::iterative;
        std::uint32_t attempts = 0;
        std::uint64_t deadline = 0; ///< of the current attempt
        std::uint32_t hops = 0;
        /// Iterative: who to ask next, closest to the key first.
        std::vector<peer> candidates;
        /// Iterative: the find_next in flight, or 0.
        std::uint64_t asking = 0;
        /// Iterative: the nodes asked in this attempt (at most hops_max).
        std::vector<id> asked;
        /// Iterative: the nodes that did not answer, in any attempt.
        std::vector<id> failed;
    };

    enum class hop_kind : std::uint8_t { self_owns, successor_owns, forward, stuck };
    struct next_hop {
        hop_kind kind = hop_kind::stuck;
        std::vector<peer> candidates; ///< successor_owns: the successor; forward: best first
    };

    // Plumbing (core.cpp)
    std::error_code reject(errc e);
    void send(message m);
    message make(message_type type, const std::string& to) const;
    std::uint64_t draw_id();
    /// A new pending request, or 0 if pending_rpcs_max is reached.
    std::uint64_t add_rpc(pending_rpc rpc);
    /// The pending request `m` answers, removed from the table, if `m` comes
    /// from the node it was sent to and is of the expected kind.
    std::optional<pending_rpc> take_rpc(const message& m, rpc_kind kind);
    void on_rpc_timeout(std::uint64_t rpc_id);
    /// A request to `x` failed; at failures_max in a row, x is dead.
    void note_failure(const id& x);
    void mark_failed(const id& x);
    void expire_suspects();
    chord::neighbours current_neighbours() const;

    // Validation (core_validate.cpp)
    errc check(const message& m) const;
    bool valid_peer(const peer& p) const;
    errc check_successor_list(const id& sender, const std::vector<peer>& list) const;
    std::vector<peer> without_suspects(const std::vector<peer>& list) const;

    // Lookups (core_lookup.cpp)
    next_hop route(const id& key, std::size_t candidates, std::span<const id> avoid = {}) const;
    std::error_code start_lookup(purpose why, std::uint64_t user_request_id, unsigned finger, const id& key,
                                 lookup_style style);
    void start_attempt(std::uint64_t lookup);
    void attempt_failed(std::uint64_t lookup, errc reason);
    void complete(std::uint64_t lookup, errc error, const peer& owner);
    void ask_next(std::uint64_t lookup);
    void ask(std::uint64_t lookup, const std::string& address, std::optional<id> peer_id);
    void route_request(forward_state f);
    /// Sends `f` to `next`, awaiting its ack.
    void hand_on(forward_state f, const peer& next, bool final, std::uint32_t hops);
    void answer_request(const forward_state& f, errc failure);
    void on_result(std::uint64_t lookup, const id& key, errc failure, const std::optional<peer>& owner,
                   std::uint32_t hops);
    std::error_code handle_find_next(const message& m);
    std::error_code handle_find_next_reply(const message& m);
    std::error_code handle_find_successor(const message& m);
    std::error_code handle_find_successor_ack(const message& m);
    std::error_code handle_lookup_result(const message& m);

    // Ring maintenance (core_maintenance.cpp)
    void finish_join(errc error, const peer& owner);
    std::error_code handle_get_predecessor(const message& m);
    std::error_code handle_predecessor_reply(const message& m);
    std::error_code handle_notify(const message& m);
    std::error_code handle_ping(const message& m);
    std::error_code handle_pong(const message& m);

    /// Immutable after construction.
    chord::config _config;
    chord::ring _ring;

    node_state _state = node_state::idle;
    routing_table _table;
    /// join(): the address the join lookup starts from.
    std::string _bootstrap;

    std::uint64_t _now = 0;
    /// State of the splitmix64 generator behind rpc and lookup ids.
    std::uint64_t _rng_state = 0;

    /// Requests awaiting an answer, by rpc id. Invariant: size() <=
    /// pending_rpcs_max.
    std::map<std::uint64_t, pending_rpc> _rpcs;
    /// Lookups in progress (the application's and the node's own), by the
    /// request id on the wire, which the core draws itself so that the
    /// application's ids never collide with the node's. Invariant: size() <=
    /// pending_lookups_max.
    std::map<std::uint64_t, lookup_state> _lookups;
    /// The application's request ids in _lookups.
    std::set<std::uint64_t> _user_requests;
    /// Peers found dead, and the tick at which they are forgiven.
    /// Invariant: size() <= suspects_max.
    std::map<id, std::uint64_t> _suspects;
    /// Consecutive failed requests per peer, reset by any message from it.
    /// Invariant: size() <= suspects_max.
    std::map<id, std::uint32_t> _failures;
    /// At most one of each maintenance request in flight (0 = none).
    std::uint64_t _stabilize_rpc = 0;
    std::uint64_t _ping_rpc = 0;
    std::uint64_t _finger_lookup = 0;
    /// The finger fix_fingers() looks at next.
    unsigned _next_finger = 0;

    // Output.
    std::vector<message> _outbox;
    std::vector<lookup_result> _results;
    std::optional<std::error_code> _join_outcome;
    chord::neighbours _reported;

    counters _stats;
};

} // namespace coronet::dht::chord
