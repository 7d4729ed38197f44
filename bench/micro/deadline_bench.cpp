// What a per-read deadline costs to set: coronet's lazily re-armed deadline
// against re-arming an asio::steady_timer (what `read || timer` does per read).
#include <coronet/deadline.hpp>

#include <benchmark/benchmark.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

namespace {

using namespace std::chrono_literals;

void lazy_deadline_rearm(benchmark::State& state) {
    boost::asio::io_context ctx;
    coronet::deadline d(ctx.get_executor(), coronet::real_clock(), [] {});
    for (auto _ : state) {
        d.expires_after(5s); // read starts
        d.disarm();          // read completes
    }
}
BENCHMARK(lazy_deadline_rearm);

void steady_timer_rearm(benchmark::State& state) {
    boost::asio::io_context ctx;
    boost::asio::steady_timer t(ctx);
    for (auto _ : state) {
        t.expires_after(5s); // cancels the previous wait
        t.async_wait([](boost::system::error_code) {});
        ctx.poll(); // run the cancelled wait's handler, as the loop would
    }
    t.cancel();
    ctx.poll();
}
BENCHMARK(steady_timer_rearm);

void clock_now(benchmark::State& state) {
    auto& c = coronet::real_clock();
    for (auto _ : state) benchmark::DoNotOptimize(c.now());
}
BENCHMARK(clock_now);

void clock_coarse_now(benchmark::State& state) {
    auto& c = coronet::real_clock();
    for (auto _ : state) benchmark::DoNotOptimize(c.coarse_now());
}
BENCHMARK(clock_coarse_now);

} // namespace
