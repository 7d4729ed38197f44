#pragma once
// A small HTTP/1.1 server on Boost.Beast for the programs' APIs (the KV
// store, status pages): keep-alive connections, each request handed to one
// coroutine handler, with the limits a server exposed to scripts needs —
// request body size, idle timeout, open connections — and a stop() that
// closes every connection and waits for its coroutines.
//
// Single executor: construct, start and stop it from the executor it was made
// with; the handler runs there too.

#include <coronet/log.hpp>
#include <coronet/metrics.hpp>
#include <coronet/task_group.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace coronet::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using request = bhttp::request<bhttp::string_body>;
using response = bhttp::response<bhttp::string_body>;
using status = bhttp::status;
using verb = bhttp::verb;

/// Answers one request. An exception it throws becomes a 500 with the reason.
using handler = std::function<asio::awaitable<response>(const request&)>;

struct server_options {
    std::size_t body_max = std::size_t{2} << 20;
    std::size_t connections_max = 10'000;
    /// A connection with no request for this long is closed.
    std::chrono::seconds idle_timeout{30};
    /// The Server header.
    std::string name = "coronet";
    /// When set, GET /metrics is answered from this registry (Prometheus text
    /// format) before the handler sees it. Not owned: it must outlive the server.
    const metrics_registry* metrics = nullptr;
};

struct server_counters {
    std::uint64_t requests = 0;
    std::uint64_t refused = 0;   ///< requests that could not be parsed (400/413), and connections over the limit
    std::uint64_t failed = 0;    ///< handlers that threw (500)
    std::size_t connections = 0; ///< open now
};

/// A response with `body` and its content type; HTTP/1.1.
response make_response(status s, std::string body, std::string_view content_type = "application/json");
/// {"error": why} with status `s`.
response json_error(status s, std::string_view why);
/// The registry in the Prometheus text exposition format 0.0.4.
response prometheus_response(const metrics_registry& metrics);

namespace detail {
class server_state;
}

class server {
public:
    /// Listens on `ep` (port 0: any) now; serves once started.
    server(const asio::any_io_executor& ex, const asio::ip::tcp::endpoint& ep, handler h, server_options o = {},
           logger_ptr log = {});
    ~server();
    server(const server&) = delete;
    server& operator=(const server&) = delete;

    /// http://host:port, the port resolved.
    std::string url() const;
    asio::ip::tcp::endpoint local_endpoint() const;

    void start();
    /// Stops accepting, closes every connection, waits for their coroutines.
    asio::awaitable<void> stop();
    server_counters counters() const;

private:
    std::shared_ptr<detail::server_state> _state;
};

/// Decodes %XX escapes of a URL path or query component (and '+' as a space
/// when `plus_is_space`); nullopt if an escape is malformed.
std::optional<std::string> url_decode(std::string_view s, bool plus_is_space = false);

/// The value of `name` in a query string ("a=1&b=2"), decoded; nullopt if
/// absent or malformed.
std::optional<std::string> query_param(std::string_view query, std::string_view name);

} // namespace coronet::http
