#pragma once
// uring:// streams: TCP on coronet's own io_uring.

#include <coronet/transports/stream.hpp>
#include <coronet/transports/uring/service.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/socket_base.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <sys/uio.h>

#include <array>
#include <memory>
#include <tuple>

namespace coronet::uring {

namespace detail {
class stream_state;
}

class stream {
    // A connected TCP socket whose I/O goes through the io_context's ring:
    // receives are one multishot RECV into provided buffers (one SQE for the
    // life of the connection, re-armed only when the kernel ends it), reads copy
    // from those buffers, writes are SEND / SENDMSG (gather). Meets
    // docs/stream-contract.md. Destroying it with operations in flight is safe:
    // they are cancelled and the service frees them when the kernel lets go.
public:
    using executor_type = asio::any_io_executor;
    using io_handler = asio::any_completion_handler<void(boost::system::error_code, std::size_t)>;
    // A coroutine awaiting as_tuple(use_awaitable) hands over its own handler
    // type: no box, no copies of type-erased executors, no allocation.
    using io_result = std::tuple<boost::system::error_code, std::size_t>;
    using awaitable_io_handler = asio::async_result<asio::use_awaitable_t<>, void(io_result)>::handler_type;
    using awaitable_result_t = asio::as_tuple_t<asio::use_awaitable_t<>>;
    using connect_handler = asio::any_completion_handler<void(boost::system::error_code)>;
    static constexpr std::size_t gather_buffers_max = 16;

    explicit stream(const executor_type& ex);
    /// Adopts a connected socket.
    stream(const executor_type& ex, int fd);
    stream(stream&&) noexcept;
    stream& operator=(stream&&) noexcept;
    ~stream();

    executor_type get_executor() const { return _ex; }

    template <class MutableBuffers, class Token = asio::use_awaitable_t<>>
    auto async_read_some(const MutableBuffers& buffers, Token&& token = {}) {
        if constexpr (std::same_as<std::decay_t<Token>, awaitable_result_t>)
            return asio::async_initiate<const asio::use_awaitable_t<>, void(io_result)>(
                [](awaitable_io_handler h, stream* self, asio::mutable_buffer b) { self->start_read(b, std::move(h)); },
                asio::use_awaitable, this, first_buffer(buffers));
        else
            return asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
                [](io_handler h, stream* self, asio::mutable_buffer b) { self->start_read(b, std::move(h)); }, token,
                this, first_buffer(buffers));
    }

    template <class ConstBuffers, class Token = asio::use_awaitable_t<>>
    auto async_write_some(const ConstBuffers& buffers, Token&& token = {}) {
        iovecs v{};
        for (auto it = asio::buffer_sequence_begin(buffers);
             it != asio::buffer_sequence_end(buffers) && v.count < gather_buffers_max; ++it)
            if (asio::const_buffer b(*it); b.size() > 0)
                v.items[v.count++] = {const_cast<void*>(b.data()), b.size()};
        if constexpr (std::same_as<std::decay_t<Token>, awaitable_result_t>)
            return asio::async_initiate<const asio::use_awaitable_t<>, void(io_result)>(
                [](awaitable_io_handler h, stream* self, const iovecs& v) { self->start_write(v, std::move(h)); },
                asio::use_awaitable, this, v);
        else
            return asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
                [](io_handler h, stream* self, const iovecs& v) { self->start_write(v, std::move(h)); }, token, this, v);
    }

    template <class Token = asio::use_awaitable_t<>>
    auto async_connect(const asio::ip::tcp::endpoint& peer, Token&& token = {}) {
        return asio::async_initiate<Token, void(boost::system::error_code)>(
            [](connect_handler h, stream* self, const asio::ip::tcp::endpoint& p) {
                self->start_connect(p, std::move(h));
            },
            token, this, peer);
    }

    void shutdown(asio::socket_base::shutdown_type what);
    /// Every pending operation completes with operation_aborted.
    void cancel();
    void close();
    bool is_open() const;
    asio::ip::tcp::endpoint local_endpoint() const;
    asio::ip::tcp::endpoint remote_endpoint() const;
    int native_handle() const;

    struct iovecs {
        std::array<::iovec, gather_buffers_max> items;
        std::size_t count = 0;
    };

private:
    void start_read(asio::mutable_buffer b, io_handler h);
    void start_read(asio::mutable_buffer b, awaitable_io_handler h);
    void start_write(const iovecs& v, io_handler h);
    void start_write(const iovecs& v, awaitable_io_handler h);
    void start_connect(const asio::ip::tcp::endpoint& peer, connect_handler h);

    executor_type _ex;
    std::shared_ptr<detail::stream_state> _state; // shared with its in-flight operations
};

} // namespace coronet::uring
