#pragma once
// raft::message on the wire: a compact little-endian binary format with a
// version byte. The decoder treats its input as hostile: every count and
// length is bounded by codec_limits and checked against the bytes that are
// actually left before anything is allocated, and anything malformed throws
// codec_error naming the reason. Standard library only (part of the pure core).
//
// Format, version 1 (all integers little endian):
//
//   u8  version (1)
//   u8  type (a message_type)
//   u8  flags: bit 0 reject, bit 1 leader_transfer, bit 2 snapshot present
//   u64 from, to, term, log_term, index, commit, reject_hint, context
//   u32 entry count, then per entry:
//       u64 term, u64 index, u8 entry type, u32 data length, the data
//   if the snapshot bit is set:
//       u64 index, u64 term,
//       u32 voter count, u64 per voter, u32 learner count, u64 per learner,
//       u64 data length, the data
//
// Nothing may follow. Unknown flag bits, types and versions are errors, so a
// later version can add fields behind a new version byte.

#include <coronet/consensus/raft/message.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

namespace coronet::consensus::raft {

/// Why a message could not be decoded.
class codec_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// The most a decoder accepts. Each bound is checked before the allocation
/// it guards.
struct codec_limits {
    std::size_t message_bytes_max = std::size_t{64} << 20;  ///< the whole encoded message
    std::size_t entries_max = 65'536;                       ///< entries per message
    std::size_t entry_bytes_max = std::size_t{16} << 20;    ///< data bytes of one entry
    std::size_t snapshot_bytes_max = std::size_t{64} << 20; ///< data bytes of a snapshot
    std::size_t members_max = 4'096;                        ///< voters plus learners in a snapshot
};

inline constexpr std::uint8_t codec_version = 1;

/// The smallest encoding: a message without entries or snapshot.
inline constexpr std::size_t encoded_header_bytes = 3 + 8 * 8 + 4;

/// `m` in the format above.
std::string encode(const message& m);

/// The message in `bytes`; throws codec_error if it is not exactly one
/// well-formed message within `limits` (snapshot memberships must be sorted,
/// without duplicates or 0, and voters and learners disjoint).
message decode_message(std::string_view bytes, const codec_limits& limits = {});
message decode_message(std::span<const std::byte> bytes, const codec_limits& limits = {});

} // namespace coronet::consensus::raft
