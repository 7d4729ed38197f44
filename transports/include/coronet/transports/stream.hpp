#pragma once
// The stream concept every transport models (see docs/stream-contract.md).

#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/socket_base.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <array>
#include <concepts>

namespace coronet {

namespace asio = boost::asio;

template <class S>
concept stream = requires(S& s, asio::mutable_buffer mb, std::array<asio::const_buffer, 2> cb) {
    typename S::executor_type;
    { s.get_executor() } -> std::convertible_to<typename S::executor_type>;
    s.async_read_some(mb, asio::use_awaitable);
    s.async_write_some(cb, asio::use_awaitable);
    s.shutdown(asio::socket_base::shutdown_send);
    s.cancel();
    s.close();
    { s.is_open() } -> std::convertible_to<bool>;
};

/// The first non-empty buffer of a sequence: what a read_some may fill alone.
template <class MutableBuffers>
asio::mutable_buffer first_buffer(const MutableBuffers& buffers) {
    for (auto it = asio::buffer_sequence_begin(buffers); it != asio::buffer_sequence_end(buffers); ++it)
        if (asio::mutable_buffer b(*it); b.size() > 0) return b;
    return {};
}

template <class L>
concept listener = requires(L& l) {
    l.async_accept(asio::use_awaitable);
    { l.local_endpoint() } -> std::convertible_to<asio::ip::tcp::endpoint>;
    l.cancel();
    l.close();
};

} // namespace coronet
