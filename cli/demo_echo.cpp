#include "demo_echo.hpp"

#include <coronet/runtime.hpp>
#include <coronet/transports/echo.hpp>
#include <coronet/transports/endpoint.hpp>
#include <coronet/when_all.hpp>

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

namespace coronet::cli {

namespace {

constexpr std::size_t sequential_round_trips = 2000;
constexpr std::size_t concurrent_round_trips_each = 200;
constexpr std::size_t message_bytes = 64;

asio::awaitable<std::size_t> round_trips(std::string url, std::size_t n, histogram* rtt) {
    auto s = co_await connect(url);
    std::vector<std::uint8_t> out(message_bytes, 0x5a), in(message_bytes);
    for (std::size_t i = 0; i < n; ++i) {
        auto start = std::chrono::steady_clock::now();
        co_await asio::async_write(s, asio::buffer(out), asio::use_awaitable);
        co_await asio::async_read(s, asio::buffer(in), asio::use_awaitable);
        if (rtt) rtt->record(static_cast<std::uint64_t>((std::chrono::steady_clock::now() - start).count()));
        if (in != out) throw std::runtime_error("echo mismatch from " + url);
    }
    co_return n;
}

// By value: a coroutine outlives the caller's temporaries.
asio::awaitable<void> measure(std::string scheme, echo_measurement& m) {
    auto ex = co_await asio::this_coro::executor;
    echo::server server(listen(ex, scheme + "://127.0.0.1:0"), {}, make_logger("echo", spdlog::level::warn));
    server.start();
    m.url = server.url();
    auto t0 = std::chrono::steady_clock::now();
    co_await round_trips(m.url, sequential_round_trips, &m.sequential_rtt);
    auto t1 = std::chrono::steady_clock::now();
    m.sequential_per_sec = sequential_round_trips / std::chrono::duration<double>(t1 - t0).count();

    std::vector<asio::awaitable<std::size_t>> clients;
    for (std::size_t i = 0; i < echo_concurrent_clients; ++i)
        clients.push_back(round_trips(m.url, concurrent_round_trips_each, nullptr));
    auto t2 = std::chrono::steady_clock::now();
    auto done = co_await when_all(std::move(clients));
    auto t3 = std::chrono::steady_clock::now();
    std::size_t total = 0;
    for (auto n : done) total += n;
    m.concurrent_per_sec = static_cast<double>(total) / std::chrono::duration<double>(t3 - t2).count();
    co_await server.stop();
}

} // namespace

std::vector<echo_measurement> measure_echo_transports() {
    runtime_options ro;
    ro.log = make_logger("demo", spdlog::level::warn);
    runtime rt(ro);
    std::vector<echo_measurement> results(2);
    rt.spawn([](std::vector<echo_measurement>& r) -> asio::awaitable<void> {
        co_await measure("tcp", r[0]);
        co_await measure("uring", r[1]);
    }(results));
    rt.run();
    return results;
}

} // namespace coronet::cli
