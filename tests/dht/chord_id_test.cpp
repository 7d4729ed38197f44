// Ids on the 2^m ring: exact 160-bit arithmetic, reduction to m bits, finger
// starts, and interval membership, wrap-around and the m = 160 edges
// included.
#include <coronet/dht/chord/ring.hpp>

#include <catch2/catch.hpp>

#include <random>

using namespace coronet::dht::chord;

namespace {

id id_hex(const char* hex) { return id::from_hex(hex).value(); }

/// 2^160 - 1.
id id_all_ones() { return id_hex("ffffffffffffffffffffffffffffffffffffffff"); }

} // namespace

TEST_CASE("ids add and subtract exactly modulo 2^160, carrying across all three limbs", "[dht][id]") {
    CHECK(id{1} + id{2} == id{3});
    CHECK(id_hex("ffffffffffffffff") + id{1} == id_hex("10000000000000000"));
    CHECK(id_hex("ffffffffffffffffffffffffffffffff") + id{1} == id_hex("100000000000000000000000000000000"));
    CHECK(id_all_ones() + id{1} == id{0});
    CHECK(id_all_ones() + id_all_ones() == id_hex("fffffffffffffffffffffffffffffffffffffffe"));
    CHECK(id{0} - id{1} == id_all_ones());
    CHECK(id_hex("100000000000000000000000000000000") - id{1} == id_hex("ffffffffffffffffffffffffffffffff"));
    CHECK(id::pow2(159) + id::pow2(159) == id{0});

    std::mt19937_64 rng(42);
    for (int i = 0; i < 200; ++i) {
        id a = id::pow2(static_cast<unsigned>(rng() % 160)) + id{rng()};
        id b = id::pow2(static_cast<unsigned>(rng() % 160)) + id{rng()};
        CHECK((a + b) - b == a);
        CHECK((a - b) + b == a);
        CHECK(a + b == b + a);
    }
}

TEST_CASE("ids round-trip through bytes and hex, and hex rejects anything else", "[dht][id]") {
    auto x = id_hex("0123456789abcdef0123456789ABCDEF01234567");
    auto bytes = x.to_bytes();
    CHECK(bytes[0] == 0x01);
    CHECK(bytes[19] == 0x67);
    CHECK(id::from_bytes(bytes) == x);
    CHECK(x.to_hex() == "123456789abcdef0123456789abcdef01234567");
    CHECK(id{}.to_hex() == "0");
    CHECK(id{255}.to_hex() == "ff");
    CHECK_FALSE(id::from_hex(""));
    CHECK_FALSE(id::from_hex("0x12"));
    CHECK_FALSE(id::from_hex("12 3"));
    CHECK_FALSE(id::from_hex("00000000000000000000000000000000000000001")); // 41 digits
    CHECK(id::from_hex("ffffffffffffffffffffffffffffffffffffffff"));
}

TEST_CASE("ids order as unsigned 160-bit numbers and report their width", "[dht][id]") {
    CHECK(id{1} < id{2});
    CHECK(id{~0ull} < id::pow2(64));
    CHECK(id::pow2(128) > id_hex("ffffffffffffffffffffffffffffffff"));
    CHECK(id{}.bit_width() == 0);
    CHECK(id{1}.bit_width() == 1);
    CHECK(id::pow2(63).bit_width() == 64);
    CHECK(id::pow2(159).bit_width() == 160);
    CHECK(id::pow2(100).bit(100));
    CHECK_FALSE(id::pow2(100).bit(99));
    CHECK_THROWS_AS(id::pow2(160), std::out_of_range);
    CHECK(id_all_ones().low_bits(8) == id{255});
    CHECK(id_all_ones().low_bits(130) == id::pow2(130) - id{1});
    CHECK(id_all_ones().shifted_right(152) == id{255});
    CHECK(id::pow2(100).shifted_right(36) == id::pow2(64));
    CHECK(id_all_ones().shifted_right(160) == id{});
}

TEST_CASE("a ring of m bits holds exactly the ids below 2^m", "[dht][id]") {
    CHECK_THROWS_AS(ring(0), std::invalid_argument);
    CHECK_THROWS_AS(ring(161), std::invalid_argument);
    ring r6(6);
    CHECK(r6.contains(id{63}));
    CHECK_FALSE(r6.contains(id{64}));
    CHECK(r6.last() == id{63});
    ring r160(160);
    CHECK(r160.contains(id_all_ones()));
    CHECK(r160.last() == id_all_ones());
}

TEST_CASE("finger starts are n + 2^i modulo 2^m, wrapping past the top of the ring", "[dht][id]") {
    ring r6(6);
    // On the paper's m = 6 example ring, node 8's fingers start at 9, 10,
    // 12, 16, 24, 40.
    unsigned expected[] = {9, 10, 12, 16, 24, 40};
    for (unsigned i = 0; i < 6; ++i) CHECK(r6.finger_start(id{8}, i) == id{expected[i]});
    CHECK(r6.finger_start(id{60}, 3) == id{4}); // 60 + 8 = 68 = 4 mod 64
    CHECK_THROWS_AS(r6.finger_start(id{8}, 6), std::out_of_range);

    ring r160(160);
    CHECK(r160.finger_start(id_all_ones(), 0) == id{0});
    CHECK(r160.finger_start(id::pow2(159), 159) == id{0});
    CHECK(r160.finger_start(id{5}, 159) == id::pow2(159) + id{5});
    CHECK(r160.distance(id{10}, id{3}) == id{0} - id{7});
    CHECK(r6.distance(id{10}, id{3}) == id{57});
}

TEST_CASE("interval membership walks clockwise, wraps past zero, and is the whole ring when the ends meet", "[dht][id]") {
    // (a, b) and (a, b] without wrap.
    CHECK(in_open(id{5}, id{3}, id{9}));
    CHECK_FALSE(in_open(id{3}, id{3}, id{9}));
    CHECK_FALSE(in_open(id{9}, id{3}, id{9}));
    CHECK(in_half_open(id{9}, id{3}, id{9}));
    CHECK_FALSE(in_half_open(id{3}, id{3}, id{9}));
    CHECK_FALSE(in_half_open(id{10}, id{3}, id{9}));
    // Wrapping: (60, 4) on a 6-bit ring holds 61, 62, 63, 0, 1, 2, 3.
    for (unsigned x : {61u, 63u, 0u, 3u}) CHECK(in_open(id{x}, id{60}, id{4}));
    for (unsigned x : {60u, 4u, 30u}) CHECK_FALSE(in_open(id{x}, id{60}, id{4}));
    CHECK(in_half_open(id{4}, id{60}, id{4}));
    // a == b: a node alone is its own successor and owns everything.
    CHECK(in_open(id{7}, id{5}, id{5}));
    CHECK_FALSE(in_open(id{5}, id{5}, id{5}));
    CHECK(in_half_open(id{5}, id{5}, id{5}));
    CHECK(in_half_open(id{0}, id{5}, id{5}));
    // The m = 160 edges: the interval from the top id to 0 and back.
    auto top = id_all_ones();
    CHECK(in_half_open(id{0}, top, id{0}));
    CHECK_FALSE(in_open(id{0}, top, id{0}));
    CHECK(in_open(top, top - id{1}, id{0}));
    CHECK(in_half_open(top, id{0}, top));
    CHECK(in_open(id::pow2(159), id{0}, top));
    CHECK_FALSE(in_open(id{1}, top, id{1}));
    CHECK(in_open(id{0}, top, id{1}));
}
