// What one message's buffer costs: coronet::buffer_pool against a fresh
// std::aligned_alloc or new std::byte[] per message, at 64 B, 16 KiB and 1 MiB.
//
// Two shapes per allocator:
//   *_cycle: get a buffer, touch its first and last byte, give it back; the
//            allocator's own cost.
//   *_fill:  the same, but the whole message is written, as a receive or a
//            serializer would; at 1 MiB a fresh mapping page-faults here
//            (PEERS.md: at 1 MiB the allocator, not copying, sets throughput).
// The pool runs with prefault off and on (second argument). In steady state it
// reuses one block, so prefault only matters in pool_miss_fill, where the cache
// is disabled (cached_blocks_max = 0) and every acquire is a new allocation:
// there prefault moves the faults from the first write into acquire().
//
// glibc serves a lone 1 MiB malloc/free loop from its heap once the first free
// has raised its mmap threshold, so *_fill shows no faults at 1 MiB. mmap_fill
// is the other case: a fresh mapping per message, which is what malloc does
// above its threshold (128 KiB until a free raises it, and again whenever a
// trim hands memory back), and where every page faults on first write.
#include <coronet/buffer_pool.hpp>

#include <benchmark/benchmark.h>

#include <sys/mman.h>

#include <cstdlib>
#include <cstring>
#include <memory>

namespace {

constexpr std::size_t alignment = 64;

std::size_t bytes_of(const benchmark::State& state) { return static_cast<std::size_t>(state.range(0)); }

void touch_ends(std::byte* p, std::size_t bytes) {
    p[0] = std::byte{1};
    p[bytes - 1] = std::byte{1};
    benchmark::DoNotOptimize(p);
    benchmark::ClobberMemory();
}

void fill(std::byte* p, std::size_t bytes) {
    std::memset(p, 1, bytes);
    benchmark::DoNotOptimize(p);
    benchmark::ClobberMemory();
}

// The allocators under test, each as get/put of `bytes`.
struct pool_source {
    explicit pool_source(const benchmark::State& state, std::size_t cached_blocks_max = 16)
        : pool(bytes_of(state), cached_blocks_max, alignment, state.range(1) != 0) {}
    coronet::pooled_buffer get(std::size_t) { return pool.acquire(); }
    static std::byte* data(coronet::pooled_buffer& b) { return b.data(); }
    void put(coronet::pooled_buffer&& b) { auto released = std::move(b); }
    coronet::buffer_pool pool;
};

struct aligned_alloc_source {
    explicit aligned_alloc_source(const benchmark::State&) {}
    static std::byte* get(std::size_t bytes) {
        return static_cast<std::byte*>(std::aligned_alloc(alignment, (bytes + alignment - 1) / alignment * alignment));
    }
    static std::byte* data(std::byte* p) { return p; }
    static void put(std::byte* p) { std::free(p); }
};

struct new_source {
    explicit new_source(const benchmark::State&) {}
    static std::byte* get(std::size_t bytes) { return new std::byte[bytes]; }
    static std::byte* data(std::byte* p) { return p; }
    static void put(std::byte* p) { delete[] p; }
};

struct mmap_source {
    explicit mmap_source(const benchmark::State&) {}
    struct mapping {
        std::byte* data;
        std::size_t bytes;
    };
    static mapping get(std::size_t bytes) {
        void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        return {p == MAP_FAILED ? nullptr : static_cast<std::byte*>(p), bytes};
    }
    static std::byte* data(mapping& m) { return m.data; }
    static void put(mapping m) { ::munmap(m.data, m.bytes); }
};

template <class Source, void (*Use)(std::byte*, std::size_t)>
void run(benchmark::State& state, Source& source) {
    auto bytes = bytes_of(state);
    for (auto _ : state) {
        auto buffer = source.get(bytes);
        Use(Source::data(buffer), bytes);
        source.put(std::move(buffer));
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
}

template <class Source, void (*Use)(std::byte*, std::size_t)>
void bench(benchmark::State& state) {
    Source source(state);
    run<Source, Use>(state, source);
}

void pool_miss_fill(benchmark::State& state) {
    pool_source source(state, 0);
    run<pool_source, fill>(state, source);
}

void sizes(benchmark::internal::Benchmark* b) {
    b->ArgName("bytes");
    for (auto bytes : {64, 16 << 10, 1 << 20}) b->Arg(bytes);
}

void sizes_and_prefault(benchmark::internal::Benchmark* b) {
    b->ArgNames({"bytes", "prefault"});
    for (auto bytes : {64, 16 << 10, 1 << 20})
        for (auto prefault : {0, 1}) b->Args({bytes, prefault});
}

BENCHMARK_TEMPLATE(bench, pool_source, touch_ends)->Name("pool_cycle")->Apply(sizes_and_prefault);
BENCHMARK_TEMPLATE(bench, aligned_alloc_source, touch_ends)->Name("aligned_alloc_cycle")->Apply(sizes);
BENCHMARK_TEMPLATE(bench, new_source, touch_ends)->Name("new_cycle")->Apply(sizes);

BENCHMARK_TEMPLATE(bench, pool_source, fill)->Name("pool_fill")->Apply(sizes_and_prefault);
BENCHMARK_TEMPLATE(bench, aligned_alloc_source, fill)->Name("aligned_alloc_fill")->Apply(sizes);
BENCHMARK_TEMPLATE(bench, new_source, fill)->Name("new_fill")->Apply(sizes);

BENCHMARK_TEMPLATE(bench, mmap_source, fill)->Name("mmap_fill")->ArgName("bytes")->Arg(16 << 10)->Arg(1 << 20);

BENCHMARK(pool_miss_fill)->Apply(sizes_and_prefault);

} // namespace
