// The cost of recording a latency and of reading a percentile.
#include <coronet/histogram.hpp>

#include <benchmark/benchmark.h>

namespace {

void histogram_record(benchmark::State& state) {
    coronet::histogram h;
    std::uint64_t v = 12345;
    for (auto _ : state) {
        h.record(v);
        v = v * 6364136223846793005ULL + 1442695040888963407ULL;
        v >>= 40;
    }
    benchmark::DoNotOptimize(h.count());
}
BENCHMARK(histogram_record);

void histogram_p99(benchmark::State& state) {
    coronet::histogram h;
    for (std::uint64_t v = 1; v < 1'000'000; v += 7) h.record(v);
    for (auto _ : state) benchmark::DoNotOptimize(h.p99());
}
BENCHMARK(histogram_p99);

} // namespace
