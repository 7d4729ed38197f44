// Pooled, aligned buffers against a fresh allocation per message.
#include <coronet/buffer_pool.hpp>

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <cstring>

namespace {

void pool_acquire_release(benchmark::State& state) {
    auto bytes = static_cast<std::size_t>(state.range(0));
    coronet::buffer_pool pool(bytes, 16, 64, true);
    for (auto _ : state) {
        auto b = pool.acquire();
        b.data()[0] = std::byte{1};
        b.data()[bytes - 1] = std::byte{1};
        benchmark::DoNotOptimize(b.data());
    }
}
BENCHMARK(pool_acquire_release)->Arg(64)->Arg(16 << 10)->Arg(1 << 20);

void aligned_alloc_touch_free(benchmark::State& state) {
    auto bytes = static_cast<std::size_t>(state.range(0));
    for (auto _ : state) {
        auto* p = static_cast<std::byte*>(std::aligned_alloc(64, (bytes + 63) / 64 * 64));
        // A message is written in full: a fresh 1 MiB block page-faults here.
        std::memset(p, 1, bytes);
        benchmark::DoNotOptimize(p);
        std::free(p);
    }
}
BENCHMARK(aligned_alloc_touch_free)->Arg(64)->Arg(16 << 10)->Arg(1 << 20);

void pool_acquire_fill(benchmark::State& state) {
    auto bytes = static_cast<std::size_t>(state.range(0));
    coronet::buffer_pool pool(bytes, 16, 64, true);
    for (auto _ : state) {
        auto b = pool.acquire();
        std::memset(b.data(), 1, bytes);
        benchmark::DoNotOptimize(b.data());
    }
}
BENCHMARK(pool_acquire_fill)->Arg(64)->Arg(16 << 10)->Arg(1 << 20);

} // namespace
