#pragma once
// raft::transport over coronet streams (tcp://, uring://, sim://): one
// outbound connection per peer, opened lazily and re-opened with backoff, fed
// from a bounded queue of encoded frames; an accept loop whose connections
// decode frames and hand each message to a callback (the owner wires it to
// node::receive).
//
// A frame is a u32 little-endian length and that many bytes of
// message_codec. Raft retransmits whatever is lost, so the transport never
// waits and never reports failure: a full queue drops its oldest frame, a
// failed write loses what was in flight, and both are only counted. A
// malformed or oversized inbound frame closes that one connection, with a
// logged reason.
//
// Single executor: construct, call and stop it from the executor it was made
// with. Every coroutine it starts belongs to its task group; stop() ends them
// and must be awaited before destruction.

#include <coronet/consensus/raft/message_codec.hpp>
#include <coronet/consensus/raft/transport.hpp>

#include <coronet/clock.hpp>
#include <coronet/log.hpp>
#include <coronet/task_group.hpp>
#include <coronet/waiters.hpp>

#include <coronet/transports/any_listener.hpp>
#include <coronet/transports/any_stream.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>

namespace coronet::consensus::raft {

struct stream_transport_options {
    /// Frames queued per peer; the oldest is dropped when a new one would exceed either bound.
    std::size_t queue_msgs_max = 1'024;
    std::size_t queue_bytes_max = std::size_t{16} << 20;
    /// The largest frame body sent or accepted (a longer one is dropped on
    /// send, and closes the connection on receive).
    std::size_t frame_bytes_max = std::size_t{64} << 20;
    /// Bytes handed to one gathered write at most.
    std::size_t write_batch_bytes_max = std::size_t{1} << 20;
    /// What an inbound frame may hold (message_bytes_max is capped at frame_bytes_max).
    codec_limits limits;
    /// The pause after a failed connect or a lost connection doubles from
    /// min to max, and resets once a connection is made.
    duration reconnect_backoff_min = std::chrono::milliseconds(20);
    duration reconnect_backoff_max = std::chrono::seconds(1);
    duration connect_timeout = std::chrono::seconds(1);
    /// A write that has not completed by then closes the connection (the
    /// peer stopped reading: paused, or gone without a reset); the writer
    /// reconnects.
    duration write_timeout = std::chrono::seconds(5);
    /// An inbound connection silent this long is closed, so a peer that
    /// vanished without closing does not hold a reader forever. A leader
    /// heartbeats far more often; a connection only used for rare messages
    /// (votes between followers) is reopened by its sender when next needed.
    duration idle_timeout = std::chrono::seconds(60);
};

struct stream_transport_stats {
    std::uint64_t sent = 0;            ///< frames written to a connection
    std::uint64_t received = 0;        ///< messages decoded and delivered
    std::uint64_t dropped = 0;         ///< frames dropped: queue full, unknown peer, too large, lost in a failed write, stopped
    std::uint64_t malformed = 0;       ///< inbound connections closed for a bad frame
    std::uint64_t connects = 0;        ///< outbound connections made
    std::uint64_t reconnects = 0;      ///< of those, made after an earlier failure or loss for that peer
    std::uint64_t connect_failures = 0;
    std::uint64_t accepted = 0;        ///< inbound connections
    std::uint64_t timeouts = 0;        ///< connections closed for a stuck write or a silent peer
};

class stream_transport final : public transport {
public:
    using handler = std::function<void(const message&)>;

    /// `peers` maps each other node to its URL (an entry for `self` is ignored).
    stream_transport(asio::any_io_executor ex, node_id self, std::map<node_id, std::string> peers,
                     stream_transport_options options = {}, logger_ptr log = {});
    /// \pre stop() has completed, or start() was never called.
    ~stream_transport() override;
    stream_transport(const stream_transport&) = delete;
    stream_transport& operator=(const stream_transport&) = delete;

    /// Listens on `listen_url` (throws if it cannot) and starts the accept
    /// loop and one writer per peer; each message received is passed to
    /// `on_message`, on this executor. Call once.
    void start(std::string_view listen_url, handler on_message);
    /// Closes the listener and every connection, drops what is queued and
    /// waits for every coroutine to end. Later sends are dropped.
    asio::awaitable<void> stop();

    /// The URL bound by start() (port 0 resolved).
    const std::string& url() const { return _url; }

    void send(const message& m) override;
    void add_peer(node_id id, const std::string& address) override;
    void remove_peer(node_id id) override;

    /// Fault injection (a network partition): while `id` is blocked, every
    /// message to it and from it is dropped and counted, connections stay up.
    void block(node_id id, bool blocked = true);
    const std::set<node_id>& blocked() const { return _blocked; }

    const stream_transport_stats& stats() const { return _stats; }
    /// Frames waiting for `id` (0 for an unknown peer).
    std::size_t queued(node_id id) const;
    /// True while an outbound connection to `id` is open.
    bool connected(node_id id) const;

private:
    struct peer {
        explicit peer(const asio::any_io_executor& ex, node_id i, std::string a) : id(i), address(std::move(a)), wake(ex) {}
        node_id id;
        std::string address;
        std::deque<std::string> frames; ///< each a u32 length and the encoded message
        std::size_t bytes = 0;
        any_stream stream;              ///< open while connected
        waiters wake;                   ///< the writer sleeps here
        bool removed = false;
        bool failed_before = false;     ///< a connect failed or a connection was lost
    };

    static asio::awaitable<void> accept_loop(stream_transport* self);
    static asio::awaitable<void> read_loop(stream_transport* self, any_stream s);
    static asio::awaitable<void> write_loop(stream_transport* self, std::shared_ptr<peer> p);
    static asio::awaitable<bool> connect(stream_transport* self, const std::shared_ptr<peer>& p);
    /// Sleeps the backoff (cut short by stop or removal); doubles it.
    static asio::awaitable<void> back_off(stream_transport* self, const std::shared_ptr<peer>& p, duration& pause);
    /// Delivers the complete frames at the front of `pending`; false (with
    /// the connection's fate logged) on a bad frame. Consumed bytes are erased.
    bool deliver_frames(std::string& pending, const std::string& remote);
    void spawn_writer(const std::shared_ptr<peer>& p);
    bool running() const { return _started && !_stopping; }

    asio::any_io_executor _ex;
    node_id _self;
    stream_transport_options _options;
    logger_ptr _log;
    handler _on_message;
    std::string _url;
    any_listener _listener;
    std::map<node_id, std::shared_ptr<peer>> _peers;
    std::set<any_stream*> _inbound; ///< open inbound connections, closed by stop()
    std::set<node_id> _blocked;     ///< partitioned away by block()
    task_group _tasks;
    stream_transport_stats _stats;
    bool _started = false;
    bool _stopping = false;
};

} // namespace coronet::consensus::raft
