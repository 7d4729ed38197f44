#pragma once
// sim:// streams: simulated TCP between nodes of a sim::network. Reliable and
// ordered over a lossy, duplicating, reordering link, as TCP is: loss costs
// retransmission time, a partition stalls the stream and, if it lasts, times
// it out; a crashed peer resets it.

#include <coronet/transports/stream.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <memory>

namespace coronet::sim {

namespace detail {
struct stream_end;
struct listener_state;
} // namespace detail

class stream {
public:
    using executor_type = asio::any_io_executor;
    using io_handler = asio::any_completion_handler<void(boost::system::error_code, std::size_t)>;
    using connect_handler = asio::any_completion_handler<void(boost::system::error_code)>;

    /// An unconnected stream on a sim node's executor (throws
    /// std::invalid_argument for an executor that is not a sim node's).
    explicit stream(const executor_type& ex);
    explicit stream(std::shared_ptr<detail::stream_end> end);
    stream(stream&&) noexcept;
    stream& operator=(stream&&) noexcept;
    ~stream();

    executor_type get_executor() { return _ex; }

    template <class Token = asio::use_awaitable_t<>>
    auto async_connect(const asio::ip::tcp::endpoint& to, Token&& token = {}) {
        return asio::async_initiate<Token, void(boost::system::error_code)>(
            [](connect_handler h, stream* s, asio::ip::tcp::endpoint to) { s->connect(to, std::move(h)); }, token,
            this, to);
    }
    template <class MutableBuffers, class Token = asio::use_awaitable_t<>>
    auto async_read_some(const MutableBuffers& buffers, Token&& token = {}) {
        return asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
            [](io_handler h, stream* s, asio::mutable_buffer b) { s->read_some(b, std::move(h)); }, token, this,
            first_buffer(buffers));
    }
    template <class ConstBuffers, class Token = asio::use_awaitable_t<>>
    auto async_write_some(const ConstBuffers& buffers, Token&& token = {}) {
        // Gathers into one segment; write_some may take fewer bytes.
        return asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
            [](io_handler h, stream* s, const ConstBuffers& b) {
                std::array<asio::const_buffer, 16> parts;
                std::size_t n = 0;
                for (auto it = asio::buffer_sequence_begin(b); it != asio::buffer_sequence_end(b) && n < parts.size();
                     ++it)
                    if (asio::const_buffer c(*it); c.size() > 0) parts[n++] = c;
                s->write_some(std::span(parts.data(), n), std::move(h));
            },
            token, this, buffers);
    }

    void shutdown(asio::socket_base::shutdown_type what);
    void cancel();
    void close();
    bool is_open() const;
    asio::ip::tcp::endpoint local_endpoint() const;
    asio::ip::tcp::endpoint remote_endpoint() const;

private:
    void connect(asio::ip::tcp::endpoint to, connect_handler h);
    void read_some(asio::mutable_buffer b, io_handler h);
    void write_some(std::span<const asio::const_buffer> b, io_handler h);

    executor_type _ex;
    std::shared_ptr<detail::stream_end> _end;
};

class listener {
public:
    using executor_type = asio::any_io_executor;
    using accept_handler = asio::any_completion_handler<void(boost::system::error_code, stream)>;

    /// Listens on port `port` (0: an ephemeral port) of the node whose
    /// executor `ex` is. Throws system_error(address_in_use) if taken.
    listener(const executor_type& ex, std::uint16_t port, std::size_t backlog = 0);
    listener(listener&&) noexcept;
    listener& operator=(listener&&) noexcept;
    ~listener();

    executor_type get_executor() { return _ex; }

    template <class Token = asio::use_awaitable_t<>>
    auto async_accept(Token&& token = {}) {
        return asio::async_initiate<Token, void(boost::system::error_code, stream)>(
            [](accept_handler h, listener* l) { l->accept(std::move(h)); }, token, this);
    }

    asio::ip::tcp::endpoint local_endpoint() const;
    void cancel();
    void close();

private:
    void accept(accept_handler h);

    executor_type _ex;
    std::shared_ptr<detail::listener_state> _state;
};

static_assert(coronet::stream<stream>);
static_assert(coronet::listener<listener>);

} // namespace coronet::sim
