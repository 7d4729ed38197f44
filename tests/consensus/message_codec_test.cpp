// raft::message on the wire: every type round-trips, and hostile input —
// truncated, bit-flipped, oversized, lying about its counts — throws
// codec_error before it can allocate or read past the end.
#include <coronet/consensus/raft/message_codec.hpp>

#include <catch2/catch.hpp>

#include <cstring>
#include <limits>
#include <random>
#include <set>

using namespace coronet::consensus::raft;

namespace {

std::string random_bytes(std::mt19937_64& rng, std::size_t max) {
    std::string s(rng() % (max + 1), '\0');
    for (auto& c : s) c = static_cast<char>(rng() & 0xff);
    return s;
}

/// Any field may hold anything: the codec does not judge meaning, the core does.
message random_message(std::mt19937_64& rng, message_type type) {
    message m;
    m.type = type;
    m.from = rng();
    m.to = rng() % 8;
    m.term = rng();
    m.log_term = rng() % 100;
    m.index = rng();
    m.commit = rng() % 1000;
    m.reject = rng() % 2 == 0;
    m.reject_hint = rng();
    m.context = rng();
    m.leader_transfer = rng() % 2 == 0;
    for (auto n = rng() % 5; n > 0; --n) {
        entry e;
        e.term = rng();
        e.index = rng();
        e.type = static_cast<entry_type>(rng() % 3);
        e.data = random_bytes(rng, 40);
        m.entries.push_back(std::move(e));
    }
    if (type == message_type::snapshot || rng() % 4 == 0) {
        snapshot s;
        s.metadata.index = rng();
        s.metadata.term = rng();
        std::set<node_id> ids;
        for (auto n = rng() % 8; n > 0; --n) ids.insert(1 + rng() % 50);
        for (auto id : ids) (rng() % 3 == 0 ? s.metadata.members.learners : s.metadata.members.voters).push_back(id);
        s.data = random_bytes(rng, 200);
        m.snapshot = std::move(s);
    }
    return m;
}

void put_u32(std::string& out, std::size_t at, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out[at + static_cast<std::size_t>(i)] = static_cast<char>((v >> (8 * i)) & 0xff);
}

/// Decodes; true if it threw codec_error. Any other exception fails the test.
bool rejects(std::string_view bytes, const codec_limits& limits = {}) {
    try {
        (void)decode_message(bytes, limits);
        return false;
    } catch (const codec_error&) {
        return true;
    }
}

constexpr std::size_t entry_count_at = 3 + 8 * 8;

} // namespace

TEST_CASE("every raft message type survives encode and decode unchanged", "[consensus][raft][codec]") {
    std::mt19937_64 rng(20261202);
    for (int round = 0; round < 50; ++round)
        for (std::uint8_t t = 0; t < message_type_count; ++t) {
            auto m = random_message(rng, static_cast<message_type>(t));
            auto bytes = encode(m);
            INFO(describe(m));
            CHECK(decode_message(bytes) == m);
            std::span<const std::byte> raw(reinterpret_cast<const std::byte*>(bytes.data()), bytes.size());
            CHECK(decode_message(raw) == m);
        }
}

TEST_CASE("a raft message without entries or snapshot encodes to the fixed header alone",
          "[consensus][raft][codec]") {
    message m;
    m.type = message_type::heartbeat;
    m.from = 1;
    m.to = 2;
    m.term = 3;
    auto bytes = encode(m);
    CHECK(bytes.size() == encoded_header_bytes);
    CHECK(static_cast<std::uint8_t>(bytes[0]) == codec_version);
    CHECK(static_cast<std::uint8_t>(bytes[1]) == static_cast<std::uint8_t>(message_type::heartbeat));
    CHECK(static_cast<std::uint8_t>(bytes[3]) == 1); // from, little endian
    CHECK(decode_message(bytes) == m);
}

TEST_CASE("every truncation of an encoded raft message is rejected", "[consensus][raft][codec]") {
    std::mt19937_64 rng(7);
    for (int round = 0; round < 40; ++round) {
        auto bytes = encode(random_message(rng, static_cast<message_type>(rng() % message_type_count)));
        for (std::size_t n = 0; n < bytes.size(); ++n) REQUIRE(rejects(std::string_view(bytes).substr(0, n)));
        CHECK(rejects(bytes + '\0')); // trailing bytes
    }
}

TEST_CASE("random corruptions of encoded raft messages decode or throw codec_error, never worse",
          "[consensus][raft][codec]") {
    std::mt19937_64 rng(11);
    codec_limits tight;
    tight.entries_max = 3;
    tight.entry_bytes_max = 30;
    tight.snapshot_bytes_max = 100;
    tight.members_max = 5;
    std::size_t rejected = 0, total = 0;
    for (int round = 0; round < 3000; ++round) {
        auto bytes = encode(random_message(rng, static_cast<message_type>(rng() % message_type_count)));
        for (auto flips = 1 + rng() % 4; flips > 0; --flips) {
            auto at = rng() % bytes.size();
            bytes[at] = static_cast<char>(bytes[at] ^ static_cast<char>(1 + rng() % 255));
        }
        if (rng() % 3 == 0) bytes.resize(rng() % (bytes.size() + 1));
        ++total;
        if (rejects(bytes, round % 2 ? tight : codec_limits{})) ++rejected;
    }
    CHECK(rejected > total / 2); // most corruptions are caught (the rest hit free-form fields)
}

TEST_CASE("a raft message claiming 2^32 entries in a few bytes is rejected before any allocation",
          "[consensus][raft][codec]") {
    message m;
    m.type = message_type::append;
    auto bytes = encode(m);
    put_u32(bytes, entry_count_at, std::numeric_limits<std::uint32_t>::max());
    codec_limits unlimited;
    unlimited.entries_max = std::numeric_limits<std::size_t>::max();
    // Only the bytes left bound it: a reserve of 2^32 entries would throw
    // length_error or bad_alloc, not codec_error.
    CHECK_THROWS_AS(decode_message(bytes, unlimited), codec_error);
    CHECK_THROWS_WITH(decode_message(bytes, unlimited), Catch::Contains("does not fit"));
    CHECK_THROWS_WITH(decode_message(bytes), Catch::Contains("exceeds the limit"));
}

TEST_CASE("raft message lengths beyond the codec limits are rejected with the reason",
          "[consensus][raft][codec]") {
    message m;
    m.type = message_type::append;
    m.entries.push_back(entry{1, 1, entry_type::normal, std::string(100, 'x')});
    m.entries.push_back(entry{1, 2, entry_type::normal, "y"});
    auto bytes = encode(m);
    codec_limits limits;
    limits.entry_bytes_max = 99;
    CHECK_THROWS_WITH(decode_message(bytes, limits), Catch::Contains("entry data of 100 bytes exceeds the limit"));
    limits = {};
    limits.entries_max = 1;
    CHECK_THROWS_WITH(decode_message(bytes, limits), Catch::Contains("entry count 2 exceeds"));
    limits = {};
    limits.message_bytes_max = bytes.size() - 1;
    CHECK_THROWS_WITH(decode_message(bytes, limits), Catch::Contains("message of"));

    // A snapshot length of 2^64-1 with nothing behind it: bounded by what is left.
    message s;
    s.type = message_type::snapshot;
    s.snapshot = snapshot{};
    auto sb = encode(s);
    for (std::size_t i = sb.size() - 8; i < sb.size(); ++i) sb[i] = static_cast<char>(0xff);
    limits = {};
    limits.snapshot_bytes_max = std::numeric_limits<std::size_t>::max();
    CHECK_THROWS_WITH(decode_message(sb, limits), Catch::Contains("truncated snapshot data"));
    CHECK_THROWS_WITH(decode_message(sb), Catch::Contains("exceeds the limit"));
}

TEST_CASE("unknown versions, types, flags and inconsistent memberships in a raft message are rejected",
          "[consensus][raft][codec]") {
    message m;
    m.type = message_type::snapshot;
    m.snapshot = snapshot{};
    m.snapshot->metadata.members.voters = {1, 2};
    m.snapshot->metadata.members.learners = {3};
    auto good = encode(m);
    REQUIRE(decode_message(good) == m);

    auto bad = good;
    bad[0] = 2;
    CHECK_THROWS_WITH(decode_message(bad), Catch::Contains("unknown version 2"));
    bad = good;
    bad[1] = static_cast<char>(message_type_count);
    CHECK_THROWS_WITH(decode_message(bad), Catch::Contains("unknown message type"));
    bad = good;
    bad[2] = static_cast<char>(bad[2] | 0x80);
    CHECK_THROWS_WITH(decode_message(bad), Catch::Contains("unknown flags"));

    auto with = [&](std::vector<node_id> voters, std::vector<node_id> learners) {
        auto copy = m;
        copy.snapshot->metadata.members = membership{std::move(voters), std::move(learners)};
        return encode(copy);
    };
    CHECK_THROWS_WITH(decode_message(with({2, 1}, {})), Catch::Contains("not sorted"));
    CHECK_THROWS_WITH(decode_message(with({1, 1}, {})), Catch::Contains("not sorted"));
    CHECK_THROWS_WITH(decode_message(with({0, 1}, {})), Catch::Contains("node 0"));
    CHECK_THROWS_WITH(decode_message(with({1, 2}, {2})), Catch::Contains("both voter and learner"));

    message e;
    e.entries.push_back(entry{1, 1, entry_type::noop, ""});
    auto eb = encode(e);
    eb[encoded_header_bytes + 16] = 3;
    CHECK_THROWS_WITH(decode_message(eb), Catch::Contains("unknown entry type 3"));
}
