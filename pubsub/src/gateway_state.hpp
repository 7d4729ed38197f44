#pragma once
// The gateway's shared state: its listener, its sessions' owner, the client
// that carries HTTP publishes, and the counters. One executor: no locks.

#include <coronet/pubsub/gateway.hpp>

#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

namespace coronet::pubsub::detail {

namespace beast = boost::beast;
namespace http = boost::beast::http;

/// An open HTTP connection or WebSocket, closed by stop().
struct closable {
    virtual ~closable() = default;
    virtual void close() = 0;
};

class gateway_state : public std::enable_shared_from_this<gateway_state> {
public:
    gateway_state(const asio::any_io_executor& ex, const asio::ip::tcp::endpoint& ep, gateway_options o, logger_ptr l);

    asio::awaitable<void> accept_loop();
    asio::awaitable<void> serve(asio::ip::tcp::socket s);
    asio::awaitable<http::response<http::string_body>> handle(const http::request<http::string_body>& req);
    /// gateway_ws.cpp: the WebSocket session, until it closes.
    asio::awaitable<void> websocket(beast::tcp_stream stream, http::request<http::string_body> req);

    asio::ip::tcp::acceptor acceptor;
    gateway_options options;
    logger_ptr log;
    task_group tasks;
    gateway_counters counts;
    bool stopping = false;
    /// Every open WebSocket and HTTP connection, for stop() to close.
    std::vector<std::weak_ptr<closable>> open;
    void forget_closed() {
        std::erase_if(open, [](auto& w) { return w.expired(); });
    }
    void close_poster() {
        if (_poster) _poster->close();
    }

private:
    asio::awaitable<http::response<http::string_body>> publish(std::string_view topic, const std::string& body,
                                                               unsigned version);
    std::shared_ptr<client> _poster; // shared by POSTs; reconnected when it fails
};

} // namespace coronet::pubsub::detail
