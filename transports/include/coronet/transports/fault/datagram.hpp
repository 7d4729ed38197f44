#pragma once
// udp:// with faults: a coronet::udp::socket whose sends are lost, delayed,
// duplicated, reordered or blackholed as a shared fault::plan says.

#include <coronet/clock.hpp>
#include <coronet/transports/fault/plan.hpp>
#include <coronet/transports/stream.hpp>
#include <coronet/transports/udp.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>

#include <memory>
#include <vector>

namespace coronet::fault {

namespace detail {
class datagram_core;
}

class datagram_socket {
    // Same calls as coronet::udp::socket, so it fits coronet::any_datagram.
    //
    // Faults apply on the sending side, where a real network would apply them
    // on the path: a lost datagram still completes its send with success and
    // its full size (UDP never tells the sender). A delayed, duplicated or
    // held-back datagram is copied, its send completes at once (as when the
    // kernel queues it) and the copy is sent later by this socket. Blocked
    // peers are cut off both ways: sends to them vanish, and datagrams from
    // them are discarded by receives.
    //
    // Oversize sends still fail with message_size, whatever the plan says.
    // Datagrams still delayed when the socket is closed or destroyed are lost,
    // as datagrams in flight may be. Delays run on the socket's clock
    // (clock_of(executor) unless one is given), so a manual_clock drives them
    // in tests. Single executor, like the socket it wraps.
public:
    using executor_type = asio::any_io_executor;
    using io_handler = asio::any_completion_handler<void(boost::system::error_code, std::size_t)>;
    /// Datagrams waiting for their delay or held back for reordering; beyond
    /// this, new ones are lost (counted as `overflowed`), as at a full queue.
    static constexpr std::size_t delayed_max = 4096;

    datagram_socket(udp::socket next, std::shared_ptr<plan> p);
    datagram_socket(udp::socket next, std::shared_ptr<plan> p, clock& c);
    datagram_socket(datagram_socket&&) noexcept;
    datagram_socket& operator=(datagram_socket&&) noexcept;
    /// Closes the socket.
    ~datagram_socket();

    executor_type get_executor();
    asio::ip::udp::endpoint local_endpoint() const;
    std::size_t datagram_bytes_max() const;
    const std::shared_ptr<fault::plan>& get_plan() const;
    /// Datagrams accepted but not yet handed to the kernel.
    std::size_t delayed() const;

    template <class ConstBuffers, class Token = asio::use_awaitable_t<>>
    auto async_send_to(const ConstBuffers& buffers, const asio::ip::udp::endpoint& to, Token&& token = {}) {
        return asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
            [](io_handler h, detail::datagram_core* c, const ConstBuffers& b, asio::ip::udp::endpoint to) {
                // One contiguous buffer is the common case and needs no copy.
                auto first = asio::buffer_sequence_begin(b);
                if (first != asio::buffer_sequence_end(b) && std::next(first) == asio::buffer_sequence_end(b))
                    return send_to(c, asio::const_buffer(*first), to, std::move(h), nullptr);
                auto joined = std::make_shared<std::vector<char>>(asio::buffer_size(b));
                asio::buffer_copy(asio::buffer(*joined), b);
                send_to(c, asio::buffer(*joined), to, std::move(h), joined);
            },
            token, _core.get(), buffers, to);
    }

    /// Completes with the next datagram from a peer that is not blocked.
    template <class MutableBuffers, class Token = asio::use_awaitable_t<>>
    auto async_receive_from(const MutableBuffers& buffers, asio::ip::udp::endpoint& from, Token&& token = {}) {
        return asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
            [](io_handler h, detail::datagram_core* c, asio::mutable_buffer b, asio::ip::udp::endpoint* from) {
                receive_from(c, b, *from, std::move(h));
            },
            token, _core.get(), first_buffer(buffers), &from);
    }

    /// Aborts pending receives; delayed datagrams are still sent.
    void cancel();
    void close();
    bool is_open() const;
    udp::socket& next_layer();

private:
    /// `keep` owns the bytes of `b` until the send completes, if needed.
    static void send_to(detail::datagram_core* c, asio::const_buffer b, const asio::ip::udp::endpoint& to,
                        io_handler h, std::shared_ptr<void> keep);
    static void receive_from(detail::datagram_core* c, asio::mutable_buffer b, asio::ip::udp::endpoint& from,
                             io_handler h);

    // Shared with the timers of delayed datagrams, which hold it weakly.
    std::shared_ptr<detail::datagram_core> _core;
};

} // namespace coronet::fault
