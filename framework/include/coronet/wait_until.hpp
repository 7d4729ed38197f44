#pragma once
// A condition wait with a deadline: the coroutine sleeps on a `waiters` until
// done() holds or the timeout passes, on the executor's clock (virtual in the
// simulator). Whoever makes done() true notifies the waiters.

#include <coronet/clock.hpp>
#include <coronet/timer.hpp>
#include <coronet/waiters.hpp>

#include <boost/asio/this_coro.hpp>

#include <memory>

namespace coronet {

/// True if done() holds when it returns.
template <class Pred>
asio::awaitable<bool> wait_until(waiters& w, Pred done, duration timeout) {
    auto ex = co_await asio::this_coro::executor;
    auto expired = std::make_shared<bool>(false);
    coronet::timer t(ex, clock_of(ex));
    t.expires_at(clock_of(ex).now() + timeout);
    t.async_wait([expired, &w](boost::system::error_code ec) {
        if (ec) return;
        *expired = true;
        w.notify_all();
    });
    while (!done() && !*expired) co_await w.async_wait();
    t.cancel();
    co_return done();
}

} // namespace coronet
