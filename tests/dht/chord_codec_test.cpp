// chord::message on the wire: every type round-trips, and hostile bytes —
// truncated, bit-flipped, oversized, lying about their counts, random —
// throw codec_error naming the reason, before anything is allocated or read
// past the end.
#include <coronet/dht/chord/message_codec.hpp>

#include <catch2/catch.hpp>

#include <random>

using namespace coronet::dht::chord;

namespace {

peer codec_peer(std::mt19937_64& rng) {
    std::array<std::uint8_t, id::bytes> b{};
    for (auto& x : b) x = static_cast<std::uint8_t>(rng());
    return {id::from_bytes(b), "tcp://10.0.0." + std::to_string(rng() % 256) + ":" + std::to_string(rng() % 65536)};
}

/// Any field may hold anything: the codec judges form, the core meaning.
message codec_random_message(std::mt19937_64& rng, message_type type) {
    message m;
    m.type = type;
    m.from = codec_peer(rng);
    m.to = codec_peer(rng).address;
    m.rpc_id = rng();
    m.request_id = rng();
    m.key = codec_peer(rng).id;
    m.hops = static_cast<std::uint32_t>(rng());
    m.done = rng() % 2 == 0;
    m.final = rng() % 2 == 0;
    m.failure = static_cast<errc>(rng() % errc_count);
    if (rng() % 2) m.node = codec_peer(rng);
    if (rng() % 2) m.origin = codec_peer(rng);
    for (auto n = rng() % 5; n > 0; --n) m.candidates.push_back(codec_peer(rng));
    for (auto n = rng() % 9; n > 0; --n) m.successors.push_back(codec_peer(rng));
    return m;
}

/// A valid encoding with a node, an origin and both lists.
std::string codec_full_encoding() {
    std::mt19937_64 rng(7);
    auto m = codec_random_message(rng, message_type::find_next_reply);
    m.node = codec_peer(rng);
    m.origin = codec_peer(rng);
    m.candidates = {codec_peer(rng), codec_peer(rng)};
    m.successors = {codec_peer(rng), codec_peer(rng), codec_peer(rng)};
    return encode(m);
}

std::string codec_error_text(const std::string& bytes, const codec_limits& limits = {}) {
    try {
        decode_message(bytes, limits);
    } catch (const codec_error& e) {
        return e.what();
    }
    return "decoded";
}

/// The offset of the candidate count in an encoding without node or origin.
std::size_t codec_candidates_at(const message& m) {
    return 4 + id::bytes + 2 + m.from.address.size() + 2 + m.to.size() + 8 + 8 + id::bytes + 4;
}

} // namespace

TEST_CASE("every message type round-trips through the codec with all its fields", "[dht][codec]") {
    std::mt19937_64 rng(1);
    for (std::uint8_t t = 0; t < message_type_count; ++t) {
        for (int i = 0; i < 50; ++i) {
            auto m = codec_random_message(rng, static_cast<message_type>(t));
            auto bytes = encode(m);
            CHECK(decode_message(bytes) == m);
            std::span<const std::byte> as_bytes(reinterpret_cast<const std::byte*>(bytes.data()), bytes.size());
            CHECK(decode_message(as_bytes) == m);
        }
    }
    message empty;
    CHECK(encode(empty).size() == encoded_header_bytes);
    CHECK(decode_message(encode(empty)) == empty);
}

TEST_CASE("every truncation of a valid message is rejected as truncated", "[dht][codec]") {
    auto bytes = codec_full_encoding();
    for (std::size_t n = 0; n < bytes.size(); ++n) {
        INFO("first " << n << " of " << bytes.size() << " bytes");
        auto text = codec_error_text(bytes.substr(0, n));
        CHECK((text.find("truncated") != std::string::npos || text.find("does not fit") != std::string::npos));
    }
    CHECK(codec_error_text(bytes + "x").find("1 trailing bytes") != std::string::npos);
}

TEST_CASE("unknown versions, types, flags and failure codes are rejected by name", "[dht][codec]") {
    auto bytes = codec_full_encoding();
    auto patched = [&](std::size_t at, std::uint8_t v) {
        auto b = bytes;
        b[at] = static_cast<char>(v);
        return codec_error_text(b);
    };
    CHECK(patched(0, 2).find("unknown version 2") != std::string::npos);
    CHECK(patched(1, message_type_count).find("unknown message type") != std::string::npos);
    CHECK(patched(2, 0x10).find("unknown flags") != std::string::npos);
    CHECK(patched(3, static_cast<std::uint8_t>(errc_count)).find("unknown failure") != std::string::npos);
}

TEST_CASE("lengths and counts beyond the limits or beyond the bytes present are rejected before allocating", "[dht][codec]") {
    message m;
    m.type = message_type::find_next_reply;
    m.from = {id{1}, "sim://a"};
    m.to = "sim://b";
    auto bytes = encode(m);
    auto at = codec_candidates_at(m);

    // A count of 60 peers with none present; a count above peers_max.
    auto lying = bytes;
    lying[at] = 60;
    CHECK(codec_error_text(lying).find("does not fit") != std::string::npos);
    auto huge = bytes;
    huge[at] = static_cast<char>(0xff);
    huge[at + 1] = static_cast<char>(0xff);
    CHECK(codec_error_text(huge).find("exceeds the limit") != std::string::npos);

    // Addresses over the limit, and whole messages over theirs.
    m.from.address = std::string(300, 'a');
    CHECK(codec_error_text(encode(m)).find("exceeds the limit of 255") != std::string::npos);
    codec_limits small;
    small.message_bytes_max = 40;
    CHECK(codec_error_text(encode(m), small).find("message of") != std::string::npos);
    small = {};
    small.peers_max = 2;
    m.from.address = "sim://a";
    m.successors.assign(3, peer{id{2}, "sim://c"});
    CHECK(codec_error_text(encode(m), small).find("successors count 3 exceeds the limit of 2") != std::string::npos);

    // What the format cannot say, encode refuses rather than truncating.
    m.from.address = std::string(70'000, 'a');
    CHECK_THROWS_AS(encode(m), codec_error);
}

TEST_CASE("random bytes and bit flips either decode to a message that re-encodes identically or throw codec_error", "[dht][codec]") {
    std::mt19937_64 rng(99);
    auto valid = codec_full_encoding();
    std::size_t decoded = 0;
    for (int i = 0; i < 4000; ++i) {
        std::string bytes;
        if (i % 2 == 0) {
            bytes.resize(rng() % 200);
            for (auto& c : bytes) c = static_cast<char>(rng());
            if (!bytes.empty() && rng() % 2) bytes[0] = static_cast<char>(codec_version);
        } else {
            bytes = valid;
            for (auto flips = 1 + rng() % 4; flips > 0; --flips)
                bytes[rng() % bytes.size()] ^= static_cast<char>(1u << (rng() % 8));
        }
        try {
            auto m = decode_message(bytes);
            CHECK(encode(m) == bytes);
            ++decoded;
        } catch (const codec_error&) {
        }
    }
    CHECK(decoded > 0); // some flips land in ids or integers and stay valid
}
