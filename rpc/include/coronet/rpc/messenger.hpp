#pragma once
// One-way message passing: coronet's own extension, not part of the Cap'n
// Proto RPC protocol. A messenger's connection opens with an 8-byte preface
// that no standard peer sends (as a frame header it would claim 2^32
// segments), then carries frames whose root is an rpc.capnp `Call` struct:
// interface, method and params, no question id and no Return. A coronet
// rpc::server recognises the preface and runs each message on its bootstrap
// service with the results discarded; a standard peer would reject it.

#include <coronet/rpc/connection.hpp>

#include <array>
#include <cstddef>

namespace coronet::rpc {

/// The bytes a one-way connection starts with.
inline constexpr std::array<std::byte, 8> one_way_preface{std::byte{0xff}, std::byte{0xff}, std::byte{0xff},
                                                          std::byte{0xff}, std::byte{'C'},  std::byte{'N'},
                                                          std::byte{'1'},  std::byte{'W'}};

class messenger {
    // Fire and forget: post() completes once the message is queued for the
    // socket (it waits only while send_queue_bytes_max is reached, so a slow
    // receiver slows the sender instead of growing its memory). Nothing
    // reports whether the receiver ran it: that is the difference from a call.
    // Messages from one messenger are started in order; they may finish in
    // any order. Single executor, like rpc::connection.
public:
    messenger() = default;
    explicit messenger(any_stream s, connection_options o = {}, logger_ptr log = {});
    messenger(messenger&&) noexcept;
    messenger& operator=(messenger&&) noexcept;
    /// Closes once what is queued is written.
    ~messenger();

    template <class Params, class Fill>
    asio::awaitable<void> post(std::uint64_t interface_id, std::uint16_t method_id, Fill&& fill) {
        return post_impl<Params>(_state, interface_id, method_id, std::decay_t<Fill>(std::forward<Fill>(fill)));
    }

    void close();
    bool is_open() const;
    connection_counters counters() const;

private:
    template <class Params, class Fill>
    static asio::awaitable<void> post_impl(std::shared_ptr<detail::connection_state> s, std::uint64_t interface_id,
                                           std::uint16_t method_id, Fill fill) {
        co_await post_raw(s, interface_id, method_id,
                          [&](capnp::AnyPointer::Builder p) { fill(p.initAs<Params>()); });
    }
    static asio::awaitable<void> post_raw(std::shared_ptr<detail::connection_state> s, std::uint64_t interface_id,
                                          std::uint16_t method_id,
                                          kj::FunctionParam<void(capnp::AnyPointer::Builder)> fill);
    std::shared_ptr<detail::connection_state> _state;
};

/// Connects to a coronet rpc::server's URL for one-way messages.
asio::awaitable<messenger> connect_messenger(std::string_view url, connection_options o = {}, logger_ptr log = {});

} // namespace coronet::rpc
