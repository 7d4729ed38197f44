#include <coronet/consensus/raft/disk_stable_store.hpp>

namespace coronet::consensus::raft {

disk_stable_store::disk_stable_store(const std::filesystem::path& dir, disk_stable_store_options o, logger_ptr log)
    : _snapshots(dir / "snapshots"), _options(o), _opened(wal::open(dir / "wal", o.wal, log)) {
    _recovered = _opened.recovered;
    auto newest = snapshot_file::load_latest(_snapshots, o.snapshots, log);
    _restored = make_restored_state(_opened.log, std::move(_opened.recovered), std::move(newest));
}

void disk_stable_store::save(const ready& r) {
    // A snapshot replaces the log before it: file first, then the WAL marker
    // (snapshot_file.hpp), then the entries that follow it.
    if (r.snapshot) compact(*r.snapshot);
    _opened.log.persist(r.hard_state, r.entries);
}

void disk_stable_store::compact(const snapshot& snap) {
    if (snap.metadata.index <= _opened.log.snapshot_index()) return;
    snapshot_file::save(_snapshots, snap.metadata, snap.data, _options.snapshots);
    _opened.log.mark_snapshot(snap.metadata.index, snap.metadata.term);
}

} // namespace coronet::consensus::raft
