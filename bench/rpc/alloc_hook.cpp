// The replaceable global operator new / delete, counting while
// alloc::counting is set (see alloc_counter.hpp). Linked into the benchmark
// executables only (coronet, coronet-bench-rpc), as an object library: a
// replacement inside a static library would be linked or not by accident.
//
// Counts operator new only: capnp::MallocMessageBuilder's extra segments
// (calloc) and kj's own arenas are not seen. At 64 B every message fits in the
// first segment, so the counts per call are complete there.
#include "alloc_counter.hpp"

#include <algorithm>
#include <cstdlib>
#include <new>

namespace {

inline void count(std::size_t n) {
    if (coronet::bench::alloc::counting.load(std::memory_order_relaxed)) coronet::bench::alloc::record(n);
}

inline void* allocate(std::size_t n) {
    count(n);
    for (;;) {
        if (void* p = std::malloc(n ? n : 1)) return p;
        auto handler = std::get_new_handler();
        if (!handler) throw std::bad_alloc();
        handler();
    }
}

inline void* allocate_aligned(std::size_t n, std::align_val_t a) {
    count(n);
    auto align = std::max(static_cast<std::size_t>(a), sizeof(void*));
    for (;;) {
        void* p = nullptr;
        if (::posix_memalign(&p, align, n ? n : 1) == 0) return p;
        auto handler = std::get_new_handler();
        if (!handler) throw std::bad_alloc();
        handler();
    }
}

template <class F>
inline void* nothrow(F f) noexcept {
    try {
        return f();
    } catch (...) {
        return nullptr;
    }
}

} // namespace

void* operator new(std::size_t n) { return allocate(n); }
void* operator new[](std::size_t n) { return allocate(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
    return nothrow([n] { return allocate(n); });
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
    return nothrow([n] { return allocate(n); });
}
void* operator new(std::size_t n, std::align_val_t a) { return allocate_aligned(n, a); }
void* operator new[](std::size_t n, std::align_val_t a) { return allocate_aligned(n, a); }
void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
    return nothrow([n, a] { return allocate_aligned(n, a); });
}
void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
    return nothrow([n, a] { return allocate_aligned(n, a); });
}

void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
