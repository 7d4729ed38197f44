#pragma once
// Helpers for transport tests: run one coroutine to completion on a fresh
// io_context, rethrowing what it throws so Catch2 reports it.

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

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

inline std::string loopback(const std::string& scheme) { return scheme + "://127.0.0.1:0"; }

} // namespace coronet::test
