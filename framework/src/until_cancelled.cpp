#include <coronet/until_cancelled.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace coronet {

boost::asio::awaitable<void> until_cancelled() {
    namespace asio = boost::asio;
    asio::steady_timer park(co_await asio::this_coro::executor, asio::steady_timer::time_point::max());
    co_await park.async_wait(asio::as_tuple(asio::use_awaitable));
    co_await asio::this_coro::reset_cancellation_state();
}

} // namespace coronet
