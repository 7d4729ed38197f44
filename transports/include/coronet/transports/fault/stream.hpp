#pragma once
// Any connected stream with faults: writes delayed, stalled as if
// retransmitted, connections reset, peers cut off, as a shared fault::plan
// says.

#include <coronet/clock.hpp>
#include <coronet/transports/any_stream.hpp>
#include <coronet/transports/fault/plan.hpp>
#include <coronet/transports/stream.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/async_result.hpp>

#include <memory>
#include <optional>

namespace coronet::fault {

namespace detail {
class stream_core;
}

class stream {
    // Models coronet::stream over a connected stream of any transport. What a
    // user of TCP would expect from a bad network, and nothing TCP would hide:
    //  - The byte stream is never corrupted. `drop` holds a write back by the
    //    plan's `rto` (a lost segment that TCP retransmits), then delivers it.
    //  - `delay` and `jitter` hold each write back; later writes never
    //    overtake earlier ones. Faults apply to what this end sends: wrap both
    //    ends to delay both directions.
    //  - A held-back write completes at once (its bytes are copied, as into a
    //    kernel send buffer) and this stream sends them when due. At most
    //    queued_bytes_max wait; beyond that writes wait for room.
    //  - `reset` / `reset_after` abort the connection with an RST (SO_LINGER
    //    {1, 0}, then close): the peer's reads fail with connection_reset,
    //    this end's operations with connection_reset. With reset_after = N the
    //    peer first receives exactly N bytes. A wrapped any_stream has no
    //    socket to set SO_LINGER on, so it just closes (the peer sees eof).
    //  - A blocked peer (plan::block, matched against the remote endpoint) is
    //    a cut cable: writes still complete into the queue but nothing
    //    reaches the peer, and reads see nothing, until the plan is healed;
    //    then everything held flows again, in order. A partition longer than
    //    the caller's deadline is the caller's timeout, as with real TCP.
    //    Waiting operations re-check the plan every poll_interval.
    //  - close() (and destruction) sends what is still queued before closing,
    //    for at most linger_max, as the kernel does with a send buffer.
    // Timers run on the stream's clock (clock_of(executor) unless one is
    // given), so a manual_clock drives delays in tests. One executor; one
    // read and one write at a time, as for any stream.
public:
    using executor_type = asio::any_io_executor;
    using io_handler = asio::any_completion_handler<void(boost::system::error_code, std::size_t)>;
    static constexpr std::size_t queued_bytes_max = 256 * 1024;
    static constexpr std::size_t gather_buffers_max = 16;
    static constexpr duration poll_interval = std::chrono::milliseconds(10);
    static constexpr duration linger_max = std::chrono::seconds(10);

    template <coronet::stream S>
        requires(!std::same_as<std::remove_cvref_t<S>, stream>)
    stream(S next, std::shared_ptr<plan> p) : stream(erase(std::move(next)), std::move(p), nullptr) {}
    template <coronet::stream S>
        requires(!std::same_as<std::remove_cvref_t<S>, stream>)
    stream(S next, std::shared_ptr<plan> p, clock& c) : stream(erase(std::move(next)), std::move(p), &c) {}
    stream(stream&&) noexcept;
    stream& operator=(stream&&) noexcept;
    /// Closes, as close() does.
    ~stream();

    executor_type get_executor();
    const std::shared_ptr<fault::plan>& get_plan() const;
    /// Bytes accepted by writes and not yet sent.
    std::size_t queued() const;

    template <class MutableBuffers, class Token = asio::use_awaitable_t<>>
    auto async_read_some(const MutableBuffers& buffers, Token&& token = {}) {
        return asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
            [](io_handler h, detail::stream_core* c, asio::mutable_buffer b) { read_some(c, b, std::move(h)); },
            token, _core.get(), first_buffer(buffers));
    }

    template <class ConstBuffers, class Token = asio::use_awaitable_t<>>
    auto async_write_some(const ConstBuffers& buffers, Token&& token = {}) {
        gather g;
        for (auto it = asio::buffer_sequence_begin(buffers);
             it != asio::buffer_sequence_end(buffers) && g.count < gather_buffers_max; ++it)
            if (asio::const_buffer b(*it); b.size() > 0) g.buffers[g.count++] = b;
        return asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
            [](io_handler h, detail::stream_core* c, const gather& g) { write_some(c, g, std::move(h)); }, token,
            _core.get(), g);
    }

    /// A send shutdown waits until the queued bytes are sent.
    void shutdown(asio::socket_base::shutdown_type what);
    void cancel();
    void close();
    bool is_open() const;
    asio::ip::tcp::endpoint local_endpoint() const;
    asio::ip::tcp::endpoint remote_endpoint() const;

    struct gather {
        std::array<asio::const_buffer, gather_buffers_max> buffers;
        std::size_t count = 0;
        auto begin() const { return buffers.begin(); }
        auto end() const { return buffers.begin() + static_cast<std::ptrdiff_t>(count); }
    };

private:
    struct erased {
        any_stream next;
        int fd = -1; // for SO_LINGER; -1 when the transport does not expose it
        std::optional<asio::ip::tcp::endpoint> local, remote;
    };
    template <class S>
    static erased erase(S s) {
        erased e;
        if constexpr (requires { s.socket().native_handle(); }) {
            if (s.is_open()) e.fd = static_cast<int>(s.socket().native_handle());
        } else if constexpr (requires { { s.native_handle() } -> std::convertible_to<int>; }) {
            if (s.is_open()) e.fd = s.native_handle();
        }
        // Not connected (yet): no peer to block, and no endpoints to report.
        if constexpr (requires { s.remote_endpoint(); }) {
            try {
                e.remote = s.remote_endpoint();
            } catch (const std::exception&) {
            }
        }
        if constexpr (requires { s.local_endpoint(); }) {
            try {
                e.local = s.local_endpoint();
            } catch (const std::exception&) {
            }
        }
        if constexpr (std::same_as<S, any_stream>) e.next = std::move(s);
        else e.next = any_stream(std::move(s));
        return e;
    }
    stream(erased e, std::shared_ptr<plan> p, clock* c);

    static void read_some(detail::stream_core* c, asio::mutable_buffer b, io_handler h);
    static void write_some(detail::stream_core* c, const gather& g, io_handler h);

    // Shared with operations in flight and with the sender of queued bytes,
    // which keeps it alive after close() until they are sent (linger_max).
    std::shared_ptr<detail::stream_core> _core;
};

} // namespace coronet::fault
