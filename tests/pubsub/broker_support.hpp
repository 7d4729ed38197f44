#pragma once
// Runs a broker and a test body on one io_context; the broker is stopped
// (every client closed and joined) before the body's result is reported.

#include "transports/test_support.hpp"

#include <coronet/pubsub/broker.hpp>
#include <coronet/pubsub/client.hpp>
#include <coronet/transports/endpoint.hpp>

#include <boost/asio/steady_timer.hpp>

#include <catch2/catch.hpp>

namespace coronet::test {

template <class Body>
void with_broker(const std::string& scheme, Body body, pubsub::broker_options o = {}) {
    run_coroutine([&]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        pubsub::broker b(listen(ex, loopback(scheme)), o);
        b.start();
        std::exception_ptr failed;
        try {
            co_await body(b);
        } catch (...) {
            failed = std::current_exception();
        }
        co_await b.stop();
        if (failed) std::rethrow_exception(failed);
    });
}

/// Waits (real time, bounded) until `done()`; false if it gave up. A guard
/// against a hung test, not a timing assertion.
template <class Pred>
asio::awaitable<bool> eventually(Pred done, std::chrono::milliseconds bound = std::chrono::seconds(10)) {
    asio::steady_timer t(co_await asio::this_coro::executor);
    auto give_up = std::chrono::steady_clock::now() + bound;
    while (!done()) {
        if (std::chrono::steady_clock::now() > give_up) co_return false;
        t.expires_after(std::chrono::milliseconds(2));
        co_await t.async_wait(asio::use_awaitable);
    }
    co_return true;
}

} // namespace coronet::test
