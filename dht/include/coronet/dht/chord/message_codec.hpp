#pragma once
// chord::message on the wire: a compact binary format with a version byte.
// The decoder treats its input as hostile: every length and count is bounded
// by codec_limits and checked against the bytes actually left before
// anything is allocated, and anything malformed throws codec_error naming the
// reason. Standard library only (part of the pure core).
//
// Format, version 1 (integers little endian, ids as 20 bytes most
// significant first, whatever the ring's m: the core checks the range):
//
//   u8  version (1)
//   u8  type (a message_type)
//   u8  flags: bit 0 done, bit 1 final, bit 2 node present, bit 3 origin present
//   u8  failure (0, or an errc value)
//   peer from            (a peer is: 20-byte id, u16 address length, the address)
//   u16 to length, the to address
//   u64 rpc_id, u64 request_id
//   20-byte key
//   u32 hops
//   peer node            if flag bit 2
//   peer origin          if flag bit 3
//   u16 candidate count, then that many peers
//   u16 successor count, then that many peers
//
// Nothing may follow. Unknown versions, types and flag bits are errors, so a
// later version can add fields behind a new version byte.

#include <coronet/dht/chord/message.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

namespace coronet::dht::chord {

/// Why a message could not be decoded (or, for encode, could not be written).
class codec_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// The most a decoder accepts. Each bound is checked before the allocation it
/// guards.
struct codec_limits {
    std::size_t message_bytes_max = 64 * 1024; ///< the whole encoded message
    std::size_t address_bytes_max = 255;       ///< one address
    std::size_t peers_max = 64;                ///< entries in each of `candidates` and `successors`
};

inline constexpr std::uint8_t codec_version = 1;

/// The smallest encoding: empty addresses, no node, origin or lists.
inline constexpr std::size_t encoded_header_bytes = 4 + (id::bytes + 2) + 2 + 8 + 8 + id::bytes + 4 + 2 + 2;

/// `m` in the format above. Throws codec_error if a field cannot be
/// represented (an address over 65535 bytes, a list of more than 65535 peers).
std::string encode(const message& m);

/// The message in `bytes`; throws codec_error if it is not exactly one
/// well-formed message within `limits`.
message decode_message(std::string_view bytes, const codec_limits& limits = {});
message decode_message(std::span<const std::byte> bytes, const codec_limits& limits = {});

} // namespace coronet::dht::chord
