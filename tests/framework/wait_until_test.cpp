#include <coronet/manual_clock.hpp>
#include <coronet/wait_until.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

using namespace coronet;
using namespace std::chrono_literals;

TEST_CASE("wait_until returns true once the condition holds and is notified", "[wait_until]") {
    asio::io_context ctx;
    manual_clock clock;
    use_clock(ctx, clock);
    waiters w(ctx.get_executor());
    bool flag = false;
    int result = -1;
    asio::co_spawn(ctx, [&]() -> asio::awaitable<void> {
        result = co_await wait_until(w, [&] { return flag; }, 5s);
    }, asio::detached);
    ctx.poll();
    CHECK(result == -1);
    flag = true;
    w.notify_all();
    ctx.poll();
    CHECK(result == 1);
    CHECK(clock.pending_waits() == 0); // the timer was cancelled
}

TEST_CASE("wait_until returns false when the timeout passes first", "[wait_until]") {
    asio::io_context ctx;
    manual_clock clock;
    use_clock(ctx, clock);
    waiters w(ctx.get_executor());
    int result = -1;
    asio::co_spawn(ctx, [&]() -> asio::awaitable<void> {
        result = co_await wait_until(w, [] { return false; }, 5s);
    }, asio::detached);
    ctx.poll();
    clock.advance(4s);
    ctx.poll();
    CHECK(result == -1);
    clock.advance(1s);
    ctx.poll();
    CHECK(result == 0);
    CHECK(w.empty());
}

// After a stop-the-world pause the timer's expiry and the wake-up land in the
// same turn of the event loop: the timer's completion is already queued when
// the waiter resumes, so cancelling it is too late. Its handler must then leave
// the waiters alone; they may belong to an object freed since (a Raft call that
// was answered), or, as here, be waited on again for something else.
TEST_CASE("a timeout already queued when the condition is met neither wakes later waits nor touches the waiters",
          "[wait_until]") {
    asio::io_context ctx;
    manual_clock clock;
    use_clock(ctx, clock);
    waiters w(ctx.get_executor());
    bool flag = false;
    int result = -1;
    bool woken_again = false;
    asio::co_spawn(ctx, [&]() -> asio::awaitable<void> {
        result = co_await wait_until(w, [&] { return flag; }, 1s);
        co_await w.async_wait(); // only an explicit notify should end this
        woken_again = true;
    }, asio::detached);
    ctx.poll();
    flag = true;
    w.notify_all();    // queues the waiter's resumption...
    clock.advance(1s); // ...then the timer's completion, with success
    ctx.poll();
    CHECK(result == 1);
    CHECK_FALSE(woken_again);
    CHECK_FALSE(w.empty());
    w.notify_all();
    ctx.poll();
    CHECK(woken_again);
}
