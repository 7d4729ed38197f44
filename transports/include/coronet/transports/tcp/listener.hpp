#pragma once
// tcp:// listeners over Boost.Asio.

#include <coronet/transports/tcp/stream.hpp>

#include <boost/asio/compose.hpp>

namespace coronet::tcp {

class listener {
    // Binds and listens in the constructor, so a port in use is reported where
    // the endpoint is opened: system_error whose what() starts with the URL,
    // e.g. "tcp://127.0.0.1:7000: cannot listen: Address already in use".
public:
    using executor_type = asio::any_io_executor;

    listener(const executor_type& ex, const asio::ip::tcp::endpoint& at, int backlog = 1024);

    executor_type get_executor() { return _acceptor.get_executor(); }
    asio::ip::tcp::endpoint local_endpoint() const { return _acceptor.local_endpoint(); }

    /// Completes with a connected coronet::tcp::stream (TCP_NODELAY set).
    template <class Token = asio::use_awaitable_t<>>
    auto async_accept(Token&& token = {}) {
        return asio::async_compose<Token, void(boost::system::error_code, stream)>(
            [this, started = false](auto& self, boost::system::error_code ec = {},
                                    asio::ip::tcp::socket s = asio::ip::tcp::socket{asio::system_executor{}}) mutable {
                if (!started) {
                    started = true;
                    _acceptor.async_accept(std::move(self));
                    return;
                }
                if (!ec) {
                    boost::system::error_code ignored;
                    s.set_option(asio::ip::tcp::no_delay(true), ignored);
                }
                self.complete(ec, stream(std::move(s)));
            },
            token, _acceptor);
    }

    void cancel() {
        boost::system::error_code ignored;
        _acceptor.cancel(ignored);
    }
    void close() {
        boost::system::error_code ignored;
        _acceptor.close(ignored);
    }

private:
    asio::ip::tcp::acceptor _acceptor;
};

} // namespace coronet::tcp
