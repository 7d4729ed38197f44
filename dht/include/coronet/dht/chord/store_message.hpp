#pragma once
// What Chord nodes say to each other about keys and values, and its wire
// format. It shares the node's datagram socket with the routing messages
// (message_codec.hpp); the first byte tells them apart (routing messages
// start with their version, 1; these with store_magic).
//
// Format (integers little endian):
//
//   u8  store_magic
//   u8  op (a store_op)
//   u8  status (a store_status; requests send ok)
//   u64 rpc_id
//   u16 count, then that many entries:
//       u16 key length, the key
//       u8  1 if a value follows, 0 for a tombstone or a bare key
//       u32 value length, the value     (if a value follows)
//       u64 version
//
// Nothing may follow. The decoder treats its input as hostile: every length
// and count is checked against store_limits and the bytes left before
// anything is allocated, and anything malformed throws codec_error.

#include <coronet/dht/chord/message_codec.hpp>
#include <coronet/dht/chord/store.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace coronet::dht::chord {

inline constexpr std::uint8_t store_magic = 0xD5;

enum class store_op : std::uint8_t {
    put = 1,       ///< entries[0]: key and value, to the key's owner
    get = 2,       ///< entries[0]: the key
    del = 3,       ///< entries[0]: the key
    reply = 4,     ///< status; get: entries[0] is the value found
    replicate = 5, ///< entries: copies pushed by their owner (no reply)
    /// Ring repair: "which node do you know at or after my id?" (entries[0]:
    /// the asker's id in hex); the reply's entries[0].key is that node's
    /// address. How rings split by a long partition find each other again.
    successor_probe = 6,
};

enum class store_status : std::uint8_t {
    ok = 0,
    not_found = 1,
    not_owner = 2, ///< the key's id is outside the receiver's (predecessor, self]
    invalid = 3,   ///< a key or value out of bounds
};

std::string_view to_string(store_op op);
std::string_view to_string(store_status s);

struct store_limits {
    std::size_t key_bytes_max = 1024;
    std::size_t value_bytes_max = 16 * 1024;
    std::size_t entries_max = 256;
};

struct store_message {
    store_op op = store_op::get;
    store_status status = store_status::ok;
    std::uint64_t rpc_id = 0;
    std::vector<store_entry> entries;
    friend bool operator==(const store_message&, const store_message&) = default;
};

/// True if `bytes` starts like a store message (not a routing message).
inline bool is_store_message(std::string_view bytes) {
    return !bytes.empty() && static_cast<std::uint8_t>(bytes.front()) == store_magic;
}

/// Throws codec_error if a field cannot be represented.
std::string encode(const store_message& m);
std::size_t encoded_size(const store_entry& e);
inline constexpr std::size_t store_header_bytes = 1 + 1 + 1 + 8 + 2;
/// Throws codec_error unless `bytes` is exactly one well-formed message within `limits`.
store_message decode_store_message(std::string_view bytes, const store_limits& limits = {});

} // namespace coronet::dht::chord
