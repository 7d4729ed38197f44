#include "alloc_counter.hpp"

#include <new>

namespace coronet::bench::alloc {

std::atomic<bool> counting{false};

namespace {

thread_local int this_role = 0;

struct alignas(64) counter {
    std::atomic<std::uint64_t> allocs{0}, bytes{0};
};
counter by_role[3];

} // namespace

void set_thread_role(role r) { this_role = static_cast<int>(r); }

void record(std::size_t bytes) noexcept {
    auto& c = by_role[this_role];
    c.allocs.fetch_add(1, std::memory_order_relaxed);
    c.bytes.fetch_add(bytes, std::memory_order_relaxed);
}

void start() {
    for (auto& c : by_role) {
        c.allocs.store(0, std::memory_order_relaxed);
        c.bytes.store(0, std::memory_order_relaxed);
    }
    counting.store(true, std::memory_order_seq_cst);
}

counts stop() {
    counting.store(false, std::memory_order_seq_cst);
    counts out;
    for (int i = 0; i < 3; ++i) {
        out.allocs[i] = by_role[i].allocs.load(std::memory_order_relaxed);
        out.bytes[i] = by_role[i].bytes.load(std::memory_order_relaxed);
    }
    return out;
}

bool installed() {
    static const bool yes = [] {
        // Nothing else may count meanwhile: called before any cell runs.
        start();
        // A call of the function, not a new-expression: never elided.
        ::operator delete(::operator new(24));
        return stop().total_allocs() > 0;
    }();
    return yes;
}

} // namespace coronet::bench::alloc
