// The cost of recording a latency (plain, and through the mutex of a
// histogram_metric: the figure behind its "mutex, not shards" choice), of
// reading a percentile, and of merging two histograms.
#include <coronet/histogram.hpp>
#include <coronet/metrics.hpp>

#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <vector>

namespace {

// Latency-like values (log-normal around ~20 µs in ns), drawn up front so the
// timed loop measures recording, not the random number generator. 4096
// entries: the index wraps with a mask.
std::vector<std::uint64_t> latencies() {
    std::mt19937_64 rng(1);
    std::lognormal_distribution<double> dist(10.0, 1.0);
    std::vector<std::uint64_t> values(4096);
    for (auto& v : values) v = static_cast<std::uint64_t>(dist(rng));
    return values;
}

void histogram_record(benchmark::State& state) {
    auto values = latencies();
    coronet::histogram h;
    std::size_t i = 0;
    for (auto _ : state) h.record(values[i++ & 4095]);
    benchmark::DoNotOptimize(h.count());
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(histogram_record);

void histogram_metric_record(benchmark::State& state) {
    auto values = latencies();
    coronet::metrics_registry registry;
    auto& h = registry.histogram("latency_ns", "Latency.");
    std::size_t i = 0;
    for (auto _ : state) h.record(values[i++ & 4095]); // uncontended lock + record
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(histogram_metric_record);

void counter_inc(benchmark::State& state) {
    coronet::metrics_registry registry;
    auto& c = registry.counter("events", "Events.");
    for (auto _ : state) c.inc();
    benchmark::DoNotOptimize(c.value());
}
BENCHMARK(counter_inc);

void histogram_percentile(benchmark::State& state) {
    coronet::histogram h;
    for (auto v : latencies()) h.record(v);
    double p = static_cast<double>(state.range(0)) / 10.0;
    for (auto _ : state) benchmark::DoNotOptimize(h.percentile(p));
}
BENCHMARK(histogram_percentile)->ArgName("p_per_mille")->Arg(500)->Arg(990)->Arg(999);

void histogram_merge(benchmark::State& state) {
    coronet::histogram into, from;
    for (auto v : latencies()) from.record(v);
    for (auto _ : state) {
        into.merge(from);
        benchmark::ClobberMemory();
    }
}
BENCHMARK(histogram_merge);

} // namespace
