// The counting allocator hooks (see alloc_counter.hpp): the replaceable global
// operator new / delete, and malloc & co. interposed over glibc's (forwarding
// to its __libc_* entry points). Linked into the benchmark executables only
// (coronet, coronet-bench-rpc), as an object library: a replacement inside a
// static library would be linked or not by accident. Left out of sanitizer
// builds, whose runtimes own malloc.
#include "alloc_counter.hpp"

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#define CORONET_BENCH_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define CORONET_BENCH_SANITIZED 1
#endif

#if !defined(CORONET_BENCH_SANITIZED)

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <new>

#include <malloc.h>
#include <unistd.h>

namespace alloc = coronet::bench::alloc;

// ---- the C allocator ---------------------------------------------------------

extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void __libc_free(void*);
void* __libc_memalign(std::size_t, std::size_t);
}

namespace {
inline void count_alloc(std::size_t n) {
    if (alloc::counting.load(std::memory_order_relaxed)) alloc::record_alloc(n);
}
inline void count_new() {
    if (alloc::counting.load(std::memory_order_relaxed)) alloc::record_new();
}
} // namespace

extern "C" {
void* malloc(std::size_t n) noexcept {
    count_alloc(n);
    return __libc_malloc(n);
}
void free(void* p) noexcept { __libc_free(p); }
void* calloc(std::size_t count, std::size_t size) noexcept {
    count_alloc(count * size);
    return __libc_calloc(count, size);
}
void* realloc(void* p, std::size_t n) noexcept {
    count_alloc(n);
    return __libc_realloc(p, n);
}
void* memalign(std::size_t align, std::size_t n) noexcept {
    count_alloc(n);
    return __libc_memalign(align, n);
}
void* aligned_alloc(std::size_t align, std::size_t n) noexcept {
    count_alloc(n);
    return __libc_memalign(align, n);
}
int posix_memalign(void** out, std::size_t align, std::size_t n) noexcept {
    if (align % sizeof(void*) != 0 || (align & (align - 1)) != 0) return EINVAL;
    count_alloc(n);
    void* p = __libc_memalign(align, n);
    if (!p) return ENOMEM;
    *out = p;
    return 0;
}
void* valloc(std::size_t n) noexcept {
    count_alloc(n);
    return __libc_memalign(static_cast<std::size_t>(::sysconf(_SC_PAGESIZE)), n);
}
void* pvalloc(std::size_t n) noexcept {
    auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    n = (n + page - 1) / page * page;
    count_alloc(n);
    return __libc_memalign(page, n);
}
}

// ---- operator new / delete -----------------------------------------------------

namespace {

inline void* allocate(std::size_t n) {
    count_new();
    for (;;) {
        if (void* p = std::malloc(n ? n : 1)) return p;
        auto handler = std::get_new_handler();
        if (!handler) throw std::bad_alloc();
        handler();
    }
}

inline void* allocate_aligned(std::size_t n, std::align_val_t a) {
    count_new();
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

#endif
