#include <coronet/deadline.hpp>
#include <coronet/manual_clock.hpp>
#include <coronet/timer.hpp>

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

using namespace coronet;
using namespace std::chrono_literals;

TEST_CASE("a deadline fires once its expiry passes", "[deadline]") {
    asio::io_context ctx;
    manual_clock clock;
    int fired = 0;
    deadline d(ctx.get_executor(), clock, [&] { ++fired; });
    d.expires_after(5s);
    clock.advance(4s);
    ctx.poll();
    CHECK(fired == 0);
    CHECK_FALSE(d.expired());
    clock.advance(1s);
    ctx.poll();
    CHECK(fired == 1);
    CHECK(d.expired());
}

TEST_CASE("moving a deadline later re-arms the timer lazily instead of firing", "[deadline]") {
    asio::io_context ctx;
    manual_clock clock;
    int fired = 0;
    deadline d(ctx.get_executor(), clock, [&] { ++fired; });
    d.expires_after(5s);
    // A thousand re-arms, as a read loop would do: none touches the timer.
    for (int i = 0; i < 1000; ++i) d.expires_after(5s);
    clock.advance(3s);
    d.expires_after(5s); // now due at t=8s; the timer still wakes at t=5s
    clock.advance(2s);
    ctx.poll();
    CHECK(fired == 0);
    CHECK(clock.pending_waits() == 1); // re-armed for t=8s
    clock.advance(3s);
    ctx.poll();
    CHECK(fired == 1);
}

TEST_CASE("moving a deadline earlier takes effect at the earlier time", "[deadline]") {
    asio::io_context ctx;
    manual_clock clock;
    int fired = 0;
    deadline d(ctx.get_executor(), clock, [&] { ++fired; });
    d.expires_after(10s);
    d.expires_after(1s);
    clock.advance(1s);
    ctx.poll();
    CHECK(fired == 1);
}

TEST_CASE("a disarmed deadline never fires and its timer goes idle", "[deadline]") {
    asio::io_context ctx;
    manual_clock clock;
    int fired = 0;
    deadline d(ctx.get_executor(), clock, [&] { ++fired; });
    d.expires_after(1s);
    d.disarm();
    clock.advance(2s);
    ctx.poll();
    CHECK(fired == 0);
    CHECK(clock.pending_waits() == 0);
}

TEST_CASE("destroying a deadline with a pending wake-up never calls back", "[deadline]") {
    asio::io_context ctx;
    manual_clock clock;
    int fired = 0;
    {
        deadline d(ctx.get_executor(), clock, [&] { ++fired; });
        d.expires_after(1s);
    }
    clock.advance(2s);
    ctx.poll();
    CHECK(fired == 0);
}

TEST_CASE("manual clock completes due timers in expiry order", "[clock]") {
    asio::io_context ctx;
    manual_clock clock;
    std::vector<int> order;
    timer a(ctx.get_executor(), clock), b(ctx.get_executor(), clock), c(ctx.get_executor(), clock);
    a.expires_after(3s, clock);
    b.expires_after(1s, clock);
    c.expires_after(2s, clock);
    a.async_wait([&](boost::system::error_code ec) { if (!ec) order.push_back(3); });
    b.async_wait([&](boost::system::error_code ec) { if (!ec) order.push_back(1); });
    c.async_wait([&](boost::system::error_code ec) { if (!ec) order.push_back(2); });
    CHECK(clock.next_expiry() == clock.now() + 1s);
    clock.advance(10s);
    ctx.poll();
    CHECK(order == std::vector<int>{1, 2, 3});
}

TEST_CASE("cancelling a timer completes its wait with operation_aborted", "[clock]") {
    asio::io_context ctx;
    for (bool manual : {true, false}) {
        manual_clock mclock;
        coronet::clock& c = manual ? static_cast<coronet::clock&>(mclock) : real_clock();
        timer t(ctx.get_executor(), c);
        t.expires_after(1h, c);
        boost::system::error_code result;
        bool done = false;
        t.async_wait([&](boost::system::error_code ec) { result = ec; done = true; });
        CHECK(t.cancel() == 1);
        ctx.restart();
        ctx.run();
        CHECK(done);
        CHECK(result == asio::error::operation_aborted);
    }
}
