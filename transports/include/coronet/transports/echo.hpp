#pragma once
// The echo service: the same server code over every stream transport.

#include <coronet/log.hpp>
#include <coronet/task_group.hpp>
#include <coronet/transports/any_listener.hpp>
#include <coronet/transports/stream.hpp>
#include <coronet/transports/timed_stream.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/write.hpp>
#include <boost/system/system_error.hpp>

#include <optional>
#include <vector>

namespace coronet::echo {

/// Echoes what it reads until the peer closes (then shuts down its side).
/// Errors propagate as exceptions; the server contains them per connection.
template <stream S>
asio::awaitable<void> session(S& s, std::size_t buffer_bytes = 16 * 1024) {
    std::vector<std::byte> buf(buffer_bytes);
    for (;;) {
        auto [ec, n] = co_await s.async_read_some(asio::buffer(buf), asio::as_tuple(asio::use_awaitable));
        if (ec == asio::error::eof) break;
        if (ec) throw boost::system::system_error(ec, "echo read");
        co_await asio::async_write(s, asio::buffer(buf.data(), n), asio::use_awaitable);
    }
    s.shutdown(asio::socket_base::shutdown_send);
}

struct server_options {
    /// Idle timeout per read (a timed_stream deadline); none by default.
    std::optional<duration> read_timeout;
    std::size_t buffer_bytes = 64 * 1024; // as large as a raw loop's, so big messages take one read
    /// Connections beyond this are accepted and closed at once, so a flood
    /// cannot exhaust file descriptors or memory.
    std::size_t connections_max = 10'000;
};

class server {
    // Accepts on one listener and runs one session coroutine per connection,
    // all owned by the server's task group: stop() cancels and joins every one,
    // so no socket or coroutine outlives it. A failing connection is logged and
    // closed; it never stops the server.
public:
    /// Deadlines run on the clock of the listener's executor (virtual time in
    /// the simulator) unless a clock is given.
    explicit server(any_listener listener, server_options options = {}, logger_ptr log = {});
    server(any_listener listener, server_options options, logger_ptr log, clock& c);
    ~server();

    const std::string& url() const { return _listener.url(); }
    std::size_t connections() const { return _connections; }
    std::uint64_t accepted() const { return _accepted; }

    /// Starts accepting. Call on the listener's executor.
    void start();
    /// Cancels the acceptor and every session and waits for all of them.
    asio::awaitable<void> stop();

private:
    asio::awaitable<void> accept_loop();
    asio::awaitable<void> serve(any_stream s);

    any_listener _listener;
    server_options _options;
    logger_ptr _log;
    clock& _clock;
    task_group _tasks;
    std::size_t _connections = 0;
    std::uint64_t _accepted = 0;
};

} // namespace coronet::echo
