#pragma once
// What to do to traffic on real sockets: the fault plan that the
// fault-injecting wrappers (fault::stream, fault::datagram_socket) consult on
// every operation, so loopback tests and multi-process runs get loss, delay,
// duplication, reordering, resets and partitions without root.

#include <coronet/clock.hpp>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string_view>
#include <utility>

namespace coronet::fault {

namespace asio = boost::asio;

/// The faults as plain values. Probabilities are in [0, 1] and are drawn
/// independently for each datagram or write.
struct settings {
    /// Datagrams: the probability that one is lost. Streams: the probability
    /// that a write is lost and retransmitted, i.e. held back by `rto` and then
    /// delivered intact. TCP never loses or corrupts bytes, it only delays
    /// them, so a fault stream does the same.
    double drop = 0;
    /// Added to every datagram and every stream write: delay + uniform
    /// [0, jitter]. Stream writes never overtake each other; datagrams may.
    duration delay{};
    duration jitter{};
    /// Datagrams: the probability that one is sent twice.
    double duplicate = 0;
    /// Datagrams: the probability that one is held back and sent right after
    /// the next datagram, or after `reorder_window` if no other comes first.
    double reorder = 0;
    duration reorder_window = std::chrono::milliseconds(20);
    /// Streams: the probability that a write aborts the connection with an RST
    /// instead of sending.
    double reset = 0;
    /// Streams: each connection sends this many bytes, then aborts with an RST.
    std::optional<std::uint64_t> reset_after{};
    /// Streams: how long a dropped write is held back (Linux's minimum RTO).
    duration rto = std::chrono::milliseconds(200);
    /// Seeds the plan's std::mt19937_64: the same seed and the same traffic on
    /// one thread give the same faults.
    std::uint64_t seed = 1;
};

/// Throws std::invalid_argument naming the field that is out of range.
void validate(const settings& s);

/// What the wrappers did, summed over every socket sharing the plan.
struct counters {
    std::uint64_t datagrams = 0;  ///< datagram sends seen
    std::uint64_t dropped = 0;    ///< datagrams lost to `drop`
    std::uint64_t duplicated = 0; ///< datagrams sent twice
    std::uint64_t reordered = 0;  ///< datagrams held back behind the next one
    std::uint64_t delayed = 0;    ///< datagrams and writes held back by delay or jitter
    std::uint64_t blackholed = 0; ///< datagrams swallowed by a block, either way
    std::uint64_t stalled = 0;    ///< stream writes held back by `rto` (a drop)
    std::uint64_t resets = 0;     ///< connections aborted with an RST
    std::uint64_t overflowed = 0; ///< datagrams lost because too many were already delayed
};

/// A peer to cut off: one address, on every port when `port` is 0.
struct peer {
    asio::ip::address address;
    std::uint16_t port = 0;
    bool operator==(const peer&) const = default;
    bool operator<(const peer& o) const { return address != o.address ? address < o.address : port < o.port; }
};

class plan {
    // Shared (std::shared_ptr<plan>) by the sockets it applies to and changed
    // while they run: a change takes effect from their next operation (a
    // stream waiting in a partition notices a heal within poll_interval).
    //
    // Thread safety: every member may be called from any thread; one mutex
    // guards the settings, the blocked peers, the generator and the counters.
    // Sockets sharing a plan draw from its one generator, so runs are
    // reproducible when the traffic is driven from one thread (one
    // io_context, one run() thread, as in tests); with several threads the
    // draws interleave in whatever order the threads take them.
public:
    explicit plan(settings s = {});
    /// Copies settings, blocked peers, counters and the generator's state.
    plan(const plan& other);
    plan& operator=(const plan& other);

    settings get() const;
    /// Replaces the settings (validated first); a new seed restarts the
    /// random sequence.
    void set(const settings& s);
    /// Changes settings in place, atomically:
    /// `p->change([](fault::settings& s) { s.drop = 0; });`
    void change(const std::function<void(settings&)>& edit);

    /// Traffic to and from `p` is swallowed silently in both directions, as by
    /// a cut cable: datagrams vanish, streams stall (see fault::stream).
    void block(const peer& p);
    void block(const asio::ip::tcp::endpoint& e) { block(peer{e.address(), e.port()}); }
    void block(const asio::ip::udp::endpoint& e) { block(peer{e.address(), e.port()}); }
    void unblock(const peer& p);
    void unblock(const asio::ip::tcp::endpoint& e) { unblock(peer{e.address(), e.port()}); }
    void unblock(const asio::ip::udp::endpoint& e) { unblock(peer{e.address(), e.port()}); }
    /// Unblocks every peer.
    void heal();
    std::set<peer> blocked() const;
    bool blocks(const asio::ip::address& address, std::uint16_t port) const;

    counters counts() const;

    // What the wrappers ask, one call per operation. Public so that other
    // transports can be wrapped the same way.

    struct datagram_fate {
        bool lost = false; ///< dropped or blocked: nothing is sent
        int copies = 1;    ///< 2 when duplicated
        std::array<duration, 2> delay{}; ///< for each copy
        bool hold_back = false; ///< reorder: send after the next datagram
    };
    datagram_fate next_datagram(const asio::ip::udp::endpoint& to);
    /// Decides a received datagram: true if it comes from a blocked peer and
    /// must be discarded (counted as blackholed).
    bool discard_received(const asio::ip::udp::endpoint& from);

    struct write_fate {
        bool reset = false; ///< abort the connection instead of writing
        duration hold{};    ///< how long the bytes are held back before sending
        /// The most this write may send; reaching it means the connection
        /// has sent `reset_after` bytes and must be reset.
        std::uint64_t bytes_max = UINT64_MAX;
    };
    /// `bytes_sent`: what this connection has sent so far.
    write_fate next_write(std::uint64_t bytes_sent);
    void count_reset();
    void count_overflow();

private:
    bool blocks_locked(const asio::ip::address& address, std::uint16_t port) const;
    double uniform();
    bool happens(double probability);
    duration delay_draw();

    mutable std::mutex _mutex;
    settings _settings;
    std::set<peer> _blocked;
    counters _counts;
    std::mt19937_64 _random;
};

/// Parses a URL query such as
/// "drop=0.1&delay=5ms&jitter=2ms&dup=0.05&reorder=0.1&reset_after=4096&seed=7&block=127.0.0.1:7001,127.0.0.1:7002"
/// (a leading '?' is allowed). Keys: drop, delay, jitter, dup (or duplicate),
/// reorder, reorder_window, reset, reset_after, rto, seed, block. Durations
/// take a unit: ns, us, ms or s ("200us", "5ms", "1s"), at most one hour.
/// Blocked peers are "ip:port", "ip" (every port) or "[v6]:port". Throws
/// std::invalid_argument naming the key and the problem.
plan parse_plan(std::string_view query);

} // namespace coronet::fault
