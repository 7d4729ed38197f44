#include <coronet/task_group.hpp>

#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <catch2/catch.hpp>

#include <stdexcept>

using namespace coronet;
using namespace std::chrono_literals;

namespace {

asio::awaitable<void> wait_forever(int& cancelled) {
    asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::hours(1));
    try {
        co_await t.async_wait(asio::use_awaitable);
    } catch (const boost::system::system_error&) {
        ++cancelled;
        throw;
    }
}

asio::awaitable<void> fail_after_yield() {
    co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
    throw std::runtime_error("boom");
}

} // namespace

TEST_CASE("task group join waits for every spawned task", "[task_group]") {
    asio::io_context ctx;
    task_group group(ctx.get_executor());
    int done = 0;
    for (int i = 0; i < 10; ++i)
        group.spawn([](int& d) -> asio::awaitable<void> {
            co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
            ++d;
        }(done));
    bool joined = false;
    asio::co_spawn(ctx, [&]() -> asio::awaitable<void> {
        co_await group.join();
        joined = true;
        CHECK(done == 10);
    }, [](std::exception_ptr e) { if (e) std::rethrow_exception(e); });
    ctx.run();
    CHECK(joined);
    CHECK(group.size() == 0);
}

TEST_CASE("task group propagates the first error and cancels the other tasks", "[task_group]") {
    asio::io_context ctx;
    task_group group(ctx.get_executor());
    int cancelled = 0;
    group.spawn(wait_forever(cancelled));
    group.spawn(wait_forever(cancelled));
    group.spawn(fail_after_yield());
    std::string what;
    asio::co_spawn(ctx, [&]() -> asio::awaitable<void> {
        try {
            co_await group.join();
        } catch (const std::runtime_error& e) {
            what = e.what();
        }
    }, asio::detached);
    ctx.run();
    CHECK(what == "boom");
    CHECK(cancelled == 2);
}

TEST_CASE("cancelling a task group stops its tasks without reporting an error", "[task_group]") {
    asio::io_context ctx;
    task_group group(ctx.get_executor());
    int cancelled = 0;
    for (int i = 0; i < 3; ++i) group.spawn(wait_forever(cancelled));
    std::exception_ptr result = std::make_exception_ptr(std::logic_error("not joined"));
    asio::co_spawn(ctx, [&]() -> asio::awaitable<void> {
        co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
        group.cancel();
        co_await group.join(); // rethrows if any task reported an error
        result = nullptr;
    }, [&](std::exception_ptr e) { result = e; });
    ctx.run();
    CHECK(cancelled == 3);
    CHECK(result == nullptr);
    CHECK(group.cancelled());
}

TEST_CASE("a task spawned into a cancelled group starts already cancelled", "[task_group]") {
    asio::io_context ctx;
    task_group group(ctx.get_executor());
    group.cancel();
    int cancelled = 0;
    group.spawn(wait_forever(cancelled));
    ctx.run(); // would block for an hour if the late task were not cancelled
    CHECK(group.size() == 0);
    CHECK(group.error() == nullptr);
}

TEST_CASE("joining an empty task group completes at once", "[task_group]") {
    asio::io_context ctx;
    task_group group(ctx.get_executor());
    bool joined = false;
    asio::co_spawn(ctx, [&]() -> asio::awaitable<void> {
        co_await group.join();
        joined = true;
    }, asio::detached);
    ctx.run();
    CHECK(joined);
}
