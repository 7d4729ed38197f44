#pragma once
// Coroutines waiting for a condition, woken by notify_one()/notify_all(): how
// the writer sleeps until frames are queued, calls wait for a slot, and
// closing waits for work to drain. No timer, so it runs the same on real and
// virtual time. Waiters re-check their condition after waking.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <deque>

namespace coronet {

namespace asio = boost::asio;

class waiters {
    // Coroutines only: storing the awaitable's own handler type, not a boxed
    // any_completion_handler, keeps a wake-up free of heap allocations.
    using handler = asio::async_result<asio::use_awaitable_t<>, void()>::handler_type;

public:
    explicit waiters(asio::any_io_executor ex) : _ex(std::move(ex)) {}

    asio::awaitable<void> async_wait() {
        return asio::async_initiate<const asio::use_awaitable_t<>, void()>(
            [this](handler h) { _waiting.push_back(std::move(h)); }, asio::use_awaitable);
    }
    bool empty() const { return _waiting.empty(); }
    void notify_one() {
        if (_waiting.empty()) return;
        auto h = std::move(_waiting.front());
        _waiting.pop_front();
        // post() on our executor; the handler still runs on its own one.
        asio::post(_ex, std::move(h));
    }
    /// Resumes the first waiter now, inside the caller, when the caller runs
    /// on the waiter's executor: no trip through the scheduler.
    void notify_one_now() {
        if (_waiting.empty()) return;
        auto h = std::move(_waiting.front());
        _waiting.pop_front();
        asio::dispatch(_ex, std::move(h));
    }
    void notify_all() {
        while (!_waiting.empty()) notify_one();
    }

private:
    asio::any_io_executor _ex;
    std::deque<handler> _waiting;
};

} // namespace coronet
