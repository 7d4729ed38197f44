#pragma once
// Serves one bootstrap capability to every connection a listener accepts.

#include <coronet/log.hpp>
#include <coronet/rpc/connection.hpp>
#include <coronet/task_group.hpp>
#include <coronet/transports/any_listener.hpp>

#include <memory>

namespace coronet::rpc {

struct server_options {
    connection_options connection;
    /// Connections beyond this are accepted and closed at once.
    std::size_t connections_max = 10'000;
};

class server {
    // One connection per accepted stream, each owned by the server's task
    // group: stop() closes every connection (pending calls get Return
    // nothing: the connection is gone) and waits for all of them. A broken or
    // hostile connection is logged and closed; it never stops the server.
public:
    server(any_listener listener, std::shared_ptr<service> bootstrap, server_options options = {},
           logger_ptr log = {});
    ~server();

    const std::string& url() const { return _listener.url(); }
    std::size_t connections() const { return _connections; }
    std::uint64_t accepted() const { return _accepted; }
    /// Sums over connections that have closed and those still open.
    connection_counters counters() const;
    /// Connections accepted from now on record the time of every call they
    /// answer into `h` (rpc::register_metrics calls this).
    void measure_call_latency(histogram_metric& h) { _options.connection.call_latency = &h; }

    /// Starts accepting. Call on the listener's executor.
    void start();
    asio::awaitable<void> stop();

private:
    asio::awaitable<void> accept_loop();
    asio::awaitable<void> serve(any_stream s);

    any_listener _listener;
    std::shared_ptr<service> _bootstrap;
    server_options _options;
    logger_ptr _log;
    task_group _tasks;
    std::size_t _connections = 0;
    std::uint64_t _accepted = 0;
    connection_counters _closed_counts;
    std::vector<std::weak_ptr<detail::connection_state>> _open;
};

} // namespace coronet::rpc
