#pragma once
// Helpers for transport tests: run one coroutine to completion on a fresh
// io_context, rethrowing what it throws so Catch2 reports it.

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <string>

namespace coronet::test {

template <class F>
void run_coroutine(F&& make) {
    boost::asio::io_context ctx;
    std::exception_ptr error;
    bool finished = false;
    boost::asio::co_spawn(ctx, make(), [&](std::exception_ptr e) {
        error = e;
        finished = true;
    });
    ctx.run();
    if (error) std::rethrow_exception(error);
    if (!finished) throw std::logic_error("test coroutine never finished");
}

/// Lets other coroutines (and a uring submission flush) run.
inline boost::asio::awaitable<void> yield(int times = 1) {
    for (int i = 0; i < times; ++i)
        co_await boost::asio::post(co_await boost::asio::this_coro::executor, boost::asio::use_awaitable);
}

/// Runs handlers until `done()` or `bound` of real time passed; false if it
/// gave up (a guard against a hung test, never a timing assertion).
template <class Pred>
bool run_until(boost::asio::io_context& ctx, Pred done, std::chrono::milliseconds bound = std::chrono::seconds(5)) {
    auto give_up = std::chrono::steady_clock::now() + bound;
    while (!done()) {
        if (std::chrono::steady_clock::now() > give_up) return false;
        ctx.restart();
        ctx.run_one_for(std::chrono::milliseconds(10));
    }
    return true;
}

/// Gives ready handlers and loopback traffic a moment: for checks that
/// something does NOT happen.
inline void settle(boost::asio::io_context& ctx) {
    ctx.restart();
    ctx.run_for(std::chrono::milliseconds(50));
}

inline std::string loopback(const std::string& scheme) { return scheme + "://127.0.0.1:0"; }

} // namespace coronet::test
