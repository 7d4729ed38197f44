#include <coronet/buffer_pool.hpp>

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

using namespace coronet;

namespace {

bool aligned_to(const std::byte* p, std::size_t alignment) {
    return reinterpret_cast<std::uintptr_t>(p) % alignment == 0;
}

} // namespace

TEST_CASE("pooled and oversize buffers are aligned as asked", "[buffer_pool]") {
    for (std::size_t alignment : {8, 64, 4096}) {
        INFO("alignment " << alignment);
        buffer_pool pool(1000, 4, alignment); // a block size that is not a multiple of the alignment
        std::vector<pooled_buffer> held;
        for (int i = 0; i < 4; ++i) {
            held.push_back(pool.acquire());
            CHECK(aligned_to(held.back().data(), alignment));
        }
        auto big = pool.acquire(5000);
        CHECK(aligned_to(big.data(), alignment));
        held.clear();
        auto reused = pool.acquire(10);
        CHECK(aligned_to(reused.data(), alignment));
    }
}

TEST_CASE("a released block is reused by the next acquire", "[buffer_pool]") {
    buffer_pool pool(4096, 2);
    const std::byte* first;
    {
        auto b = pool.acquire(100);
        CHECK(b.size() == 100);
        CHECK(b.capacity() == 4096);
        first = b.data();
        CHECK(pool.outstanding() == 1);
    }
    CHECK(pool.outstanding() == 0);
    CHECK(pool.cached() == 1);
    auto again = pool.acquire();
    CHECK(again.data() == first);
    CHECK(again.size() == 4096);
    CHECK(pool.reuses() == 1);
    CHECK(pool.allocations() == 1);
    CHECK(pool.cached() == 0);
}

TEST_CASE("the pool caches at most cached_blocks_max blocks", "[buffer_pool]") {
    buffer_pool pool(256, 2);
    {
        std::vector<pooled_buffer> held;
        for (int i = 0; i < 5; ++i) held.push_back(pool.acquire());
        CHECK(pool.allocations() == 5);
        CHECK(pool.outstanding() == 5);
    }
    CHECK(pool.cached() == 2);
    CHECK(pool.outstanding() == 0);
    // Only the cached two are reused; the third acquire allocates again.
    auto a = pool.acquire(), b = pool.acquire(), c = pool.acquire();
    CHECK(pool.reuses() == 2);
    CHECK(pool.allocations() == 6);

    buffer_pool no_cache(256, 0);
    { auto d = no_cache.acquire(); }
    CHECK(no_cache.cached() == 0);
}

TEST_CASE("oversize requests get a one-off buffer that is never cached", "[buffer_pool]") {
    buffer_pool pool(256, 8, 64, true);
    {
        auto big = pool.acquire(1 << 20);
        CHECK(big.size() == (1u << 20));
        CHECK(big.capacity() == (1u << 20));
        std::memset(big.data(), 0xab, big.size()); // writable to the end (ASan checks the bound)
        CHECK(big.span().back() == std::byte{0xab});
        CHECK(pool.allocations() == 1);
    }
    CHECK(pool.cached() == 0);
    CHECK(pool.outstanding() == 0);
    { auto exact = pool.acquire(256); } // exactly block_bytes is a pooled block
    CHECK(pool.cached() == 1);
}

TEST_CASE("a moved-from buffer is empty and move assignment releases the old block", "[buffer_pool]") {
    buffer_pool pool(128, 4);
    auto a = pool.acquire();
    const std::byte* block_a = a.data();
    auto b = std::move(a);
    CHECK(a.data() == nullptr);
    CHECK(a.size() == 0);
    CHECK(a.capacity() == 0);
    CHECK(a.span().empty());
    CHECK(b.data() == block_a);
    CHECK(pool.outstanding() == 1);

    auto c = pool.acquire();
    c = std::move(b); // c's own block goes back to the pool
    CHECK(c.data() == block_a);
    CHECK(pool.outstanding() == 1);
    CHECK(pool.cached() == 1);

    pooled_buffer empty;
    empty = pooled_buffer{}; // moving empties around is harmless
    CHECK(empty.data() == nullptr);
}

TEST_CASE("a buffer resizes within its capacity only", "[buffer_pool]") {
    buffer_pool pool(128, 1);
    auto b = pool.acquire(16);
    b.span()[0] = std::byte{7};
    b.resize(128);
    CHECK(b.size() == 128);
    CHECK(b.span().size() == 128);
    CHECK(b.span()[0] == std::byte{7}); // resizing keeps the bytes
    b.resize(0);
    CHECK(b.empty());
    CHECK_THROWS_AS(b.resize(129), std::length_error);
    const auto& view = b;
    CHECK(view.span().data() == b.data()); // the read-only view of the same bytes
}

TEST_CASE("reserve allocates and prefaults blocks before the first acquire", "[buffer_pool]") {
    buffer_pool pool(1 << 20, 3, 64, true);
    pool.reserve(10); // bounded by cached_blocks_max
    CHECK(pool.cached() == 3);
    CHECK(pool.allocations() == 3);
    std::vector<pooled_buffer> held;
    for (int i = 0; i < 3; ++i) held.push_back(pool.acquire());
    CHECK(pool.allocations() == 3);
    CHECK(pool.reuses() == 3);
    CHECK(held[0].span()[0] == std::byte{0}); // prefaulting wrote zeros
}

TEST_CASE("bad pool settings are rejected", "[buffer_pool]") {
    CHECK_THROWS_AS(buffer_pool(0, 1), std::invalid_argument);
    CHECK_THROWS_AS(buffer_pool(64, 1, 4), std::invalid_argument);
    CHECK_THROWS_AS(buffer_pool(64, 1, 48), std::invalid_argument);
    CHECK_THROWS_AS(buffer_pool(64, 1, 0), std::invalid_argument);
    CHECK_NOTHROW(buffer_pool(64, 1, 8));
}

TEST_CASE("destroying a pool while its buffers are out aborts", "[buffer_pool]") {
    // The enforcement of "the pool must outlive its buffers", checked in a child
    // process because it ends the process.
    auto child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        // Catch2 reports SIGABRT as a failure (on stdout) before re-raising it;
        // here the abort is the expected outcome, so take the default action,
        // and the expected message goes nowhere.
        std::signal(SIGABRT, SIG_DFL);
        int null = ::open("/dev/null", O_WRONLY);
        ::dup2(null, STDOUT_FILENO);
        ::dup2(null, STDERR_FILENO);
        auto pool = std::make_unique<buffer_pool>(64, 1);
        auto* leaked = new pooled_buffer(pool->acquire());
        pool.reset(); // must abort here
        (void)leaked;
        ::_exit(0);
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    CHECK(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGABRT);
}
