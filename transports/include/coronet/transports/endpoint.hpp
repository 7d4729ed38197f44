#pragma once
// Open endpoints by URL: the one place that knows every transport.

#include <coronet/transports/any_datagram.hpp>
#include <coronet/transports/any_listener.hpp>
#include <coronet/transports/any_stream.hpp>
#include <coronet/transports/udp.hpp>
#include <coronet/transports/url.hpp>

#include <boost/asio/awaitable.hpp>

#include <string_view>

namespace coronet {

/// Listens on a tcp://, uring:// or sim:// URL (or fault+tcp://…?plan: every
/// accepted connection is a fault::stream sharing one plan). Errors (bad URL, port in use,
/// io_uring unavailable) throw with the URL and the cause in what(). A sim://
/// URL must name the node whose executor `ex` is.
any_listener listen(const asio::any_io_executor& ex, std::string_view url, int backlog = 1024);

/// Connects to a tcp://, uring:// or sim:// URL on the current coroutine's
/// executor (for sim://, a node's executor); fault+tcp:// and fault+uring://
/// wrap the connection in a fault::stream with the URL's plan.
asio::awaitable<any_stream> connect(std::string_view url);

/// Binds a udp:// or sim:// URL (port 0 for an ephemeral port);
/// fault+udp://…?plan wraps the socket in a fault::datagram_socket. A
/// tcp:// or uring:// URL (fault+ too) gives datagrams over connections
/// (stream_datagram.hpp): the same interface, delivered in order over one
/// connection per destination.
any_datagram open_datagram(const asio::any_io_executor& ex, std::string_view url,
                          std::size_t datagram_bytes_max = udp::socket::datagram_bytes_limit);

} // namespace coronet
