#pragma once
// What the durable storage of a Raft node (wal.hpp, snapshot_file.hpp) has in
// common: how hard it syncs, how it fails, and the checksum both on-disk
// formats use.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

namespace coronet::consensus::raft {

/// How a write becomes durable.
enum class sync_mode : std::uint8_t {
    /// fdatasync(2) the file before a write is acknowledged, fsync(2) the
    /// directory after a file is created, renamed or removed. The only mode
    /// in which Raft's promises hold across a power failure.
    fsync,
    /// Never sync: the data reaches the page cache only, so it survives a
    /// crash of the process but not of the machine. For tests and
    /// benchmarks that measure everything but the disk.
    none,
};

/// A storage operation failed, or what is stored is not what was written.
/// what() names the file (and the offset, for a corrupt record) and, for a
/// failed system call, the errno text.
class storage_error : public std::runtime_error {
public:
    explicit storage_error(const std::string& what, int errno_value = 0)
        : std::runtime_error(what), _errno(errno_value) {}

    /// The errno of the system call that failed; 0 for corrupt data.
    int errno_value() const noexcept { return _errno; }

private:
    int _errno;
};

/// CRC-32C (Castagnoli, polynomial 0x1EDC6F41 reflected), as in iSCSI, ext4
/// and most write-ahead logs: better at the burst errors of storage than
/// CRC-32, and computed by one instruction on x86-64 with SSE4.2 (used when
/// the CPU has it; a table otherwise). Pass the previous result as `crc` to
/// continue a checksum over data that arrives in pieces:
/// crc32c(b, crc32c(a)) == crc32c(a + b).
std::uint32_t crc32c(std::span<const std::byte> data, std::uint32_t crc = 0) noexcept;
std::uint32_t crc32c(std::string_view data, std::uint32_t crc = 0) noexcept;

/// The table-driven implementation alone (what crc32c() falls back to), so
/// tests can check that both paths agree.
std::uint32_t crc32c_portable(std::span<const std::byte> data, std::uint32_t crc = 0) noexcept;

} // namespace coronet::consensus::raft
