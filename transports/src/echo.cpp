#include <coronet/transports/echo.hpp>

#include <coronet/transports/accept_next.hpp>

#include <boost/asio/as_tuple.hpp>

namespace coronet::echo {

server::server(any_listener listener, server_options options, logger_ptr log)
    : server(std::move(listener), options, std::move(log), clock_of(listener.get_executor())) {}

server::server(any_listener listener, server_options options, logger_ptr log, clock& c)
    : _listener(std::move(listener)), _options(options), _log(log ? std::move(log) : make_logger("echo")),
      _clock(c), _tasks(_listener.get_executor()) {}

server::~server() {
    // stop() must have been awaited; the task group enforces it loudly.
    _listener.close();
}

void server::start() { _tasks.spawn(accept_loop()); }

asio::awaitable<void> server::stop() {
    _listener.cancel();
    _tasks.cancel();
    co_await _tasks.join();
    _listener.close();
}

asio::awaitable<void> server::accept_loop() {
    while (auto s = co_await accept_next(_listener, *_log)) {
        ++_accepted;
        if (_connections >= _options.connections_max) {
            _log->warn("{}: connections_max ({}) reached; closing new connection", url(), _options.connections_max);
            s->close();
            continue;
        }
        _tasks.spawn(serve(std::move(*s)));
    }
}

asio::awaitable<void> server::serve(any_stream s) {
    ++_connections;
    struct count_guard {
        std::size_t& n;
        ~count_guard() { --n; }
    } guard{_connections};
    try {
        if (_options.read_timeout) {
            timed_stream<any_stream> ts(std::move(s), _clock);
            ts.read_timeout(_options.read_timeout);
            co_await session(ts, _options.buffer_bytes);
        } else {
            co_await session(s, _options.buffer_bytes);
        }
    } catch (const boost::system::system_error& e) {
        if (e.code() == asio::error::operation_aborted) throw; // our own cancellation: let the group see it
        _log->debug("{}: connection closed: {}", url(), e.what());
    }
}

} // namespace coronet::echo
