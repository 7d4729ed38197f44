#pragma once
// Snapshot files: a raft::snapshot (metadata and the application's state)
// written so that a crash at any moment leaves either the old set of files or
// the new one, never a half-written snapshot under a snapshot's name.
//
// save() writes `snap.tmp`, fdatasyncs it, renames it to
// `snapshot-<term>-<index>.snap` (both numbers zero-padded to 20 digits),
// fsyncs the directory, then removes all but the newest `retain` snapshots.
// A leftover snap.tmp (a crash during save) is never read, and is overwritten
// by the next save.
//
// The file (integers little endian):
//   8 bytes magic "CRNTSNAP" | u32 version (1) | u64 index | u64 term
//   | u32 voter count | voters (u64 each) | u32 learner count | learners
//   | u64 data size | data | u32 crc32c of everything before it
//
// Order with the WAL: save the snapshot, THEN wal::mark_snapshot() (which
// lets the WAL drop the entries it covers).

#include <coronet/consensus/raft/snapshot.hpp>
#include <coronet/consensus/raft/storage.hpp>
#include <coronet/log.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace coronet::consensus::raft {

/// A snapshot file could not be written or read.
class snapshot_error : public storage_error {
public:
    using storage_error::storage_error;
};

struct snapshot_file_options {
    raft::sync_mode sync = sync_mode::fsync;
    /// How many snapshots save() keeps, the new one included: more than one,
    /// so that if the newest is found damaged, load_latest() still has an
    /// older one to offer (whether that suffices depends on how far the WAL
    /// was compacted; see make_restored_state).
    std::size_t retain = 2;
    /// Larger files are not read (reported invalid): a bound on what
    /// load_latest() maps and copies.
    std::uint64_t file_bytes_max = std::uint64_t{16} << 30;
};

namespace snapshot_file {

/// "snapshot-<term>-<index>.snap"
std::string file_name(const snapshot_metadata& metadata);

/// Writes the snapshot durably into `dir` (created if missing) and returns
/// its path. \pre metadata.index > 0 (std::invalid_argument otherwise).
/// Throws snapshot_error, with the errno text, if a system call fails; the
/// snapshots already there are then untouched.
std::filesystem::path save(const std::filesystem::path& dir, const snapshot_metadata& metadata, std::string_view data,
                           const snapshot_file_options& options = {});

/// The newest snapshot in `dir` that reads back intact (checksum, sizes,
/// name matching content). Each newer one that does not is skipped with a
/// warning on `log` naming the file and what is wrong with it, never used.
/// Nothing if the directory is missing or holds no valid snapshot. A null
/// `log` means make_logger("coronet.snapshot").
std::optional<snapshot> load_latest(const std::filesystem::path& dir, const snapshot_file_options& options = {},
                                    logger_ptr log = {});

/// Reads one file, checking it as load_latest() does; throws snapshot_error
/// saying what is wrong.
snapshot load(const std::filesystem::path& file, const snapshot_file_options& options = {});

} // namespace snapshot_file
} // namespace coronet::consensus::raft
