// Routing is on the publish path of every message: once warm it must not
// touch the heap. This binary's operator new counts calls to prove it.
#include <coronet/pubsub/router.hpp>

#include <catch2/catch.hpp>

#include <cstdlib>
#include <memory>
#include <new>

namespace {

std::size_t allocations = 0; // the tests are single-threaded

} // namespace

// Every replaceable form but the aligned ones (whose default pair stays
// consistent): Catch2 allocates with the nothrow form and frees with plain
// delete, so replacing only some forms mismatches them.
void* operator new(std::size_t n) {
    ++allocations;
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
    ++allocations;
    return std::malloc(n ? n : 1);
}
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept { return operator new(n, t); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

using coronet::pubsub::router;
using coronet::pubsub::subscription_id;

TEST_CASE("matching and routing a warm router do not allocate", "[pubsub]") {
    router r;
    for (auto p : {"orders.eu.created", "orders.*.created", "orders.>", ">", "*.eu.*"}) r.subscribe(p);
    for (int i = 0; i < 4; ++i) r.subscribe("orders.*.created", "billing");
    for (int i = 0; i < 3; ++i) r.subscribe("orders.>", "shipping");
    std::size_t delivered = 0;
    auto count = [&](subscription_id) { ++delivered; };
    r.route("orders.eu.created", count); // grows the scratch space once
    const auto before = allocations;
    for (int i = 0; i < 1000; ++i) {
        r.route("orders.eu.created", count);
        r.route("orders.us.created", count);
        r.route("users.1", count);
        r.tree().match("orders.eu.created", count);
    }
    CHECK(allocations == before);
    auto probe = std::make_unique<int>(1); // and the counter does see allocations
    CHECK(allocations == before + 1);
    CHECK(delivered == 7 + 1000 * (7 + 5 + 1 + 12));
}
