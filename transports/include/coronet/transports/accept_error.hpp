#pragma once
// What an accept loop does about a failed accept: an aborted handshake is the
// peer's business (accept the next one), running out of descriptors or
// buffers passes (back off, then retry), and a listener that is closed or
// whose network is gone (a crashed sim:// node) will not accept again (stop:
// retrying would spin).

#include <coronet/clock.hpp>
#include <coronet/timer.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/error.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>

namespace coronet {

enum class accept_action { next, back_off, stop };

inline accept_action on_accept_error(const boost::system::error_code& ec) {
    namespace error = boost::asio::error;
    if (ec == error::operation_aborted || ec == error::bad_descriptor || ec == error::network_down ||
        ec == error::shut_down || ec == error::not_socket)
        return accept_action::stop;
    if (ec == error::connection_aborted || ec == error::connection_reset || ec == error::try_again)
        return accept_action::next;
    return accept_action::back_off; // EMFILE, ENFILE, ENOBUFS, ENOMEM, ...
}

/// The pause before retrying after accept_action::back_off (on the
/// executor's clock, so virtual in the simulator).
inline boost::asio::awaitable<void> accept_back_off(const boost::asio::any_io_executor& ex) {
    coronet::timer t(ex, clock_of(ex));
    t.expires_at(clock_of(ex).now() + std::chrono::milliseconds(10));
    co_await t.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
}

} // namespace coronet
