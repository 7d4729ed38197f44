#include "connection_state.hpp"

#include <coronet/rpc/server.hpp>
#include <coronet/transports/accept_next.hpp>

#include <algorithm>

namespace coronet::rpc {

namespace {

void add(connection_counters& to, const connection_counters& c) {
    to.messages_in += c.messages_in;
    to.messages_out += c.messages_out;
    to.bytes_in += c.bytes_in;
    to.bytes_out += c.bytes_out;
    to.reads += c.reads;
    to.writes += c.writes;
    to.calls_in += c.calls_in;
    to.calls_out += c.calls_out;
    to.cancelled_in += c.cancelled_in;
    to.unimplemented_in += c.unimplemented_in;
    to.failed_in += c.failed_in;
}

} // namespace

server::server(any_listener listener, std::shared_ptr<service> bootstrap, server_options options, logger_ptr log)
    : _listener(std::move(listener)), _bootstrap(std::move(bootstrap)), _options(options),
      _log(log ? std::move(log) : make_logger("rpc")), _tasks(_listener.get_executor()) {
    if (!_bootstrap) throw std::invalid_argument("rpc::server: no bootstrap service");
}

server::~server() { _listener.close(); }

connection_counters server::counters() const {
    auto total = _closed_counts;
    for (auto& w : _open)
        if (auto s = w.lock()) add(total, s->counters());
    return total;
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
    auto state =
        std::make_shared<detail::connection_state>(std::move(s), _bootstrap, _options.connection, _log);
    _open.push_back(state);
    struct guard {
        server& srv;
        std::shared_ptr<detail::connection_state>& state;
        ~guard() {
            --srv._connections;
            add(srv._closed_counts, state->counters());
            std::erase_if(srv._open, [&](auto& w) { return w.expired() || w.lock() == state; });
        }
    } g{*this, state};
    // run() contains the connection's own failures (a protocol error aborts
    // that connection only) and returns when it has closed; cancelling it
    // (stop) closes it.
    co_await state->run();
}

} // namespace coronet::rpc
