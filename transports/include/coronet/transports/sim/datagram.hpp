#pragma once
// sim:// datagrams: connectionless and unreliable like UDP — lost, duplicated
// and reordered as the link says, boundaries always kept.

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <memory>

namespace coronet::sim {

namespace asio = boost::asio;

namespace detail {
struct datagram_state;
}

class datagram_socket {
    // Same calls as coronet::udp::socket. A send larger than the path's MTU
    // fails with message_size; a datagram larger than the receive buffer
    // completes with message_size (never silently truncated).
public:
    using executor_type = asio::any_io_executor;
    using io_handler = asio::any_completion_handler<void(boost::system::error_code, std::size_t)>;
    static constexpr std::size_t datagram_bytes_limit = 65507;

    /// Binds `port` (0: ephemeral) on the node whose executor `ex` is.
    datagram_socket(const executor_type& ex, std::uint16_t port,
                    std::size_t datagram_bytes_max = datagram_bytes_limit);
    datagram_socket(datagram_socket&&) noexcept;
    datagram_socket& operator=(datagram_socket&&) noexcept;
    ~datagram_socket();

    executor_type get_executor() { return _ex; }
    asio::ip::udp::endpoint local_endpoint() const;
    std::size_t datagram_bytes_max() const { return _datagram_bytes_max; }

    template <class ConstBuffers, class Token = asio::use_awaitable_t<>>
    auto async_send_to(const ConstBuffers& buffers, const asio::ip::udp::endpoint& to, Token&& token = {}) {
        return asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
            [](io_handler h, datagram_socket* s, const ConstBuffers& b, asio::ip::udp::endpoint to) {
                std::vector<std::byte> bytes(asio::buffer_size(b));
                asio::buffer_copy(asio::buffer(bytes), b);
                s->send_to(std::move(bytes), to, std::move(h));
            },
            token, this, buffers, to);
    }

    template <class MutableBuffers, class Token = asio::use_awaitable_t<>>
    auto async_receive_from(const MutableBuffers& buffers, asio::ip::udp::endpoint& from, Token&& token = {}) {
        return asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
            [](io_handler h, datagram_socket* s, asio::mutable_buffer b, asio::ip::udp::endpoint* from) {
                s->receive_from(b, *from, std::move(h));
            },
            token, this, asio::mutable_buffer(*asio::buffer_sequence_begin(buffers)), &from);
    }

    void cancel();
    void close();
    bool is_open() const;

private:
    void send_to(std::vector<std::byte> bytes, const asio::ip::udp::endpoint& to, io_handler h);
    void receive_from(asio::mutable_buffer b, asio::ip::udp::endpoint& from, io_handler h);

    executor_type _ex;
    std::shared_ptr<detail::datagram_state> _state;
    std::size_t _datagram_bytes_max;
};

} // namespace coronet::sim
