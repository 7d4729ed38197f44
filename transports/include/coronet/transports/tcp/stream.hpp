#pragma once
// tcp:// streams over Boost.Asio (epoll).

#include <boost/asio/compose.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace coronet::tcp {

namespace asio = boost::asio;

class stream {
    // A connected TCP socket with the coronet stream contract. Asio's socket
    // already is the fast path (PEERS.md: Asio coroutines cost nothing over a
    // raw epoll loop), so this only fixes defaults: TCP_NODELAY on, and
    // use_awaitable as the completion token.
public:
    using executor_type = asio::any_io_executor;

    explicit stream(const executor_type& ex) : _socket(ex) {}
    explicit stream(asio::ip::tcp::socket socket) : _socket(std::move(socket)) {}

    executor_type get_executor() { return _socket.get_executor(); }
    asio::ip::tcp::socket& socket() { return _socket; }

    template <class MutableBuffers, class Token = asio::use_awaitable_t<>>
    auto async_read_some(const MutableBuffers& buffers, Token&& token = {}) {
        return _socket.async_read_some(buffers, std::forward<Token>(token));
    }

    template <class ConstBuffers, class Token = asio::use_awaitable_t<>>
    auto async_write_some(const ConstBuffers& buffers, Token&& token = {}) {
        return _socket.async_write_some(buffers, std::forward<Token>(token));
    }

    template <class Token = asio::use_awaitable_t<>>
    auto async_connect(const asio::ip::tcp::endpoint& peer, Token&& token = {}) {
        return asio::async_compose<Token, void(boost::system::error_code)>(
            [this, peer, started = false](auto& self, boost::system::error_code ec = {}) mutable {
                if (!started) {
                    started = true;
                    _socket.async_connect(peer, std::move(self));
                    return;
                }
                if (!ec) _socket.set_option(asio::ip::tcp::no_delay(true), ec);
                self.complete(ec);
            },
            token, _socket);
    }

    void shutdown(asio::socket_base::shutdown_type what) {
        boost::system::error_code ignored; // shutting down a reset socket is not an error worth raising
        _socket.shutdown(what, ignored);
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
    asio::ip::tcp::endpoint local_endpoint() const { return _socket.local_endpoint(); }
    asio::ip::tcp::endpoint remote_endpoint() const { return _socket.remote_endpoint(); }

private:
    asio::ip::tcp::socket _socket;
};

} // namespace coronet::tcp
