#pragma once
// Cap'n Proto stream framing: u32 (segment count - 1), u32 size of each
// segment in words, padding to 8 bytes, then the segments. Parsing is pure and
// bounded: it never reads past the bytes it is given and rejects any size
// beyond the limits before a byte of the body is awaited.

#include <coronet/rpc/options.hpp>

#include <capnp/common.h>
#include <kj/common.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace coronet::rpc {

struct frame_layout {
    std::uint32_t segment_count = 0;
    std::size_t header_bytes = 0; ///< segment table with padding (a multiple of 8)
    std::size_t total_bytes = 0;  ///< header and every segment
};

/// The layout of the frame at the start of `bytes`, or nullopt if its segment
/// table is not complete yet. Throws protocol_error if the frame breaks a
/// limit (too many segments, too large, an empty first segment).
std::optional<frame_layout> parse_frame(std::span<const std::byte> bytes, const limits& l);

/// Fills `out` with the segments of a complete, 8-byte-aligned frame that
/// parse_frame() accepted; `out` holds layout.segment_count entries.
void frame_segments(const std::byte* frame, const frame_layout& layout, kj::ArrayPtr<const capnp::word>* out);

/// The segment table for `segments` (what writes before them), into `out`,
/// which holds at least frame_header_bytes(n) bytes; returns the bytes used.
std::size_t write_frame_header(kj::ArrayPtr<const kj::ArrayPtr<const capnp::word>> segments, std::byte* out);
constexpr std::size_t frame_header_bytes(std::size_t segment_count) {
    return ((segment_count + 1) * 4 + 7) / 8 * 8;
}

} // namespace coronet::rpc
