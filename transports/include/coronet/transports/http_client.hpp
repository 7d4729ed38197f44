#pragma once
// A blocking HTTP/1.1 client for ordinary threads (`coronet kv get`…, the
// workload and benchmark drivers, tests): one keep-alive connection, a deadline
// on every exchange, redirects followed to another node.

#include <boost/asio/io_context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/verb.hpp>

#include <chrono>
#include <optional>
#include <string>

namespace coronet::http {

struct reply {
    unsigned status = 0;
    std::string body;
    std::string location; ///< the Location header of a redirect
    std::string url;      ///< the base URL that answered (after redirects)
};

class blocking_client {
public:
    /// `base`: http://host:port (numeric host or localhost).
    explicit blocking_client(std::string base, std::chrono::milliseconds timeout = std::chrono::seconds(5));

    /// Sends one request; follows up to 4 redirects to another node (and
    /// stays with that node for later requests). Throws std::runtime_error
    /// when the node cannot be reached or does not answer in time.
    reply request(boost::beast::http::verb method, const std::string& target, const std::string& body = {});

    const std::string& base() const { return _base; }

private:
    reply exchange(boost::beast::http::verb method, const std::string& target, const std::string& body);
    void connect();

    std::string _base;
    std::chrono::milliseconds _timeout;
    boost::asio::io_context _io;
    std::optional<boost::beast::tcp_stream> _stream;
};

/// Percent-encodes a key for a URL path (unreserved characters and '/' kept).
std::string url_encode(std::string_view s, bool keep_slash = true);

} // namespace coronet::http
