// Consistent hashing: SHA-1 against the published test vectors (FIPS 180-2
// Appendix A and RFC 3174's test driver), and ids truncated to the ring's m
// bits.
#include <coronet/dht/chord/hash.hpp>

#include <catch2/catch.hpp>

#include <string>

using namespace coronet::dht::chord;

namespace {

std::string hash_hex(std::string_view data) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (auto b : sha1(data)) {
        out.push_back(digits[b >> 4]);
        out.push_back(digits[b & 0xf]);
    }
    return out;
}

} // namespace

TEST_CASE("SHA-1 matches the published test vectors", "[dht][hash]") {
    CHECK(hash_hex("") == "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    CHECK(hash_hex("abc") == "a9993e364706816aba3e25717850c26c9cd0d89d");
    CHECK(hash_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
          "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    CHECK(hash_hex("The quick brown fox jumps over the lazy dog") == "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12");
    // RFC 3174 test 4: "01234567" repeated 80 times (640 bytes, ten blocks).
    std::string repeated;
    for (int i = 0; i < 80; ++i) repeated += "01234567";
    CHECK(hash_hex(repeated) == "dea356a2cddd90c7a7ecedc5ebb563934f460452");
    // FIPS 180-2 A.3: one million 'a'.
    CHECK(hash_hex(std::string(1'000'000, 'a')) == "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

TEST_CASE("hashed ids keep the digest on the 160-bit ring and its leading m bits on smaller rings", "[dht][hash]") {
    auto full = hash_id("abc", ring(160));
    CHECK(full == id::from_hex("a9993e364706816aba3e25717850c26c9cd0d89d").value());
    CHECK(hash_id("abc", ring(8)) == id{0xa9});
    CHECK(hash_id("abc", ring(6)) == id{0xa9 >> 2});
    CHECK(hash_id("abc", ring(64)) == id{0xa9993e364706816aull});
    CHECK(hash_id("abc", ring(1)) == id{1});
    // Node addresses hash like keys.
    CHECK(hash_id("tcp://127.0.0.1:7000", ring(160)) == id::from_bytes(sha1("tcp://127.0.0.1:7000")));
}
