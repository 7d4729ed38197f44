// Stream framing: every size is bounded before a byte of the body is awaited.
#include <coronet/rpc/error.hpp>
#include <coronet/rpc/frame.hpp>
#include <coronet/rpc/message.hpp>

#include <capnp/rpc.capnp.h>
#include <capnp/serialize.h>
#include <catch2/catch.hpp>

#include <cstring>
#include <vector>

using namespace coronet::rpc;

namespace {

std::vector<std::byte> header(std::vector<std::uint32_t> words) {
    std::vector<std::byte> out(4 * words.size());
    std::memcpy(out.data(), words.data(), out.size());
    return out;
}

} // namespace

TEST_CASE("a frame's layout is read from its segment table, padding included", "[rpc][frame]") {
    limits l;
    auto one = header({0, 3});
    auto f = parse_frame(one, l);
    REQUIRE(f);
    CHECK(f->segment_count == 1);
    CHECK(f->header_bytes == 8);
    CHECK(f->total_bytes == 8 + 24);
    // Two segments: 12 bytes of table, padded to 16.
    auto two = header({1, 2, 5, 0});
    f = parse_frame(two, l);
    REQUIRE(f);
    CHECK(f->segment_count == 2);
    CHECK(f->header_bytes == 16);
    CHECK(f->total_bytes == 16 + 56);
}

TEST_CASE("an incomplete segment table asks for more bytes", "[rpc][frame]") {
    limits l;
    auto t = header({2, 1, 1, 1});
    CHECK_FALSE(parse_frame(std::span(t).first(3), l));
    CHECK_FALSE(parse_frame(std::span(t).first(12), l));
    CHECK(parse_frame(t, l));
}

TEST_CASE("frames beyond the limits are rejected before their body is read", "[rpc][frame]") {
    using Catch::Contains;
    limits l;
    l.message_bytes_max = 1024;
    auto many = header({0xffffffff});
    CHECK_THROWS_WITH(parse_frame(many, l), Contains("4294967296 segments"));
    auto big = header({0, 1u << 30});
    CHECK_THROWS_WITH(parse_frame(big, l), Contains("larger than the limit of 1024"));
    auto empty = header({0, 0});
    CHECK_THROWS_WITH(parse_frame(empty, l), Contains("first segment is empty"));
    l.segments_max = 4;
    auto five = header({4, 1, 1, 1, 1, 1});
    CHECK_THROWS_AS(parse_frame(five, l), protocol_error);
}

TEST_CASE("an outgoing message frames to the bytes capnp's own writer produces", "[rpc][frame]") {
    segment_pool pool;
    outbound_message m(pool);
    auto call = m.init_root<capnp::rpc::Message>().initCall();
    call.setQuestionId(7);
    call.setInterfaceId(0x1234);
    call.initParams().getContent().setAs<capnp::Text>(std::string(20000, 'q')); // spills into a second segment
    auto& f = m.frame();
    std::vector<std::byte> ours(f.header, f.header + f.header_bytes);
    for (auto s : f.segments)
        ours.insert(ours.end(), reinterpret_cast<const std::byte*>(s.begin()),
                    reinterpret_cast<const std::byte*>(s.end()));
    CHECK(f.segments.size() >= 2);
    CHECK(ours.size() == f.total_bytes);
    auto theirs = capnp::messageToFlatArray(m.builder());
    REQUIRE(theirs.asBytes().size() == ours.size());
    CHECK(std::memcmp(theirs.asBytes().begin(), ours.data(), ours.size()) == 0);
}

TEST_CASE("the pool hands out zeroed first segments again after use", "[rpc][frame]") {
    segment_pool pool;
    const capnp::word* first = nullptr;
    {
        outbound_message m(pool);
        m.init_root<capnp::rpc::Message>().initAbort().setReason("dirty the segment");
        first = m.frame().segments[0].begin();
    }
    outbound_message again(pool);
    auto root = again.init_root<capnp::rpc::Message>();
    // Same memory, zeroed: a fresh root reads as an empty message.
    CHECK(again.frame().segments[0].begin() == first);
    CHECK(root.which() == capnp::rpc::Message::UNIMPLEMENTED); // discriminant 0 of a zeroed struct
    // Word 0 is the new root pointer; every other word of the block is zero.
    std::size_t dirty = 0;
    for (std::size_t i = 1; i < segment_pool::first_segment_words; ++i)
        if (std::memcmp(first + i, "\0\0\0\0\0\0\0\0", 8) != 0) ++dirty;
    CHECK(dirty == 0);
}
