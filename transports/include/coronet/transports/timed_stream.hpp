#pragma once
// Deadlines on any stream, at the cost of a clock read per read.

#include <coronet/clock.hpp>
#include <coronet/deadline.hpp>
#include <coronet/transports/stream.hpp>

#include <boost/asio/associator.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/error.hpp>

#include <optional>

namespace coronet {

namespace detail {

/// Maps a cancellation caused by the deadline to timed_out. It forwards the
/// wrapped handler's executor, allocator and cancellation slot (see the
/// associator at the end of this file) instead of using async_compose, whose
/// per-operation work tracking showed up as a few percent on small messages.
template <class Owner, class Handler>
struct timed_completion {
    Owner* self;
    Handler handler;
    bool is_read;
    void operator()(boost::system::error_code ec, std::size_t n) {
        self->on_complete(ec, is_read);
        std::move(handler)(ec, n);
    }
};

} // namespace detail

template <stream Stream>
class timed_stream {
    // Wraps a stream with one lazily re-armed deadline (coronet::deadline).
    // Two ways to use it, which combine:
    //  - read_timeout(d): every read must complete within d of its start (an
    //    idle timeout); setting it is free, each read costs a clock read.
    //  - expires_after(d) / expires_at(t): a deadline for the whole connection
    //    (all operations), Go's SetDeadline.
    // When the deadline passes, every pending operation completes with
    // asio::error::timed_out (the underlying stream's ops are cancelled); the
    // stream stays open, so the caller decides whether to close it.
public:
    using executor_type = typename Stream::executor_type;

    /// On the clock of the stream's executor (virtual time in the simulator).
    explicit timed_stream(Stream next) : timed_stream(std::move(next), nullptr) {}
    timed_stream(Stream next, clock& c) : timed_stream(std::move(next), &c) {}
    // The deadline's callback points at this object: pin it.
    timed_stream(timed_stream&&) = delete;

    Stream& next_layer() { return _next; }
    executor_type get_executor() { return _next.get_executor(); }

    void read_timeout(std::optional<duration> d) { _read_timeout = d; }
    void expires_after(duration d) { _deadline.expires_after(d); }
    void expires_at(time_point t) { _deadline.expires_at(t); }
    void expires_never() { _deadline.disarm(); }
    bool expired() const { return _deadline.expired(); }

    template <class MutableBuffers, class Token = asio::use_awaitable_t<>>
    auto async_read_some(const MutableBuffers& buffers, Token&& token = {}) {
        if (_read_timeout) _deadline.expires_after(*_read_timeout);
        return asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
            [this](auto handler, const MutableBuffers& b) {
                _next.async_read_some(b, detail::timed_completion<timed_stream, std::decay_t<decltype(handler)>>{this, std::move(handler), true});
            },
            token, buffers);
    }

    template <class ConstBuffers, class Token = asio::use_awaitable_t<>>
    auto async_write_some(const ConstBuffers& buffers, Token&& token = {}) {
        return asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
            [this](auto handler, const ConstBuffers& b) {
                _next.async_write_some(b, detail::timed_completion<timed_stream, std::decay_t<decltype(handler)>>{this, std::move(handler), false});
            },
            token, buffers);
    }

    void shutdown(asio::socket_base::shutdown_type what) { _next.shutdown(what); }
    void cancel() { _next.cancel(); }
    void close() { _next.close(); }
    bool is_open() const { return _next.is_open(); }
    auto local_endpoint() const { return _next.local_endpoint(); }
    auto remote_endpoint() const { return _next.remote_endpoint(); }

private:
    timed_stream(Stream next, clock* c)
        : _next(std::move(next)),
          _deadline(_next.get_executor(), c ? *c : clock_of(_next.get_executor()), [this] { _next.cancel(); }) {}
    template <class, class>
    friend struct detail::timed_completion;
    void on_complete(boost::system::error_code& ec, bool is_read) {
        // Checked before disarming: disarm() does not clear `expired`.
        if (ec == asio::error::operation_aborted && _deadline.expired()) ec = asio::error::timed_out;
        if (is_read && _read_timeout) _deadline.disarm();
    }

    Stream _next;
    deadline _deadline;
    std::optional<duration> _read_timeout;
};

} // namespace coronet

template <template <class, class> class Associator, class Owner, class Handler, class Default>
struct boost::asio::associator<Associator, coronet::detail::timed_completion<Owner, Handler>, Default>
    : Associator<Handler, Default> {
    static typename Associator<Handler, Default>::type get(const coronet::detail::timed_completion<Owner, Handler>& c,
                                                           const Default& d = Default()) noexcept {
        return Associator<Handler, Default>::get(c.handler, d);
    }
};
