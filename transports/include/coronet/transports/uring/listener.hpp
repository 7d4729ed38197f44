#pragma once
// uring:// listeners: one multishot ACCEPT for the life of the listener.

#include <coronet/transports/uring/stream.hpp>

namespace coronet::uring {

namespace detail {
class listener_state;
}

class listener {
    // Binds and listens in the constructor (errors name the URL, e.g.
    // "uring://127.0.0.1:7000: cannot listen: Address already in use").
    // Connections the kernel accepts before the application asks are queued up
    // to accepted_max; beyond that the multishot accept is paused and the
    // kernel's backlog holds the rest.
    // \note After close(), the port may stay busy for a few milliseconds until
    // the kernel has torn down the cancelled accept; reuse ports with care.
public:
    using executor_type = asio::any_io_executor;
    using accept_handler = asio::any_completion_handler<void(boost::system::error_code, stream)>;
    static constexpr std::size_t accepted_max = 256;

    listener(const executor_type& ex, const asio::ip::tcp::endpoint& at, int backlog = 1024);
    listener(listener&&) noexcept;
    listener& operator=(listener&&) noexcept;
    ~listener();

    executor_type get_executor() const { return _ex; }
    asio::ip::tcp::endpoint local_endpoint() const;

    template <class Token = asio::use_awaitable_t<>>
    auto async_accept(Token&& token = {}) {
        return asio::async_initiate<Token, void(boost::system::error_code, stream)>(
            [](accept_handler h, listener* self) { self->start_accept(std::move(h)); }, token, this);
    }

    void cancel();
    void close();

private:
    void start_accept(accept_handler h);
    executor_type _ex;
    std::shared_ptr<detail::listener_state> _state;
};

} // namespace coronet::uring
