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
    // Shared with the timer's handler, which can outlive this frame: when the
    // timer expires in the same turn of the event loop that wakes us (a
    // process resumed after SIGSTOP, a loaded machine), its completion is
    // already queued with success and cancel() cannot take it back. By then
    // `w` may be gone with the object that held it, so the handler checks
    // `finished` before touching it.
    struct state {
        bool expired = false;
        bool finished = false;
    };
    auto s = std::make_shared<state>();
    coronet::timer t(ex, clock_of(ex));
    t.expires_at(clock_of(ex).now() + timeout);
    t.async_wait([s, &w](boost::system::error_code ec) {
        if (ec || s->finished) return;
        s->expired = true;
        w.notify_all();
    });
    while (!done() && !s->expired) co_await w.async_wait();
    s->finished = true;
    t.cancel();
    co_return done();
}

} // namespace coronet
