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

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <thread>

namespace coronet::test {

/// A broker on its own thread, for tests whose clients block (raw_client).
class broker_thread {
public:
    explicit broker_thread(pubsub::broker_options o = {}) {
        _broker.emplace(listen(_io.get_executor(), loopback("tcp")), o);
        _broker->start();
        _thread = std::thread([this] { _io.run(); });
    }
    ~broker_thread() {
        auto stop = [this]() -> asio::awaitable<void> { co_await _broker->stop(); };
        asio::co_spawn(_io, stop(), asio::use_future).get();
        _io.stop();
        _thread.join();
    }
    const std::string& url() const { return _broker->url(); }
    /// Read on the broker's thread.
    pubsub::broker_counters counters() {
        auto read = [this]() -> asio::awaitable<pubsub::broker_counters> { co_return _broker->counters(); };
        return asio::co_spawn(_io, read(), asio::use_future).get();
    }
    /// Polls counters() until `done` or 10 s; false if it gave up.
    template <class Pred>
    bool wait_for(Pred done) {
        for (int i = 0; i < 5000; ++i) {
            if (done(counters())) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
        return false;
    }

private:
    asio::io_context _io;
    asio::executor_work_guard<asio::io_context::executor_type> _work{_io.get_executor()};
    std::optional<pubsub::broker> _broker;
    std::thread _thread;
};

} // namespace coronet::test
