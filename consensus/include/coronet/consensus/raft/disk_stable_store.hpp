#pragma once
// A Raft node's stable storage on disk: the write-ahead log (wal.hpp) for
// hard state and entries, snapshot files (snapshot_file.hpp) for snapshots.
// save() returns only after fdatasync (unless sync_mode::none), so a node
// that sends a ready's messages after it has kept every promise they make.
//
// Layout: <dir>/wal/<segments>.log and <dir>/snapshots/snapshot-*.snap.

#include <coronet/consensus/raft/snapshot_file.hpp>
#include <coronet/consensus/raft/stable_store.hpp>
#include <coronet/consensus/raft/wal.hpp>

#include <coronet/log.hpp>

#include <filesystem>

namespace coronet::consensus::raft {

struct disk_stable_store_options {
    wal_options wal;
    snapshot_file_options snapshots;
};

class disk_stable_store final : public stable_store {
public:
    /// Opens (creating if new) the store in `dir` and recovers what it holds;
    /// throws storage_error (wal_error, snapshot_error) if it is damaged
    /// beyond a torn tail. Holds the directory's lock until destroyed.
    explicit disk_stable_store(const std::filesystem::path& dir, disk_stable_store_options o = {},
                               logger_ptr log = {});

    void save(const ready& r) override;
    void compact(const snapshot& snap) override;
    /// What was on disk when the store was opened.
    restored_state restore() const override { return _restored; }
    const wal_recovered& recovered() const { return _recovered; }

private:
    std::filesystem::path _snapshots;
    disk_stable_store_options _options;
    wal_opened _opened;
    wal_recovered _recovered;
    restored_state _restored;
};

} // namespace coronet::consensus::raft
