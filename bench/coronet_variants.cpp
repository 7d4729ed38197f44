// coronet's own echo servers as benchmark variants: the same echo service on
// each transport, with and without per-read deadlines, plus the peer way of
// doing deadlines (racing every read against a steady_timer with Asio's ||).
#include "echo_server_handle.hpp"
#include "transport_bench.hpp"

#include <coronet/runtime.hpp>
#include <coronet/until_cancelled.hpp>
#include <coronet/task_group.hpp>
#include <coronet/transports/echo.hpp>
#include <coronet/transports/endpoint.hpp>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <future>
#include <mutex>
#include <thread>

namespace coronet::bench {

namespace {

using namespace std::chrono_literals;
constexpr auto read_deadline = 5s; // never reached in a benchmark: we measure the bookkeeping

enum class deadline_kind { none, lazy, timer_race };

/// Echo that races each read against its own timer: what PEERS.md measured as
/// "Asio + || timer per read", kept here as the peer to beat.
asio::awaitable<void> timer_race_session(any_stream s) {
    using namespace asio::experimental::awaitable_operators;
    std::vector<std::byte> buf(16 * 1024);
    asio::steady_timer timer(s.get_executor());
    for (;;) {
        timer.expires_after(read_deadline);
        auto r = co_await (s.async_read_some(asio::buffer(buf), asio::as_tuple(asio::use_awaitable)) ||
                           timer.async_wait(asio::as_tuple(asio::use_awaitable)));
        if (r.index() == 1) co_return; // timed out
        auto [ec, n] = std::get<0>(r);
        if (ec) co_return;
        auto [wec, written] = co_await asio::async_write(s, asio::buffer(buf.data(), n),
                                                         asio::as_tuple(asio::use_awaitable));
        if (wec) co_return; // the client went away
    }
}

asio::awaitable<void> timer_race_server(any_listener l) {
    task_group sessions(l.get_executor());
    try {
        for (;;) sessions.spawn(timer_race_session(co_await l.async_accept()));
    } catch (const boost::system::system_error&) {
    }
    co_await asio::this_coro::reset_cancellation_state(); // cancelled: still join in order
    sessions.cancel();
    co_await sessions.join();
}

class coronet_server final : public running_server {
public:
    coronet_server(std::string scheme, deadline_kind kind, bool busy_poll) {
        auto bound = std::make_shared<std::promise<std::uint16_t>>(); // outlives this constructor
        auto port = bound->get_future();
        _thread = std::thread([this, scheme, kind, busy_poll, bound] {
            runtime_options o;
            o.busy_poll = busy_poll;
            o.handle_signals = false;
            o.log = make_logger("bench", spdlog::level::warn);
            runtime rt(o);
            {
                std::lock_guard lock(_mutex);
                _runtime = &rt;
            }
            rt.spawn(serve(scheme, kind, *bound));
            try {
                rt.run();
            } catch (...) {
                try {
                    bound->set_exception(std::current_exception());
                } catch (const std::future_error&) {
                    // Already bound: the failure came later; the load generator will see it.
                }
            }
            std::lock_guard lock(_mutex);
            _runtime = nullptr;
        });
        _port = port.get();
    }
    ~coronet_server() override { stop(); }

    std::uint16_t port() const override { return _port; }
    void stop() override {
        if (!_thread.joinable()) return;
        {
            std::lock_guard lock(_mutex); // the runtime may be ending on its own thread
            if (_runtime) _runtime->stop();
        }
        _thread.join();
    }

private:
    asio::awaitable<void> serve(std::string scheme, deadline_kind kind, std::promise<std::uint16_t>& bound) {
        auto ex = co_await asio::this_coro::executor;
        auto l = listen(ex, scheme + "://127.0.0.1:0");
        bound.set_value(l.local_endpoint().port());
        if (kind == deadline_kind::timer_race) {
            co_await timer_race_server(std::move(l));
            co_return;
        }
        echo::server_options so;
        if (kind == deadline_kind::lazy) so.read_timeout = read_deadline;
        echo::server server(std::move(l), so, make_logger("bench", spdlog::level::warn));
        server.start();
        co_await until_cancelled(); // until stop() / Ctrl-C cancels us
        co_await server.stop();
    }

    std::thread _thread;
    std::mutex _mutex;
    runtime* _runtime = nullptr; // guarded by _mutex; lives on _thread's stack
    std::uint16_t _port = 0;
};

server_variant variant(std::string name, std::string baseline, std::string scheme, deadline_kind kind) {
    return {std::move(name), std::move(baseline),
            [scheme, kind](bool busy_poll) -> std::unique_ptr<running_server> {
                return std::make_unique<coronet_server>(scheme, kind, busy_poll);
            },
            true};
}

} // namespace

std::vector<server_variant> coronet_variants() {
    return {
        variant("tcp", "epoll-raw", "tcp", deadline_kind::none),
        variant("tcp+deadline", "tcp", "tcp", deadline_kind::lazy),
        variant("tcp+asio||timer", "tcp", "tcp", deadline_kind::timer_race),
        variant("uring", "uring-raw", "uring", deadline_kind::none),
        variant("uring+deadline", "uring", "uring", deadline_kind::lazy),
    };
}

} // namespace coronet::bench
