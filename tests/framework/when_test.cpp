#include <coronet/when_all.hpp>
#include <coronet/when_any.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <catch2/catch.hpp>

#include <stdexcept>

using namespace coronet;
using namespace std::chrono_literals;

namespace {

template <class F>
void run(F f) {
    asio::io_context ctx;
    asio::co_spawn(ctx, f(), [](std::exception_ptr e) { if (e) std::rethrow_exception(e); });
    ctx.run();
}

asio::awaitable<int> value_after_yields(int v, int yields) {
    for (int i = 0; i < yields; ++i) co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
    co_return v;
}

asio::awaitable<int> sleep_forever(int& cancelled) {
    asio::steady_timer t(co_await asio::this_coro::executor, 1h);
    auto [ec] = co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec == asio::error::operation_aborted) ++cancelled;
    co_return -1;
}

asio::awaitable<int> throw_after_yield() {
    co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
    throw std::runtime_error("task failed");
}

} // namespace

TEST_CASE("when_all returns every result in input order", "[when_all]") {
    run([]() -> asio::awaitable<void> {
        std::vector<asio::awaitable<int>> tasks;
        for (int i = 0; i < 50; ++i) tasks.push_back(value_after_yields(i, 50 - i)); // finish in reverse
        auto results = co_await when_all(std::move(tasks));
        REQUIRE(results.size() == 50);
        for (int i = 0; i < 50; ++i) CHECK(results[static_cast<std::size_t>(i)] == i);
    });
}

TEST_CASE("when_all of nothing completes with nothing", "[when_all]") {
    run([]() -> asio::awaitable<void> {
        auto results = co_await when_all(std::vector<asio::awaitable<int>>{});
        CHECK(results.empty());
    });
}

TEST_CASE("when_all rethrows the first error and cancels the other tasks", "[when_all]") {
    int cancelled = 0;
    run([&]() -> asio::awaitable<void> {
        std::vector<asio::awaitable<int>> tasks;
        tasks.push_back(sleep_forever(cancelled));
        tasks.push_back(throw_after_yield());
        tasks.push_back(sleep_forever(cancelled));
        CHECK_THROWS_WITH(co_await when_all(std::move(tasks)), "task failed");
    });
    CHECK(cancelled == 2);
}

TEST_CASE("when_any returns the first to finish and cancels the losers", "[when_any]") {
    int cancelled = 0;
    run([&]() -> asio::awaitable<void> {
        std::vector<asio::awaitable<int>> tasks;
        tasks.push_back(sleep_forever(cancelled));
        tasks.push_back(value_after_yields(42, 3));
        tasks.push_back(sleep_forever(cancelled));
        auto [index, value] = co_await when_any(std::move(tasks));
        CHECK(index == 1);
        CHECK(value == 42);
    });
    CHECK(cancelled == 2);
}

TEST_CASE("when_any over void tasks reports the winner's index", "[when_any]") {
    run([]() -> asio::awaitable<void> {
        std::vector<asio::awaitable<void>> tasks;
        for (int i = 0; i < 4; ++i)
            tasks.push_back([](int yields) -> asio::awaitable<void> {
                co_await value_after_yields(0, yields);
            }(10 - i));
        auto winner = co_await when_any(std::move(tasks)); // not inside CHECK: GCC 12 mis-handles co_await in it
        CHECK(winner == 3);
    });
}

TEST_CASE("when_any rejects an empty set with a clear error", "[when_any]") {
    run([]() -> asio::awaitable<void> {
        CHECK_THROWS_AS(co_await when_any(std::vector<asio::awaitable<int>>{}), std::invalid_argument);
    });
}
