#pragma once
// udp:// datagrams over Boost.Asio: connectionless, boundaries kept.

#include <boost/asio/append.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <sys/socket.h>

namespace coronet::udp {

namespace asio = boost::asio;

class socket {
    // One datagram per send and per receive; nothing is split or merged.
    // Oversize is an error, never silent truncation: a send larger than
    // datagram_bytes_max fails with asio::error::message_size before reaching
    // the kernel, and a datagram larger than the receive buffer completes with
    // message_size (the kernel reports its true length thanks to MSG_TRUNC).
public:
    using executor_type = asio::any_io_executor;
    /// The largest UDP payload over IPv4 (65535 - 8 - 20).
    static constexpr std::size_t datagram_bytes_limit = 65507;

    socket(const executor_type& ex, const asio::ip::udp::endpoint& at,
           std::size_t datagram_bytes_max = datagram_bytes_limit);

    executor_type get_executor() { return _socket.get_executor(); }
    asio::ip::udp::endpoint local_endpoint() const { return _socket.local_endpoint(); }
    std::size_t datagram_bytes_max() const { return _datagram_bytes_max; }

    template <class ConstBuffers, class Token = asio::use_awaitable_t<>>
    auto async_send_to(const ConstBuffers& buffers, const asio::ip::udp::endpoint& to, Token&& token = {}) {
        return asio::async_compose<Token, void(boost::system::error_code, std::size_t)>(
            [this, buffers, to, started = false](auto& self, boost::system::error_code ec = {},
                                                 std::size_t n = 0) mutable {
                if (!started) {
                    started = true;
                    if (asio::buffer_size(buffers) > _datagram_bytes_max) {
                        asio::post(_socket.get_executor(), asio::append(std::move(self),
                                   asio::error::make_error_code(asio::error::message_size), std::size_t{0}));
                        return;
                    }
                    _socket.async_send_to(buffers, to, std::move(self));
                    return;
                }
                self.complete(ec, n);
            },
            token, _socket);
    }

    template <class MutableBuffers, class Token = asio::use_awaitable_t<>>
    auto async_receive_from(const MutableBuffers& buffers, asio::ip::udp::endpoint& from, Token&& token = {}) {
        return asio::async_compose<Token, void(boost::system::error_code, std::size_t)>(
            [this, buffers, &from, started = false](auto& self, boost::system::error_code ec = {},
                                                    std::size_t n = 0) mutable {
                if (!started) {
                    started = true;
                    _socket.async_receive_from(buffers, from, MSG_TRUNC, std::move(self));
                    return;
                }
                if (!ec && n > asio::buffer_size(buffers)) {
                    ec = asio::error::message_size;
                    n = asio::buffer_size(buffers);
                }
                self.complete(ec, n);
            },
            token, _socket);
    }

    void cancel() {
        boost::system::error_code ignored;
        _socket.cancel(ignored);
    }
    void close() {
        boost::system::error_code ignored;
        _socket.close(ignored);
    }
    bool is_open() const { return _socket.is_open(); }
    asio::ip::udp::socket& native() { return _socket; }

private:
    asio::ip::udp::socket _socket;
    std::size_t _datagram_bytes_max;
};

} // namespace coronet::udp
