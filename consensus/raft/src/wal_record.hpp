#pragma once
// The write-ahead log's records: the record header (u32 length, u32 CRC-32C
// over the length and the body), the record types and their payload sizes,
// and reading one back with every length checked before it is used. wal.hpp
// describes the format; wal.cpp uses these to recover and to write.

#include <coronet/consensus/raft/types.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace coronet::consensus::raft::detail {

enum class record_type : std::uint8_t {
    segment_header = 1,
    entry = 2,
    hard_state = 3,
    truncate = 4,
    snapshot = 5,
};

constexpr std::uint64_t record_header_bytes = 8; // u32 length, u32 crc
constexpr std::uint32_t format_version = 1;
// "CRNTWAL1" read as a little-endian u64.
constexpr std::uint64_t segment_magic = [] {
    constexpr char text[] = "CRNTWAL1";
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(text[i]);
    return v;
}();

// Payload sizes (after the type byte); an entry's is the minimum.
constexpr std::uint32_t segment_header_payload = 8 + 4 + 8;
constexpr std::uint32_t entry_payload_min = 8 + 8 + 1;
constexpr std::uint32_t hard_state_payload = 8 + 8 + 8;
constexpr std::uint32_t truncate_payload = 8;
constexpr std::uint32_t snapshot_payload = 8 + 8;

// How many bytes find_valid_record() may checksum before it gives up.
constexpr std::uint64_t scan_crc_bytes_max = std::uint64_t{256} << 20;

inline std::uint64_t entry_record_bytes(const entry& e) {
    return record_header_bytes + 1 + entry_payload_min + e.data.size();
}

/// Starts a record of `type` at the end of `out`; returns where it starts.
std::size_t begin_record(std::string& out, record_type type);
/// Fills in the length and checksum of the record begun at `start`.
void end_record(std::string& out, std::size_t start);

struct parsed_record {
    bool ok = false;
    record_type type{};
    std::string_view payload;
    std::uint64_t next = 0; ///< offset of the record after it
    std::string reason;     ///< why it is not a record (when !ok)
};

/// Reads the record at `off`. Every length is checked against the bytes that
/// are there and against the limit BEFORE it is used; nothing is allocated.
parsed_record parse_record(std::string_view bytes, std::uint64_t off, std::uint32_t record_bytes_max);

struct scan_result {
    enum { none, found, undecided } outcome = none;
    std::uint64_t offset = 0;
};

/// Looks for a valid record starting anywhere at or after `from`: what tells
/// damage followed by good data apart from a torn tail.
scan_result find_valid_record(std::string_view bytes, std::uint64_t from, std::uint32_t record_bytes_max);

} // namespace coronet::consensus::raft::detail
