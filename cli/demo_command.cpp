// coronet demo: the README's main job. Starts echo servers on tcp:// and
// uring://, drives each with sequential ("sync": send, wait, next) and
// concurrent ("async": many in flight) clients, then runs a short transport
// comparison against hand-written epoll and io_uring loops.
#include "commands.hpp"

#include <coronet/histogram.hpp>
#include <coronet/runtime.hpp>
#include <coronet/transports/echo.hpp>
#include <coronet/transports/endpoint.hpp>
#include <coronet/when_all.hpp>

#include "transport_bench.hpp"

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <fmt/core.h>

#include <iostream>

namespace coronet::cli {

namespace {

struct echo_measurement {
    std::string url;
    histogram sequential_rtt;
    double sequential_per_sec = 0;
    double concurrent_per_sec = 0;
};

constexpr std::size_t sequential_round_trips = 2000;
constexpr std::size_t concurrent_clients = 32;
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
    for (std::size_t i = 0; i < concurrent_clients; ++i)
        clients.push_back(round_trips(m.url, concurrent_round_trips_each, nullptr));
    auto t2 = std::chrono::steady_clock::now();
    auto done = co_await when_all(std::move(clients));
    auto t3 = std::chrono::steady_clock::now();
    std::size_t total = 0;
    for (auto n : done) total += n;
    m.concurrent_per_sec = static_cast<double>(total) / std::chrono::duration<double>(t3 - t2).count();
    co_await server.stop();
}

int demo(const global_options& g, bool skip_bench) {
    fmt::print("coronet demo: one echo service, every transport, sync vs async clients\n\n");
    runtime_options ro;
    ro.log = make_logger("coronet", parse_log_level(g.log_level));
    runtime rt(ro);
    std::vector<echo_measurement> results(2);
    // One after the other, so the two servers do not compete for the core.
    rt.spawn([](std::vector<echo_measurement>& r) -> asio::awaitable<void> {
        co_await measure("tcp", r[0]);
        co_await measure("uring", r[1]);
    }(results));
    rt.run();

    fmt::print("{:<28} {:>12} {:>12} {:>16} {:>16}\n", "echo server", "sync p50", "sync p99", "sync round/s",
               "async round/s");
    for (auto& m : results)
        fmt::print("{:<28} {:>9.1f} µs {:>9.1f} µs {:>16.0f} {:>16.0f}\n", m.url,
                   m.sequential_rtt.percentile(50) / 1e3, m.sequential_rtt.percentile(99) / 1e3,
                   m.sequential_per_sec, m.concurrent_per_sec);
    fmt::print("\nsync: one connection, one 64 B message at a time, each waiting for its echo.\n"
               "async: {} connections in flight at once on one thread (co_await, no threads per client).\n"
               "Client and server share one thread here, so a round trip costs no cross-core wake-up.\n\n",
               concurrent_clients);
    if (skip_bench) return 0;

    fmt::print("Short transport comparison (coronet bench transports --quick; full run: see docs/benchmarks.md)\n");
    std::cout.flush();
    coronet::bench::bench_options bo;
    bo.quick = true;
    auto variants = coronet::bench::baseline_variants();
    for (auto& v : coronet::bench::coronet_variants()) variants.push_back(std::move(v));
    return coronet::bench::run_transport_bench(variants, bo, std::cout);
}

} // namespace

void add_demo_command(CLI::App& app, const global_options& g, std::function<int()>& run) {
    auto* d = app.add_subcommand("demo", "echo over tcp:// and uring://, then a short transport comparison");
    auto skip = std::make_shared<bool>(false);
    d->add_flag("--no-bench", *skip, "skip the transport comparison");
    d->callback([&run, &g, skip] { run = [&g, skip] { return demo(g, *skip); }; });
}

} // namespace coronet::cli
