#include "demo_rpc.hpp"

#include "echo_rpc_service.hpp"

#include <coronet/histogram.hpp>
#include <coronet/rpc/client.hpp>
#include <coronet/rpc/server.hpp>
#include <coronet/transports/endpoint.hpp>
#include <coronet/when_all.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <array>
#include <stdexcept>
#include <thread>

namespace coronet::cli {

namespace {

using demo_schema::DemoEcho;

/// An io_context on a thread of its own until destroyed.
struct io_thread {
    asio::io_context io;
    asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
    std::thread thread{[this] { io.run(); }};
    ~io_thread() {
        work.reset();
        thread.join();
    }
};

constexpr std::array<capnp::byte, 64> payload = {1, 2, 3, 4, 5, 6, 7, 8};

void check(const rpc::response<DemoEcho::EchoResults>& r) {
    auto d = r->getData();
    if (d.size() != payload.size() || !std::equal(d.begin(), d.end(), payload.begin()))
        throw std::runtime_error("demo rpc: the echo came back different");
}

asio::awaitable<std::size_t> call_many(const demo_schema::DemoEchoClient& c, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
        auto r = co_await c.echo([](auto p) { p.setData(capnp::Data::Reader(payload.data(), payload.size())); });
        check(r);
    }
    co_return n;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

} // namespace

rpc_comparison compare_rpc_calls(std::size_t calls, std::size_t in_flight) {
    rpc_comparison out;
    out.calls = calls;
    out.in_flight = in_flight;
    io_thread server_side, client_side;

    auto server = asio::co_spawn(server_side.io, []() -> asio::awaitable<std::unique_ptr<rpc::server>> {
        auto ex = co_await asio::this_coro::executor;
        auto s = std::make_unique<rpc::server>(listen(ex, "tcp://127.0.0.1:0"), std::make_shared<echo_rpc_service>());
        s->start();
        co_return s;
    }(), asio::use_future).get();

    struct session {
        rpc::connection conn;
        demo_schema::DemoEchoClient echo;
    };
    auto s = asio::co_spawn(client_side.io, [](std::string url) -> asio::awaitable<std::unique_ptr<session>> {
        auto conn = co_await rpc::connect(url);
        auto echo = co_await conn.bootstrap_as<demo_schema::DemoEchoClient>();
        co_return std::make_unique<session>(session{std::move(conn), std::move(echo)});
    }(server->url()), asio::use_future).get();

    // Sync: this thread sends a call and sleeps until its Return, N times.
    histogram rtt;
    auto t0 = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < calls; ++i) {
        auto start = std::chrono::steady_clock::now();
        check(s->echo.echo_blocking([](auto p) { p.setData(capnp::Data::Reader(payload.data(), payload.size())); }));
        rtt.record(static_cast<std::uint64_t>((std::chrono::steady_clock::now() - start).count()));
    }
    out.blocking_per_sec = static_cast<double>(calls) / seconds_since(t0);
    out.blocking_p50_us = rtt.p50() / 1e3;

    // Async: `in_flight` coroutines on the client thread, each awaiting its
    // own calls; the connection carries them all at once.
    auto t1 = std::chrono::steady_clock::now();
    asio::co_spawn(client_side.io, [](const session& s, std::size_t calls, std::size_t k) -> asio::awaitable<void> {
        std::vector<asio::awaitable<std::size_t>> tasks;
        for (std::size_t i = 0; i < k; ++i) tasks.push_back(call_many(s.echo, calls / k + (i < calls % k)));
        co_await when_all(std::move(tasks));
    }(*s, calls, in_flight), asio::use_future).get();
    out.awaitable_per_sec = static_cast<double>(calls) / seconds_since(t1);

    asio::co_spawn(client_side.io, [](std::unique_ptr<session> s) -> asio::awaitable<void> {
        s->echo = {};
        s->conn.close();
        co_return;
    }(std::move(s)), asio::use_future).get();
    asio::co_spawn(server_side.io, [](std::unique_ptr<rpc::server> s) -> asio::awaitable<void> {
        co_await s->stop();
    }(std::move(server)), asio::use_future).get();
    return out;
}

} // namespace coronet::cli
