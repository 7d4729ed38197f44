#include "alloc_counter.hpp"

#include <cstdlib>
#include <new>

namespace coronet::bench::alloc {

std::atomic<bool> counting{false};

namespace {

thread_local int this_role = 0; // constant-initialized: safe to read inside malloc

struct alignas(64) counter {
    std::atomic<std::uint64_t> news{0}, allocs{0}, bytes{0};
};
counter by_role[3];

} // namespace

void set_thread_role(role r) { this_role = static_cast<int>(r); }

void record_new() noexcept { by_role[this_role].news.fetch_add(1, std::memory_order_relaxed); }

void record_alloc(std::size_t bytes) noexcept {
    auto& c = by_role[this_role];
    c.allocs.fetch_add(1, std::memory_order_relaxed);
    c.bytes.fetch_add(bytes, std::memory_order_relaxed);
}

void start() {
    for (auto& c : by_role) {
        c.news.store(0, std::memory_order_relaxed);
        c.allocs.store(0, std::memory_order_relaxed);
        c.bytes.store(0, std::memory_order_relaxed);
    }
    counting.store(true, std::memory_order_seq_cst);
}

counts stop() {
    counting.store(false, std::memory_order_seq_cst);
    counts out;
    for (int i = 0; i < 3; ++i) {
        out.news[i] = by_role[i].news.load(std::memory_order_relaxed);
        out.allocs[i] = by_role[i].allocs.load(std::memory_order_relaxed);
        out.bytes[i] = by_role[i].bytes.load(std::memory_order_relaxed);
    }
    return out;
}

bool installed() {
    static const bool yes = [] {
        // Nothing else may count meanwhile: called before any cell runs.
        start();
        // Calls of the functions, not a new-expression: never elided.
        ::operator delete(::operator new(24));
        auto* volatile p = std::malloc(24);
        std::free(p);
        auto c = stop();
        return c.total_news() > 0 && c.total_allocs() > 1;
    }();
    return yes;
}

} // namespace coronet::bench::alloc
