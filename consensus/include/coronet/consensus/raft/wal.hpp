#pragma once
// The write-ahead log of a Raft node: everything core's readies tell the
// driver to persist (entries, hard states, the truncation of a conflicting
// suffix, the compaction point of a snapshot) as checksummed records in
// segment files, read back by wal::open() after a crash.
//
//   auto [log, recovered] = raft::wal::open(data_dir / "wal", {}, logger);
//   auto restored = raft::make_restored_state(log, std::move(recovered),
//                                             raft::snapshot_file::load_latest(data_dir / "snap"));
//   raft::core node(cfg, std::move(restored));
//   ...
//   auto rd = node.take_ready();
//   if (rd.snapshot) { snapshot_file::save(...); log.mark_snapshot(index, term); }
//   log.persist(rd.hard_state, rd.entries);   // appended, then ONE fdatasync
//   send(rd.messages);                         // only now (ready.hpp, step 4)
//
// On disk (all integers little endian), in `dir`:
//   LOCK                      flock(2)ed while a wal object has the directory open
//   00000000000000000001.log  segments, numbered from 1 without gaps; a new one is
//   00000000000000000002.log  started when the current one would pass segment_bytes_max
// A segment is a sequence of records:
//   u32 length | u32 crc32c | u8 type | payload          (length = 1 + payload size)
// where the CRC covers the length field, the type and the payload, and type is
//   1 segment header  u64 magic "CRNTWAL1" | u32 version (1) | u64 segment number
//   2 entry           u64 index | u64 term | u8 entry_type | data (the rest)
//   3 hard state      u64 term | u64 vote | u64 commit
//   4 truncate        u64 index: entries after it are gone
//   5 snapshot        u64 index | u64 term: entries up to index are gone (covered
//                     by a snapshot file); the ones after it stay
// Every segment starts with its header record, then the snapshot marker and
// hard state in force when it was created, so a segment never needs an older
// one to be understood: that is what lets compaction delete whole old
// segments.
//
// Crash consistency. A record is written with pwrite(2) after the ones before
// it, and sync() makes everything written so far durable (fdatasync). After
// a crash the last segment may end in a torn write: a partial record or one
// whose checksum fails, with nothing valid after it. open() truncates that
// tail, logs one warning naming the file, the offset and the bytes dropped,
// and carries on: such records were never acknowledged. Anything else that
// is not a valid record (a bad record followed by valid ones, a bad record in
// an older segment, a missing segment, records that contradict each other)
// is damage open() cannot repair without losing acknowledged data: it throws
// wal_error naming the file and offset, and the node must not start from it.
// "Nothing valid after it" is checked by looking for a record with a good
// checksum at every later offset; an entry whose data happens to contain one
// makes a torn tail look like damage, which errs on the side of refusing.
// So does a crash that persisted a later block of an unsynced batch but not
// an earlier one (possible on some file systems): refused, not guessed at.
//
// A wal object belongs to one thread; it is not synchronized.

#include <coronet/consensus/raft/restored_state.hpp>
#include <coronet/consensus/raft/snapshot.hpp>
#include <coronet/consensus/raft/storage.hpp>
#include <coronet/consensus/raft/types.hpp>
#include <coronet/log.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <vector>

namespace coronet::consensus::raft {

/// The write-ahead log is damaged, or a system call on it failed.
class wal_error : public storage_error {
public:
    using storage_error::storage_error;
};

struct wal_options {
    /// A new segment starts when a record would take the current one past
    /// this size (a record bigger than that gets a segment of its own).
    /// Compaction deletes whole segments, so this is also its granularity.
    std::uint64_t segment_bytes_max = std::uint64_t{64} << 20;
    /// The largest record (length field) written or accepted; an entry whose
    /// record would be larger is refused with std::invalid_argument. At most
    /// 4 GiB - 1, the largest length field.
    std::uint32_t record_bytes_max = std::uint32_t{64} << 20;
    raft::sync_mode sync = sync_mode::fsync;
};

/// What wal::open() read back.
struct wal_recovered {
    /// The last hard state saved ({0, 0, 0} if none).
    raft::hard_state hard_state;
    /// The last snapshot marker (0, 0 if none): entries up to it were
    /// dropped, and the snapshot file must cover them.
    index_t snapshot_index = 0;
    term_t snapshot_term = 0;
    /// The entries after the snapshot marker, consecutive, with every
    /// truncation applied.
    std::vector<entry> entries;
    /// How many segment files were read.
    std::size_t segments = 0;
    /// Bytes of a torn tail cut off the last segment (0: it ended cleanly).
    std::uint64_t torn_bytes = 0;
};

struct wal_opened;

class wal {
public:
    /// Opens the log in `dir` (created if missing, parents too), reads every
    /// segment in order, checks every record and rebuilds what was persisted.
    /// A torn tail is cut off (one warning on `log`); any other damage
    /// throws wal_error. Locks the directory: a second open while this one
    /// lives throws wal_error. A null `log` means make_logger("coronet.wal").
    /// Throws std::invalid_argument for impossible options.
    static wal_opened open(const std::filesystem::path& dir, wal_options options = {}, logger_ptr log = {});

    wal(wal&&) noexcept;
    wal& operator=(wal&&) noexcept;
    ~wal();

    // Every write below is buffered in the page cache until sync(); none of
    // them may be relied on (votes cast, appends acknowledged) before it.
    // Each throws std::invalid_argument, writing nothing, if its arguments
    // would break the log's shape, and wal_error if a system call fails;
    // after a wal_error the object refuses everything (the state on disk is
    // unknown, and retrying a failed fsync may lose data silently): reopen it.

    /// Appends `entries`. \pre they are consecutive, their terms never
    /// decrease (nor go below the term of the entry before them), and
    /// snapshot_index() < entries.front().index <= last_index() + 1. If the
    /// first one is at or below last_index(), the stored entries from that
    /// index on are replaced (a truncate record is written first, §5.3).
    void append(std::span<const entry> entries);

    /// Records the hard state (nothing is written if it equals the last one).
    void save_hard_state(const raft::hard_state& hs);

    /// Drops the entries after `index`. \pre index >= snapshot_index()
    void truncate_after(index_t index);

    /// Records that a snapshot (already durable, see snapshot_file::save)
    /// covers the log up to (index, term): the entries up to it are dropped;
    /// the ones after it are kept if the log holds `index` with that `term`,
    /// dropped too otherwise (§7). Then syncs, and deletes every leading
    /// segment whose entries are all covered (the current one always stays).
    /// A marker at or below snapshot_index() changes nothing.
    void mark_snapshot(index_t index, term_t term);

    /// Makes every write so far durable: fdatasync of the current segment
    /// (earlier segments were synced when the next one began). Cheap when
    /// nothing was written since the last sync.
    void sync();

    /// One ready's worth: appends `entries`, then saves `hs` if set (after
    /// the entries, so a torn write can lose the hard state but never keep a
    /// commit index past the entries it covers), then syncs once — unless
    /// only the commit index changed, which is written and left for the next
    /// sync (a lost commit index is learnt again from the leader).
    void persist(const std::optional<raft::hard_state>& hs, std::span<const entry> entries);
    /// fdatasyncs of segment files so far (tests, metrics).
    std::uint64_t syncs() const;

    /// Syncs and releases the files and the lock. The destructor only
    /// releases them: whatever was not synced may be lost.
    void close();

    index_t last_index() const;
    index_t snapshot_index() const;
    term_t snapshot_term() const;
    /// Known for snapshot_index() <= i <= last_index().
    std::optional<term_t> term_at(index_t i) const;
    const raft::hard_state& hard_state() const;
    std::size_t segment_count() const;
    const std::filesystem::path& dir() const;

private:
    struct impl;
    explicit wal(std::unique_ptr<impl> p);
    impl& self() const;

    std::unique_ptr<impl> _impl;
};

struct wal_opened {
    raft::wal log;
    wal_recovered recovered;
};

/// Puts a node's stored state together for core's constructor: the WAL's
/// hard state and entries, on top of `newest`, the newest valid snapshot
/// file (snapshot_file::load_latest).
/// - A snapshot newer than the WAL's marker (a crash between saving the
///   snapshot and marking it) wins: the entries it covers are dropped, the
///   rest kept if they follow it, and `log` is told (mark_snapshot).
/// - A WAL marker with no snapshot covering it (the newest file was invalid
///   and an older one was used, or none is left) throws storage_error: the
///   entries in between are gone, and the node must be restored from a
///   peer.
restored_state make_restored_state(wal& log, wal_recovered recovered, std::optional<snapshot> newest);

} // namespace coronet::consensus::raft
