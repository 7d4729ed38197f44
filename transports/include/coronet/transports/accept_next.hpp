#pragma once
// The one accept loop every server needs: the next stream, or nothing once
// the listener will not accept again. Transient failures are logged and
// retried (after a pause when descriptors or buffers ran out; see
// accept_error.hpp), so a server's loop is just
//     while (auto s = co_await accept_next(listener, *log)) serve(std::move(*s));

#include <coronet/transports/accept_error.hpp>
#include <coronet/transports/any_listener.hpp>

#include <spdlog/logger.h>

#include <optional>

namespace coronet {

inline asio::awaitable<std::optional<any_stream>> accept_next(any_listener& listener, spdlog::logger& log) {
    for (;;) {
        auto [ec, s] = co_await listener.async_accept(asio::as_tuple(asio::use_awaitable));
        if (!ec) co_return std::optional<any_stream>(std::move(s));
        auto action = on_accept_error(ec);
        if (action == accept_action::stop) {
            if (ec != asio::error::operation_aborted) log.warn("{}: stops accepting: {}", listener.url(), ec.message());
            co_return std::nullopt;
        }
        log.warn("{}: accept failed: {}", listener.url(), ec.message());
        if (action == accept_action::back_off) co_await accept_back_off(listener.get_executor());
    }
}

} // namespace coronet
