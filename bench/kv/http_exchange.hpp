#pragma once
// One HTTP/1.1 request and its response on a Beast stream, as a coroutine
// with a deadline, errors returned rather than thrown: the load generator
// and the failover prober both count failures instead of unwinding.

#include "kv_system.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <chrono>
#include <cstdint>
#include <string_view>

namespace coronet::bench::kv_bench {

/// Connects `stream` to 127.0.0.1:port with TCP_NODELAY (the request's
/// header and body may leave as two writes; Nagle would hold the second).
boost::asio::awaitable<boost::system::error_code> connect_loopback(boost::beast::tcp_stream& stream,
                                                                    std::uint16_t port,
                                                                    std::chrono::milliseconds timeout);

/// Writes `req` and reads the response into `res`, both within `timeout`.
/// `buffer` keeps bytes read past the response for the next one: one per
/// connection. On error, or when the server will close the connection, the
/// stream is closed (a deadline closes it too): the caller reconnects when
/// `stream.socket().is_open()` is false.
boost::asio::awaitable<boost::system::error_code> exchange(boost::beast::tcp_stream& stream,
                                                            boost::beast::flat_buffer& buffer,
                                                            const http_request& req, http_response& res,
                                                            std::chrono::milliseconds timeout);

/// The port of a redirect's Location (http://127.0.0.1:PORT/…); 0 if none.
std::uint16_t redirect_port(std::string_view location);

} // namespace coronet::bench::kv_bench
