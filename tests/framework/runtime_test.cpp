#include <coronet/runtime.hpp>
#include <coronet/until_cancelled.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <catch2/catch.hpp>

#include <csignal>
#include <stdexcept>

using namespace coronet;
using namespace std::chrono_literals;

namespace {

runtime_options quiet(std::size_t threads = 1) {
    runtime_options o;
    o.threads = threads;
    o.log = make_logger("test", spdlog::level::off);
    return o;
}

asio::awaitable<void> sleep_until_cancelled(std::atomic<int>& cancelled) {
    asio::steady_timer t(co_await asio::this_coro::executor, 1h);
    auto [ec] = co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec == asio::error::operation_aborted) ++cancelled;
}

} // namespace

TEST_CASE("runtime run returns once every root task has finished", "[runtime]") {
    runtime rt(quiet(2));
    std::atomic<int> ran = 0;
    for (std::size_t i = 0; i < 8; ++i)
        rt.spawn([](std::atomic<int>& r) -> asio::awaitable<void> { ++r; co_return; }(ran), i % 2);
    rt.run();
    CHECK(ran == 8);
}

TEST_CASE("runtime stop cancels and joins every task on every thread", "[runtime]") {
    runtime rt(quiet(2));
    std::atomic<int> cancelled = 0;
    for (std::size_t i = 0; i < 6; ++i) rt.spawn(sleep_until_cancelled(cancelled), i % 2);
    rt.spawn([](runtime& r) -> asio::awaitable<void> {
        co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
        r.stop();
    }(rt));
    rt.run();
    CHECK(cancelled == 6);
}

TEST_CASE("a task's exception stops the runtime and is rethrown by run", "[runtime]") {
    runtime rt(quiet(2));
    std::atomic<int> cancelled = 0;
    rt.spawn(sleep_until_cancelled(cancelled), 1);
    rt.spawn([]() -> asio::awaitable<void> {
        co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
        throw std::runtime_error("handler exploded");
    }());
    CHECK_THROWS_WITH(rt.run(), "handler exploded");
    CHECK(cancelled == 1);
}

TEST_CASE("an exception thrown by a completion handler is not swallowed", "[runtime]") {
    runtime rt(quiet());
    std::atomic<int> cancelled = 0;
    rt.spawn(sleep_until_cancelled(cancelled));
    // A detached-style co_spawn whose completion rethrows: the error escapes
    // io_context::run(), and the runtime reports it instead of exiting quietly.
    asio::co_spawn(rt.context(), []() -> asio::awaitable<void> { throw std::runtime_error("lost?"); co_return; }(),
                   [](std::exception_ptr e) { if (e) std::rethrow_exception(e); });
    CHECK_THROWS_WITH(rt.run(), "lost?");
    CHECK(cancelled == 1);
}

TEST_CASE("SIGTERM stops the runtime cleanly", "[runtime]") {
    runtime rt(quiet());
    std::atomic<int> cancelled = 0;
    rt.spawn(sleep_until_cancelled(cancelled));
    rt.spawn([]() -> asio::awaitable<void> {
        co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
        std::raise(SIGTERM);
    }());
    rt.run();
    CHECK(cancelled == 1);
    CHECK(rt.stopping());
}

TEST_CASE("busy-poll runtime runs tasks to completion", "[runtime]") {
    auto o = quiet();
    o.busy_poll = true;
    runtime rt(o);
    int steps = 0;
    rt.spawn([](int& s) -> asio::awaitable<void> {
        asio::steady_timer t(co_await asio::this_coro::executor, 1ms);
        co_await t.async_wait(asio::use_awaitable);
        for (; s < 100; ++s) co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
    }(steps));
    rt.run();
    CHECK(steps == 100);
}

TEST_CASE("runtime rejects zero threads with a clear error", "[runtime]") {
    auto o = quiet(0);
    CHECK_THROWS_WITH(runtime(o), Catch::Contains("threads must be at least 1"));
}

TEST_CASE("until_cancelled lets a stopped task still await its orderly shutdown", "[runtime]") {
    runtime rt(quiet());
    bool cleaned_up = false;
    rt.spawn([](bool& done) -> asio::awaitable<void> {
        co_await until_cancelled();
        // Without the reset inside until_cancelled, this co_await would throw.
        co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
        done = true;
    }(cleaned_up));
    rt.spawn([](runtime& r) -> asio::awaitable<void> {
        r.stop();
        co_return;
    }(rt));
    rt.run();
    CHECK(cleaned_up);
}
