#include <coronet/transports/stream_datagram.hpp>

#include <coronet/deadline.hpp>
#include <coronet/timer.hpp>
#include <coronet/waiters.hpp>
#include <coronet/when_any.hpp>

#include <coronet/transports/accept_next.hpp>
#include <coronet/transports/endpoint.hpp>

#include <boost/asio/append.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <array>
#include <cstring>
#include <deque>
#include <map>
#include <optional>
#include <set>

namespace coronet {
namespace {

constexpr std::array<char, 4> hello_magic{'C', 'N', 'D', 'G'};
constexpr std::uint8_t hello_version = 1;
constexpr std::size_t hello_bytes = 8;
constexpr std::size_t length_bytes = 4;
constexpr std::size_t read_chunk_bytes = 64 * 1024;

std::uint32_t get_u32(const char* p) {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= std::uint32_t{static_cast<std::uint8_t>(p[i])} << (8 * i);
    return v;
}

std::string make_hello(std::uint16_t port) {
    std::string h(hello_magic.begin(), hello_magic.end());
    h.push_back(static_cast<char>(hello_version));
    h.push_back('\0');
    h.push_back(static_cast<char>(port & 0xff));
    h.push_back(static_cast<char>(port >> 8));
    return h;
}

/// The announced port, or nullopt for anything but a version 1 hello.
std::optional<std::uint16_t> parse_hello(std::string_view h) {
    if (h.size() != hello_bytes || !std::equal(hello_magic.begin(), hello_magic.end(), h.begin()) ||
        static_cast<std::uint8_t>(h[4]) != hello_version || h[5] != '\0')
        return std::nullopt;
    auto port = static_cast<std::uint16_t>(static_cast<std::uint8_t>(h[6]) | static_cast<std::uint8_t>(h[7]) << 8);
    if (port == 0) return std::nullopt;
    return port;
}

std::string host_port(const asio::ip::udp::endpoint& ep) {
    auto a = ep.address().to_string();
    return (ep.address().is_v6() ? "[" + a + "]" : a) + ":" + std::to_string(ep.port());
}

asio::awaitable<std::optional<any_stream>> try_connect(std::string url, logger_ptr log) {
    try {
        co_return co_await coronet::connect(url);
    } catch (const std::exception& e) {
        log->debug("{}: {}", url, e.what());
    }
    co_return std::nullopt;
}

asio::awaitable<std::optional<any_stream>> give_up_after(duration d) {
    auto ex = co_await asio::this_coro::executor;
    coronet::timer t(ex, clock_of(ex));
    t.expires_at(clock_of(ex).now() + d);
    co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    co_return std::nullopt;
}

/// Removes an inbound connection from the set close() closes, however its
/// reader ends.
struct inbound_guard {
    std::set<any_stream*>& set;
    any_stream* stream;
    ~inbound_guard() { set.erase(stream); }
};

} // namespace

struct stream_datagram::state {
    struct peer {
        peer(const asio::any_io_executor& ex, const asio::ip::udp::endpoint& e) : to(e), wake(ex) {}
        asio::ip::udp::endpoint to;
        std::deque<std::string> frames; ///< each with its length prefix
        std::size_t bytes = 0;
        any_stream stream;
        waiters wake;
        bool writing = false;  ///< a writer coroutine owns the connection
        bool evicted = false;  ///< closed to make room, or by close()
        time_point failed_until{};
        std::uint64_t last_used = 0;
    };
    struct message {
        asio::ip::udp::endpoint from;
        std::string bytes;
    };
    struct receive_op {
        asio::mutable_buffer buffer;
        asio::ip::udp::endpoint* from;
        io_handler handler;
    };

    state(const asio::any_io_executor& e, stream_datagram_options o, logger_ptr l)
        : ex(e), options(o), log(l ? std::move(l) : make_logger("transport")) {}

    asio::any_io_executor ex;
    stream_datagram_options options;
    logger_ptr log;
    any_listener listener;
    asio::ip::udp::endpoint local;
    std::string hello;
    std::string connect_prefix; ///< e.g. "tcp://"; a destination's host:port follows
    std::string connect_suffix; ///< a fault+ URL's "?plan"
    std::deque<message> inbox;
    std::size_t inbox_bytes = 0;
    std::deque<receive_op> receivers;
    std::map<asio::ip::udp::endpoint, std::shared_ptr<peer>> peers;
    std::set<any_stream*> inbound;
    stream_datagram_stats stats;
    std::uint64_t uses = 0;
    bool closed = false;

    void complete(io_handler h, boost::system::error_code ec, std::size_t n) {
        asio::post(ex, asio::append(std::move(h), ec, n));
    }

    void hand_over(receive_op op, const asio::ip::udp::endpoint& from, std::string_view bytes) {
        auto n = std::min(bytes.size(), op.buffer.size());
        std::memcpy(op.buffer.data(), bytes.data(), n);
        *op.from = from;
        ++stats.received;
        boost::system::error_code ec;
        if (bytes.size() > op.buffer.size()) ec = asio::error::message_size;
        complete(std::move(op.handler), ec, n);
    }

    void deliver(const asio::ip::udp::endpoint& from, std::string_view bytes) {
        if (!receivers.empty()) {
            auto op = std::move(receivers.front());
            receivers.pop_front();
            hand_over(std::move(op), from, bytes); // straight from the read buffer
            return;
        }
        if (inbox.size() >= options.inbox_msgs_max || inbox_bytes + bytes.size() > options.inbox_bytes_max) {
            ++stats.dropped_in;
            return;
        }
        inbox_bytes += bytes.size();
        inbox.push_back(message{from, std::string(bytes)});
    }

    void abort_receives() {
        while (!receivers.empty()) {
            auto op = std::move(receivers.front());
            receivers.pop_front();
            complete(std::move(op.handler), asio::error::operation_aborted, 0);
        }
    }

    void drop_queued(peer& p) {
        stats.dropped_out += p.frames.size();
        p.frames.clear();
        p.bytes = 0;
    }

    /// Closes and forgets the least recently used destination.
    void evict_one() {
        auto lru = std::min_element(peers.begin(), peers.end(), [](const auto& a, const auto& b) {
            return a.second->last_used < b.second->last_used;
        });
        auto& p = *lru->second;
        p.evicted = true;
        drop_queued(p);
        if (p.stream.is_open()) p.stream.close();
        p.wake.notify_all();
        peers.erase(lru);
    }

    std::shared_ptr<peer> peer_for(const asio::ip::udp::endpoint& to) {
        if (auto it = peers.find(to); it != peers.end()) return it->second;
        if (peers.size() >= std::max<std::size_t>(options.peers_max, 1)) evict_one();
        auto p = std::make_shared<peer>(ex, to);
        peers.emplace(to, p);
        return p;
    }

    // The coroutines belong to the state, not to the handle: they hold the
    // state alive, and the handle may be moved or destroyed meanwhile.
    using state_ptr = std::shared_ptr<state>;
    static void spawn(const state_ptr& s, asio::awaitable<void> task);
    static asio::awaitable<void> write_loop(state_ptr s, std::shared_ptr<peer> p);
    static asio::awaitable<void> read_loop(state_ptr s, any_stream stream);
    static asio::awaitable<void> accept_loop(state_ptr s);
    /// Ends the writer: forgets an idle destination, restarts one that got
    /// new messages while the connection was being lost.
    static void writer_done(const state_ptr& s, const std::shared_ptr<peer>& p);
};

void stream_datagram::state::spawn(const state_ptr& s, asio::awaitable<void> task) {
    asio::co_spawn(s->ex, std::move(task), [log = s->log](std::exception_ptr e) {
        if (!e) return;
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& x) {
            log->warn("datagrams over streams: a task failed: {}", x.what());
        }
    });
}

void stream_datagram::state::writer_done(const state_ptr& s, const std::shared_ptr<peer>& p) {
    p->writing = false;
    if (p->stream.is_open()) p->stream.close();
    if (s->closed || p->evicted) return;
    if (!p->frames.empty()) {
        p->writing = true;
        spawn(s, write_loop(s, p));
        return;
    }
    // A failed destination stays listed until its pause is over.
    if (p->failed_until <= clock_of(s->ex).now())
        if (auto it = s->peers.find(p->to); it != s->peers.end() && it->second == p) s->peers.erase(it);
}

asio::awaitable<void> stream_datagram::state::write_loop(state_ptr s, std::shared_ptr<peer> p) {
    auto url = s->connect_prefix + host_port(p->to) + s->connect_suffix;
    std::vector<asio::awaitable<std::optional<any_stream>>> attempt;
    attempt.push_back(try_connect(url, s->log));
    attempt.push_back(give_up_after(s->options.connect_timeout));
    auto [which, connected] = co_await when_any(std::move(attempt));
    if (which != 0 || !connected) {
        ++s->stats.connect_failures;
        p->failed_until = clock_of(s->ex).now() + s->options.failed_peer_pause;
        s->drop_queued(*p);
        writer_done(s, p);
        co_return;
    }
    if (s->closed || p->evicted) {
        connected->close();
        writer_done(s, p);
        co_return;
    }
    p->stream = std::move(*connected);
    ++s->stats.connects;

    bool idle = false;
    auto on_idle = [p, &idle] {
        if (!p->frames.empty()) return;
        idle = true;
        p->wake.notify_all();
    };
    auto on_stuck = [s, p] {
        if (!p->stream.is_open()) return;
        ++s->stats.timeouts;
        p->stream.close();
    };
    deadline silence(s->ex, clock_of(s->ex), on_idle);
    deadline write_deadline(s->ex, clock_of(s->ex), on_stuck);
    std::vector<std::string> batch{s->hello};
    std::vector<asio::const_buffer> buffers;
    for (;;) {
        silence.expires_after(s->options.idle_timeout);
        while (p->frames.empty() && !idle && !s->closed && !p->evicted) co_await p->wake.async_wait();
        if (idle || s->closed || p->evicted) break;
        std::size_t bytes = 0;
        std::size_t messages = 0;
        for (const auto& f : batch) bytes += f.size();
        while (!p->frames.empty() && (messages == 0 || bytes + p->frames.front().size() <= s->options.write_batch_bytes_max)) {
            bytes += p->frames.front().size();
            p->bytes -= p->frames.front().size();
            batch.push_back(std::move(p->frames.front()));
            p->frames.pop_front();
            ++messages;
        }
        buffers.clear();
        for (const auto& f : batch) buffers.push_back(asio::buffer(f));
        write_deadline.expires_after(s->options.write_timeout);
        auto [ec, n] = co_await asio::async_write(p->stream, buffers, asio::as_tuple(asio::use_awaitable));
        write_deadline.disarm();
        batch.clear();
        if (ec) {
            // What was in flight is lost, as datagrams would be.
            s->stats.dropped_out += messages;
            if (!s->closed && !p->evicted)
                s->log->debug("datagrams over streams: connection to {} lost: {}", host_port(p->to), ec.message());
            break;
        }
        s->stats.sent += messages;
    }
    writer_done(s, p);
}

asio::awaitable<void> stream_datagram::state::read_loop(state_ptr s, any_stream stream) {
    s->inbound.insert(&stream);
    inbound_guard guard{s->inbound, &stream};
    asio::ip::address remote_ip;
    std::string remote = "an inbound connection";
    try {
        auto ep = stream.remote_endpoint();
        remote_ip = ep.address();
        remote = "inbound connection from " + host_port({ep.address(), ep.port()});
    } catch (const std::exception&) {
        // Already reset: the first read says so.
    }
    auto on_silence = [s, &stream] {
        if (!stream.is_open()) return;
        ++s->stats.timeouts;
        stream.close();
    };
    deadline silence(s->ex, clock_of(s->ex), on_silence);
    std::vector<char> chunk(read_chunk_bytes);
    std::string pending;
    std::optional<asio::ip::udp::endpoint> from;
    bool bad = false;
    while (!s->closed && !bad) {
        silence.expires_after(s->options.idle_timeout);
        auto [ec, n] = co_await stream.async_read_some(asio::buffer(chunk), any_stream::awaitable_result_t{});
        if (ec || s->closed) break;
        pending.append(chunk.data(), n);
        std::size_t at = 0;
        if (!from) {
            if (pending.size() < hello_bytes) continue;
            auto port = parse_hello(std::string_view(pending).substr(0, hello_bytes));
            if (!port) {
                s->log->info("datagrams over streams: closing {}: it did not open with a hello", remote);
                bad = true;
                break;
            }
            from = asio::ip::udp::endpoint(remote_ip, *port);
            at = hello_bytes;
        }
        while (pending.size() - at >= length_bytes) {
            auto length = get_u32(pending.data() + at);
            if (length > s->options.datagram_bytes_max) {
                s->log->info("datagrams over streams: closing {}: a {}-byte message exceeds the limit of {}", remote,
                             length, s->options.datagram_bytes_max);
                bad = true;
                break;
            }
            if (pending.size() - at - length_bytes < length) break; // the rest has not arrived yet
            s->deliver(*from, std::string_view(pending.data() + at + length_bytes, length));
            at += length_bytes + length;
        }
        pending.erase(0, at);
    }
    if (bad) ++s->stats.malformed;
    if (stream.is_open()) stream.close();
}

asio::awaitable<void> stream_datagram::state::accept_loop(state_ptr s) {
    if (s->closed) co_return; // closed before the loop's first step
    while (auto stream = co_await accept_next(s->listener, *s->log)) {
        if (s->closed) {
            stream->close();
            break;
        }
        ++s->stats.accepted;
        spawn(s, read_loop(s, std::move(*stream)));
    }
}

stream_datagram::stream_datagram(const executor_type& ex, std::string_view listen_url, stream_datagram_options options,
                                 logger_ptr log)
    : _state(std::make_shared<state>(ex, options, std::move(log))) {
    auto u = parse_url(listen_url);
    if (u.scheme != scheme::tcp && u.scheme != scheme::uring)
        throw std::invalid_argument("'" + std::string(listen_url) +
                                    "': datagrams over streams need a tcp:// or uring:// URL");
    auto& s = *_state;
    s.listener = listen(ex, listen_url);
    auto bound = s.listener.local_endpoint();
    s.local = asio::ip::udp::endpoint(bound.address(), bound.port());
    s.hello = make_hello(bound.port());
    s.connect_prefix = std::string(u.fault ? "fault+" : "") + std::string(to_string(u.scheme)) + "://";
    if (u.fault && !u.faults.empty()) s.connect_suffix = "?" + u.faults;
    static_assert(frame_header_bytes == length_bytes);
    state::spawn(_state, state::accept_loop(_state));
}

stream_datagram::stream_datagram(stream_datagram&&) noexcept = default;

stream_datagram& stream_datagram::operator=(stream_datagram&& other) noexcept {
    if (this != &other) {
        close();
        _state = std::move(other._state);
    }
    return *this;
}

stream_datagram::~stream_datagram() { close(); }

stream_datagram::executor_type stream_datagram::get_executor() { return _state->ex; }

asio::ip::udp::endpoint stream_datagram::local_endpoint() const { return _state->local; }

std::size_t stream_datagram::datagram_bytes_max() const { return _state->options.datagram_bytes_max; }

const stream_datagram_stats& stream_datagram::stats() const { return _state->stats; }

std::size_t stream_datagram::connections() const {
    return static_cast<std::size_t>(std::count_if(_state->peers.begin(), _state->peers.end(),
                                                  [](const auto& e) { return e.second->stream.is_open(); }));
}

bool stream_datagram::is_open() const { return _state && !_state->closed; }

void stream_datagram::send_frame(std::string frame, const asio::ip::udp::endpoint& to, io_handler h) {
    auto& s = *_state;
    auto size = frame.size() - frame_header_bytes;
    if (s.closed) return s.complete(std::move(h), asio::error::bad_descriptor, 0);
    if (size > s.options.datagram_bytes_max) return s.complete(std::move(h), asio::error::message_size, 0);
    if (to.port() == 0 || to.address().is_unspecified())
        return s.complete(std::move(h), boost::system::errc::make_error_code(boost::system::errc::address_not_available), 0);
    for (std::size_t i = 0; i < frame_header_bytes; ++i) frame[i] = static_cast<char>((size >> (8 * i)) & 0xff);
    auto p = s.peer_for(to);
    p->last_used = ++s.uses;
    if (p->failed_until > clock_of(s.ex).now()) {
        ++s.stats.dropped_out;
        return s.complete(std::move(h), {}, size);
    }
    while (!p->frames.empty() &&
           (p->frames.size() >= s.options.queue_msgs_max || p->bytes + frame.size() > s.options.queue_bytes_max)) {
        p->bytes -= p->frames.front().size();
        p->frames.pop_front();
        ++s.stats.dropped_out;
    }
    p->bytes += frame.size();
    p->frames.push_back(std::move(frame));
    if (p->writing) {
        p->wake.notify_one();
    } else {
        p->writing = true;
        state::spawn(_state, state::write_loop(_state, p));
    }
    s.complete(std::move(h), {}, size);
}

void stream_datagram::receive_from(asio::mutable_buffer b, asio::ip::udp::endpoint& from, io_handler h) {
    auto& s = *_state;
    if (s.closed) return s.complete(std::move(h), asio::error::bad_descriptor, 0);
    if (s.inbox.empty()) {
        s.receivers.push_back(state::receive_op{b, &from, std::move(h)});
        return;
    }
    auto m = std::move(s.inbox.front());
    s.inbox.pop_front();
    s.inbox_bytes -= m.bytes.size();
    s.hand_over(state::receive_op{b, &from, std::move(h)}, m.from, m.bytes);
}

void stream_datagram::cancel() {
    if (_state) _state->abort_receives();
}

void stream_datagram::close() {
    if (!_state || _state->closed) return;
    auto& s = *_state;
    s.closed = true;
    if (s.listener) s.listener.close();
    for (auto* stream : s.inbound) stream->close();
    for (auto& [to, p] : s.peers) {
        p->evicted = true;
        s.drop_queued(*p);
        if (p->stream.is_open()) p->stream.close();
        p->wake.notify_all();
    }
    s.peers.clear();
    s.inbox.clear();
    s.inbox_bytes = 0;
    s.abort_receives();
}

} // namespace coronet
