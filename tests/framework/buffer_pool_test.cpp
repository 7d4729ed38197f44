#include <coronet/buffer_pool.hpp>

#include <catch2/catch.hpp>

#include <cstdint>

using namespace coronet;

TEST_CASE("pooled buffers are aligned as asked", "[buffer_pool]") {
    for (std::size_t alignment : {8, 64, 4096}) {
        buffer_pool pool(1000, 4, alignment);
        auto b = pool.acquire();
        CHECK(reinterpret_cast<std::uintptr_t>(b.data()) % alignment == 0);
        auto big = pool.acquire(5000);
        CHECK(reinterpret_cast<std::uintptr_t>(big.data()) % alignment == 0);
    }
}

TEST_CASE("a released block is reused by the next acquire", "[buffer_pool]") {
    buffer_pool pool(4096, 2);
    std::byte* first;
    {
        auto b = pool.acquire(100);
        CHECK(b.size() == 100);
        CHECK(b.capacity() == 4096);
        first = b.data();
    }
    CHECK(pool.cached() == 1);
    auto again = pool.acquire();
    CHECK(again.data() == first);
    CHECK(pool.reuses() == 1);
    CHECK(pool.allocations() == 1);
}

TEST_CASE("the pool caches at most cached_blocks_max blocks", "[buffer_pool]") {
    buffer_pool pool(256, 2);
    {
        auto a = pool.acquire(), b = pool.acquire(), c = pool.acquire();
    }
    CHECK(pool.cached() == 2);
    CHECK(pool.allocations() == 3);
}

TEST_CASE("oversize requests get a one-off buffer that is not cached", "[buffer_pool]") {
    buffer_pool pool(256, 8);
    {
        auto big = pool.acquire(1 << 20);
        CHECK(big.size() == (1u << 20));
        big.data()[(1 << 20) - 1] = std::byte{1}; // writable to the end
    }
    CHECK(pool.cached() == 0);
}

TEST_CASE("a moved-from buffer is empty and buffers may outlive their pool", "[buffer_pool]") {
    pooled_buffer kept;
    {
        buffer_pool pool(128, 4);
        auto a = pool.acquire();
        kept = std::move(a);
        CHECK(a.data() == nullptr);
        CHECK(a.size() == 0);
    }
    CHECK(kept.size() == 128); // still valid; frees itself later
    CHECK_THROWS_AS(kept.resize(129), std::length_error);
    kept.resize(10);
    CHECK(kept.span().size() == 10);
}

TEST_CASE("bad pool settings are rejected", "[buffer_pool]") {
    CHECK_THROWS_AS(buffer_pool(0, 1), std::invalid_argument);
    CHECK_THROWS_AS(buffer_pool(64, 1, 4), std::invalid_argument);
    CHECK_THROWS_AS(buffer_pool(64, 1, 48), std::invalid_argument);
}
