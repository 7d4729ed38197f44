#pragma once
// A datagram socket of any transport (udp://, sim://), chosen at run time.

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/consign.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <memory>

namespace coronet {

namespace asio = boost::asio;

template <class D>
concept datagram_socket = requires(D& d, asio::const_buffer cb, asio::mutable_buffer mb, asio::ip::udp::endpoint ep) {
    typename D::executor_type;
    d.async_send_to(asio::const_buffers_1(cb), ep, asio::use_awaitable);
    d.async_receive_from(asio::mutable_buffers_1(mb), ep, asio::use_awaitable);
    { d.local_endpoint() } -> std::convertible_to<asio::ip::udp::endpoint>;
    { d.datagram_bytes_max() } -> std::convertible_to<std::size_t>;
    d.cancel();
    d.close();
};

class any_datagram {
    // One datagram per send and per receive on every transport; oversize is
    // message_size both ways (see udp::socket). Sends gather their buffers
    // into one datagram; receives fill the first buffer.
public:
    using executor_type = asio::any_io_executor;
    using io_handler = asio::any_completion_handler<void(boost::system::error_code, std::size_t)>;

    any_datagram() = default;
    template <datagram_socket D>
        requires(!std::same_as<std::remove_cvref_t<D>, any_datagram>)
    explicit any_datagram(D d) : _impl(std::make_unique<model<D>>(std::move(d))) {}

    explicit operator bool() const { return _impl != nullptr; }
    executor_type get_executor() { return _impl->executor(); }
    asio::ip::udp::endpoint local_endpoint() const { return _impl->local_endpoint(); }
    std::size_t datagram_bytes_max() const { return _impl->datagram_bytes_max(); }

    template <class ConstBuffers, class Token = asio::use_awaitable_t<>>
    auto async_send_to(const ConstBuffers& buffers, const asio::ip::udp::endpoint& to, Token&& token = {}) {
        return asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
            [](io_handler h, impl* i, const ConstBuffers& b, asio::ip::udp::endpoint to) {
                // One contiguous buffer is the common case and needs no copy.
                if (asio::buffer_sequence_begin(b) != asio::buffer_sequence_end(b) &&
                    std::next(asio::buffer_sequence_begin(b)) == asio::buffer_sequence_end(b))
                    return i->send_to(asio::const_buffer(*asio::buffer_sequence_begin(b)), to, std::move(h), nullptr);
                auto joined = std::make_shared<std::vector<char>>(asio::buffer_size(b));
                asio::buffer_copy(asio::buffer(*joined), b);
                i->send_to(asio::buffer(*joined), to, std::move(h), joined);
            },
            token, _impl.get(), buffers, to);
    }

    template <class MutableBuffers, class Token = asio::use_awaitable_t<>>
    auto async_receive_from(const MutableBuffers& buffers, asio::ip::udp::endpoint& from, Token&& token = {}) {
        return asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
            [](io_handler h, impl* i, asio::mutable_buffer b, asio::ip::udp::endpoint* from) {
                i->receive_from(b, *from, std::move(h));
            },
            token, _impl.get(), asio::mutable_buffer(*asio::buffer_sequence_begin(buffers)), &from);
    }

    void cancel() { _impl->cancel(); }
    void close() { _impl->close(); }
    bool is_open() const { return _impl && _impl->is_open(); }

private:
    struct impl {
        virtual ~impl() = default;
        virtual executor_type executor() = 0;
        virtual asio::ip::udp::endpoint local_endpoint() const = 0;
        virtual std::size_t datagram_bytes_max() const = 0;
        /// `keep` owns the bytes of `b` until the send completes, if needed.
        virtual void send_to(asio::const_buffer b, const asio::ip::udp::endpoint& to, io_handler h,
                             std::shared_ptr<void> keep) = 0;
        virtual void receive_from(asio::mutable_buffer b, asio::ip::udp::endpoint& from, io_handler h) = 0;
        virtual void cancel() = 0;
        virtual void close() = 0;
        virtual bool is_open() const = 0;
    };
    template <class D>
    struct model final : impl {
        explicit model(D d) : socket(std::move(d)) {}
        executor_type executor() override { return socket.get_executor(); }
        asio::ip::udp::endpoint local_endpoint() const override { return socket.local_endpoint(); }
        std::size_t datagram_bytes_max() const override { return socket.datagram_bytes_max(); }
        void send_to(asio::const_buffer b, const asio::ip::udp::endpoint& to, io_handler h,
                     std::shared_ptr<void> keep) override {
            socket.async_send_to(asio::const_buffers_1(b), to, asio::consign(std::move(h), std::move(keep)));
        }
        void receive_from(asio::mutable_buffer b, asio::ip::udp::endpoint& from, io_handler h) override {
            socket.async_receive_from(asio::mutable_buffers_1(b), from, std::move(h));
        }
        void cancel() override { socket.cancel(); }
        void close() override { socket.close(); }
        bool is_open() const override { return socket.is_open(); }
        D socket;
    };
    std::unique_ptr<impl> _impl;
};

} // namespace coronet
