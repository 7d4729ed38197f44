#include <coronet/rpc/error.hpp>
#include <coronet/rpc/frame.hpp>

#include <cstring>
#include <string>

namespace coronet::rpc {

namespace {

std::uint32_t load_u32(const std::byte* p) {
    std::uint32_t v;
    std::memcpy(&v, p, 4);
    return v; // little-endian on every platform coronet builds for (x86-64, aarch64)
}

} // namespace

std::optional<frame_layout> parse_frame(std::span<const std::byte> bytes, const limits& l) {
    if (bytes.size() < 4) return std::nullopt;
    auto count_minus_one = load_u32(bytes.data());
    // Checked before adding one, so 0xffffffff cannot wrap to zero segments.
    if (count_minus_one >= l.segments_max)
        throw protocol_error("frame has " + std::to_string(std::uint64_t(count_minus_one) + 1) +
                             " segments, more than the limit of " + std::to_string(l.segments_max));
    frame_layout f;
    f.segment_count = count_minus_one + 1;
    f.header_bytes = frame_header_bytes(f.segment_count);
    if (bytes.size() < f.header_bytes) return std::nullopt;
    std::uint64_t words = 0;
    for (std::uint32_t i = 0; i < f.segment_count; ++i) {
        auto size = load_u32(bytes.data() + 4 + 4 * i);
        if (i == 0 && size == 0) throw protocol_error("frame's first segment is empty (no root pointer)");
        words += size; // at most 512 * 2^32: no overflow in 64 bits
    }
    auto total = f.header_bytes + words * 8;
    if (total > l.message_bytes_max)
        throw protocol_error("frame of " + std::to_string(total) + " bytes is larger than the limit of " +
                             std::to_string(l.message_bytes_max));
    f.total_bytes = static_cast<std::size_t>(total);
    return f;
}

void frame_segments(const std::byte* frame, const frame_layout& layout, kj::ArrayPtr<const capnp::word>* out) {
    auto body = reinterpret_cast<const capnp::word*>(frame + layout.header_bytes);
    for (std::uint32_t i = 0; i < layout.segment_count; ++i) {
        auto size = load_u32(frame + 4 + 4 * i);
        out[i] = kj::arrayPtr(body, size);
        body += size;
    }
}

std::size_t write_frame_header(kj::ArrayPtr<const kj::ArrayPtr<const capnp::word>> segments, std::byte* out) {
    auto n = frame_header_bytes(segments.size());
    std::memset(out, 0, n);
    auto count_minus_one = static_cast<std::uint32_t>(segments.size() - 1);
    std::memcpy(out, &count_minus_one, 4);
    for (std::size_t i = 0; i < segments.size(); ++i) {
        auto size = static_cast<std::uint32_t>(segments[i].size());
        std::memcpy(out + 4 + 4 * i, &size, 4);
    }
    return n;
}

} // namespace coronet::rpc
