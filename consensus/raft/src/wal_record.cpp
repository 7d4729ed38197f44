#include "wal_record.hpp"

#include "file_io.hpp"

#include <fmt/format.h>

namespace coronet::consensus::raft::detail {

namespace {

std::uint32_t checksum_at(std::string_view bytes, std::uint64_t off, std::uint32_t length) {
    auto crc = crc32c(bytes.substr(off, 4));
    return crc32c(bytes.substr(off + record_header_bytes, length), crc);
}

// Could a record of this type have this length? A cheap filter before the
// checksum when scanning for records.
bool plausible(std::uint8_t type, std::uint32_t length) {
    switch (static_cast<record_type>(type)) {
    case record_type::segment_header: return length == 1 + segment_header_payload;
    case record_type::entry: return length >= 1 + entry_payload_min;
    case record_type::hard_state: return length == 1 + hard_state_payload;
    case record_type::truncate: return length == 1 + truncate_payload;
    case record_type::snapshot: return length == 1 + snapshot_payload;
    }
    return false;
}

} // namespace

// --- encoding ---------------------------------------------------------------

std::size_t begin_record(std::string& out, record_type type) {
    auto start = out.size();
    out.append(record_header_bytes, '\0');
    put_u8(out, static_cast<std::uint8_t>(type));
    return start;
}

void end_record(std::string& out, std::size_t start) {
    auto length = static_cast<std::uint32_t>(out.size() - start - record_header_bytes);
    char* p = out.data() + start;
    store_u32(p, length);
    auto crc = crc32c(std::string_view(p, 4));
    crc = crc32c(std::string_view(p + record_header_bytes, length), crc);
    store_u32(p + 4, crc);
}

// --- decoding ---------------------------------------------------------------

parsed_record parse_record(std::string_view bytes, std::uint64_t off, std::uint32_t record_bytes_max) {
    parsed_record r;
    auto left = bytes.size() - off;
    if (left < record_header_bytes) {
        r.reason = fmt::format("a partial record header ({} of {} bytes)", left, record_header_bytes);
        return r;
    }
    auto length = load_u32(bytes.data() + off);
    auto stored = load_u32(bytes.data() + off + 4);
    if (length == 0) {
        r.reason = "a record length of 0";
        return r;
    }
    if (length > record_bytes_max) {
        r.reason = fmt::format("a record length of {} bytes, over record_bytes_max ({})", length, record_bytes_max);
        return r;
    }
    if (length > left - record_header_bytes) {
        r.reason = fmt::format("a record length of {} bytes running past the end of the file ({} bytes left)",
                               length, left - record_header_bytes);
        return r;
    }
    auto computed = checksum_at(bytes, off, length);
    if (computed != stored) {
        r.reason = fmt::format("a checksum mismatch (stored {:08x}, computed {:08x})", stored, computed);
        return r;
    }
    r.ok = true;
    r.type = static_cast<record_type>(static_cast<std::uint8_t>(bytes[off + record_header_bytes]));
    r.payload = bytes.substr(off + record_header_bytes + 1, length - 1);
    r.next = off + record_header_bytes + length;
    return r;
}



scan_result find_valid_record(std::string_view bytes, std::uint64_t from, std::uint32_t record_bytes_max) {
    std::uint64_t budget = scan_crc_bytes_max;
    for (std::uint64_t p = from; p + record_header_bytes < bytes.size(); ++p) {
        auto length = load_u32(bytes.data() + p);
        if (length == 0 || length > record_bytes_max || length > bytes.size() - p - record_header_bytes) continue;
        if (!plausible(static_cast<std::uint8_t>(bytes[p + record_header_bytes]), length)) continue;
        if (length + 4u > budget) return {scan_result::undecided, p};
        budget -= length + 4u;
        if (checksum_at(bytes, p, length) == load_u32(bytes.data() + p + 4)) return {scan_result::found, p};
    }
    return {};
}

} // namespace coronet::consensus::raft::detail
