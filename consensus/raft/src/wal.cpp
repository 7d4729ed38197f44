// The write-ahead log: segment files, recovery (wal::open) and the write
// path; records are in wal_record.hpp. The format and the crash rules are in
// wal.hpp.

#include <coronet/consensus/raft/wal.hpp>

#include "file_io.hpp"
#include "wal_record.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <deque>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace coronet::consensus::raft {
namespace {

using namespace detail;

// --- segment files ----------------------------------------------------------

struct segment {
    std::uint64_t seq = 0;
    std::filesystem::path path;
    /// The highest index of an entry written in this segment that no later
    /// truncation removed (0: none). Compaction deletes a segment once the
    /// snapshot index reaches it.
    index_t max_index = 0;
};

std::string segment_name(std::uint64_t seq) { return fmt::format("{:020}.log", seq); }

std::optional<std::uint64_t> parse_segment_name(std::string_view name) {
    if (name.size() != 24 || !name.ends_with(".log")) return std::nullopt;
    std::uint64_t seq = 0;
    auto digits = name.substr(0, 20);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), seq);
    if (ec != std::errc() || end != digits.data() + digits.size() || seq == 0) return std::nullopt;
    return seq;
}

// The term of each run of entries with the same term: (first index, term),
// for the entries after the snapshot. A handful of pairs, however long the log.
using term_runs = std::vector<std::pair<index_t, term_t>>;

void runs_push(term_runs& runs, index_t index, term_t term) {
    if (runs.empty() || runs.back().second != term) runs.emplace_back(index, term);
}

// Keeps the entries up to `index`.
void runs_truncate(term_runs& runs, index_t index) {
    while (!runs.empty() && runs.back().first > index) runs.pop_back();
}

// Drops the entries up to `index`, given the last index.
void runs_drop_through(term_runs& runs, index_t index, index_t last) {
    if (last <= index) {
        runs.clear();
        return;
    }
    std::size_t covered = 0;
    while (covered + 1 < runs.size() && runs[covered + 1].first <= index + 1) ++covered;
    runs.erase(runs.begin(), runs.begin() + static_cast<std::ptrdiff_t>(covered));
    if (!runs.empty() && runs.front().first <= index) runs.front().first = index + 1;
}

// What replaying the records rebuilds.
struct replay {
    raft::hard_state hs;
    index_t snap_index = 0;
    term_t snap_term = 0;
    std::deque<entry> entries;
    std::vector<segment>* segments = nullptr;

    void clamp_segments(index_t index) {
        for (auto& s : *segments) s.max_index = std::min(s.max_index, index);
    }

    // Empty if the record fits what came before, else why not.
    std::optional<std::string> apply(const parsed_record& rec, std::size_t segment_pos, bool first) {
        reader in(rec.payload);
        if (first != (rec.type == record_type::segment_header)) {
            return first ? std::string("the segment does not start with its header record")
                         : std::string("a segment header record in the middle of a segment");
        }
        switch (rec.type) {
        case record_type::segment_header: {
            std::uint64_t magic = 0, seq = 0;
            std::uint32_t version = 0;
            if (rec.payload.size() != segment_header_payload || !in.u64(magic) || !in.u32(version) || !in.u64(seq))
                return "a malformed segment header";
            if (magic != segment_magic) return "not a coronet WAL segment (bad magic)";
            if (version != format_version) return fmt::format("format version {}, this build reads {}", version, format_version);
            auto expected = (*segments)[segment_pos].seq;
            if (seq != expected) return fmt::format("the header says segment {}, the file name {}", seq, expected);
            return std::nullopt;
        }
        case record_type::entry: {
            entry e;
            std::uint8_t type = 0;
            std::string_view data;
            if (!in.u64(e.index) || !in.u64(e.term) || !in.u8(type) || type > static_cast<std::uint8_t>(entry_type::noop) ||
                !in.bytes(in.left(), data))
                return "a malformed entry record";
            e.type = static_cast<entry_type>(type);
            e.data.assign(data);
            return add_entry(std::move(e), segment_pos);
        }
        case record_type::hard_state:
            if (rec.payload.size() != hard_state_payload || !in.u64(hs.term) || !in.u64(hs.vote) || !in.u64(hs.commit))
                return "a malformed hard state record";
            return std::nullopt;
        case record_type::truncate: {
            index_t index = 0;
            if (rec.payload.size() != truncate_payload || !in.u64(index)) return "a malformed truncate record";
            if (index < snap_index) return fmt::format("a truncation after {}, below the snapshot at {}", index, snap_index);
            while (!entries.empty() && entries.back().index > index) entries.pop_back();
            clamp_segments(index);
            return std::nullopt;
        }
        case record_type::snapshot: {
            index_t index = 0;
            term_t term = 0;
            if (rec.payload.size() != snapshot_payload || !in.u64(index) || !in.u64(term)) return "a malformed snapshot record";
            if (index <= snap_index) return std::nullopt; // a segment header repeating the marker in force
            std::optional<term_t> term_there;
            while (!entries.empty() && entries.front().index <= index) {
                if (entries.front().index == index) term_there = entries.front().term;
                entries.pop_front();
            }
            // The writer truncates a log that does not match the snapshot
            // before marking it, so entries left behind must follow it.
            if (!entries.empty() && term_there && *term_there != term)
                return fmt::format("a snapshot at {} of term {}, but the entry there has term {}", index, term, *term_there);
            snap_index = index;
            snap_term = term;
            return std::nullopt;
        }
        }
        return fmt::format("an unknown record type {}", static_cast<unsigned>(rec.type));
    }

    std::optional<std::string> add_entry(entry e, std::size_t segment_pos) {
        if (e.index <= snap_index) return fmt::format("entry {}, at or below the snapshot at {}", e.index, snap_index);
        if (!entries.empty()) {
            const auto& last = entries.back();
            if (e.index != last.index + 1) return fmt::format("entry {} right after entry {}", e.index, last.index);
            if (e.term < last.term) return fmt::format("entry {} of term {} after one of term {}", e.index, e.term, last.term);
        } else if (e.index == snap_index + 1 && e.term < snap_term) {
            return fmt::format("entry {} of term {} after a snapshot of term {}", e.index, e.term, snap_term);
        }
        // An empty log may restart above snap_index + 1: the first segment
        // left after compaction begins where deleted ones ended. A later
        // snapshot marker must cover the gap; open() checks that at the end.
        auto& seg = (*segments)[segment_pos];
        seg.max_index = std::max(seg.max_index, e.index);
        entries.push_back(std::move(e));
        return std::nullopt;
    }
};

} // namespace

// --- the wal object ---------------------------------------------------------

struct wal::impl {
    std::filesystem::path dir;
    wal_options options;
    logger_ptr log;
    unique_fd lock;
    unique_fd fd;                  ///< the current (last) segment
    std::vector<segment> segments; ///< oldest first; back() is the current one
    std::uint64_t size = 0;        ///< bytes written to the current segment
    std::uint64_t header_bytes = 0; ///< of which its leading header records
    bool unsynced = false;
    std::string failure; ///< set once a system call failed: everything is refused after

    raft::hard_state hs;
    std::uint64_t syncs = 0;
    index_t snap_index = 0;
    term_t snap_term = 0;
    index_t last = 0;
    term_runs runs;
    std::string pending; ///< encoded records not written yet (within one call)

    void check_usable() const {
        if (!failure.empty())
            throw wal_error(fmt::format("wal {}: refused after an earlier failure ({}); reopen it", dir.string(), failure));
    }

    [[noreturn]] void fail(const std::string& what, int errno_value) {
        failure = what;
        throw wal_error(fmt::format("wal {}: {}", dir.string(), what), errno_value);
    }

    std::optional<term_t> term_at(index_t i) const {
        if (i == snap_index) return snap_term;
        if (i < snap_index || i > last) return std::nullopt;
        auto it = std::upper_bound(runs.begin(), runs.end(), i,
                                   [](index_t v, const std::pair<index_t, term_t>& r) { return v < r.first; });
        return std::prev(it)->second;
    }

    // Makes room for a record of `bytes`: starts a new segment first if the
    // current one has more than its header and would grow past the limit.
    void reserve(std::uint64_t bytes) {
        auto used = size + pending.size();
        if (used > header_bytes && used + bytes > options.segment_bytes_max) {
            flush();
            roll();
        }
    }

    void flush() {
        if (pending.empty()) return;
        if (int e = write_all_at(fd.get(), pending, size)) {
            // Best effort: cut what a partial write left, so that the next
            // open sees a clean end rather than a torn record.
            [[maybe_unused]] int ignored = ::ftruncate(fd.get(), static_cast<off_t>(size));
            fail(describe("write", segments.back().path, e), e);
        }
        size += pending.size();
        pending.clear();
        unsynced = true;
    }

    void sync_current() {
        if (!unsynced) return;
        if (int e = sync_file(fd.get(), options.sync)) fail(describe("fdatasync", segments.back().path, e), e);
        unsynced = false;
        ++syncs;
    }

    // Ends the current segment (durable first) and starts the next.
    void roll() {
        sync_current();
        create_segment(segments.back().seq + 1);
    }

    void create_segment(std::uint64_t seq) {
        segment s{seq, dir / segment_name(seq), 0};
        unique_fd f;
        if (int e = open_file(s.path, O_RDWR | O_CREAT | O_EXCL, f)) fail(describe("create", s.path, e), e);
        segments.push_back(std::move(s));
        fd = std::move(f);
        size = 0;
        if (int e = sync_dir(dir, options.sync)) fail(describe("fsync directory", dir, e), e);
        write_header();
    }

    // The header records: the segment's own, then the state in force, so
    // that older segments can be deleted without losing it.
    void write_header() {
        auto start = begin_record(pending, record_type::segment_header);
        put_u64(pending, segment_magic);
        put_u32(pending, format_version);
        put_u64(pending, segments.back().seq);
        end_record(pending, start);
        if (snap_index > 0) encode_snapshot_marker(snap_index, snap_term);
        if (hs != raft::hard_state{}) encode_hard_state_record(hs);
        header_bytes = pending.size();
        flush();
    }

    void encode_snapshot_marker(index_t index, term_t term) {
        auto start = begin_record(pending, record_type::snapshot);
        put_u64(pending, index);
        put_u64(pending, term);
        end_record(pending, start);
    }

    void encode_hard_state_record(const raft::hard_state& h) {
        auto start = begin_record(pending, record_type::hard_state);
        put_u64(pending, h.term);
        put_u64(pending, h.vote);
        put_u64(pending, h.commit);
        end_record(pending, start);
    }

    void encode_truncate(index_t index) {
        reserve(record_header_bytes + 1 + truncate_payload);
        auto start = begin_record(pending, record_type::truncate);
        put_u64(pending, index);
        end_record(pending, start);
        runs_truncate(runs, index);
        last = std::min(last, index);
        for (auto& s : segments) s.max_index = std::min(s.max_index, index);
    }

    void validate_append(std::span<const entry> entries) const {
        if (entries.empty()) return;
        auto first = entries.front().index;
        if (first <= snap_index || first > last + 1)
            throw std::invalid_argument(fmt::format("wal append: entry {} does not fit a log holding {}..{}", first,
                                                    snap_index + 1, last));
        auto previous_term = *term_at(first - 1);
        auto expected = first;
        for (const auto& e : entries) {
            if (e.index != expected) throw std::invalid_argument("wal append: entries are not consecutive");
            if (e.term < previous_term) throw std::invalid_argument("wal append: entry terms decrease");
            if (static_cast<std::uint8_t>(e.type) > static_cast<std::uint8_t>(entry_type::noop))
                throw std::invalid_argument("wal append: unknown entry type");
            if (entry_record_bytes(e) - record_header_bytes > options.record_bytes_max)
                throw std::invalid_argument(fmt::format("wal append: entry {} ({} bytes of data) is over record_bytes_max",
                                                        e.index, e.data.size()));
            previous_term = e.term;
            ++expected;
        }
    }

    // \pre validate_append(entries) passed
    void encode_append(std::span<const entry> entries) {
        if (entries.empty()) return;
        if (entries.front().index <= last) encode_truncate(entries.front().index - 1);
        for (const auto& e : entries) {
            reserve(entry_record_bytes(e));
            auto start = begin_record(pending, record_type::entry);
            put_u64(pending, e.index);
            put_u64(pending, e.term);
            put_u8(pending, static_cast<std::uint8_t>(e.type));
            pending += e.data;
            end_record(pending, start);
            runs_push(runs, e.index, e.term);
            last = e.index;
            segments.back().max_index = std::max(segments.back().max_index, e.index);
        }
    }

    void encode_hard_state(const raft::hard_state& h) {
        if (h == hs) return;
        reserve(record_header_bytes + 1 + hard_state_payload);
        encode_hard_state_record(h);
        hs = h;
    }

    // Deletes the leading segments whose entries the snapshot covers; the
    // marker must be durable first, or a crash could leave a gap.
    void compact() {
        std::size_t n = 0;
        while (n + 1 < segments.size() && segments[n].max_index <= snap_index) ++n;
        if (n == 0) return;
        for (std::size_t i = 0; i < n; ++i) {
            std::error_code ec;
            std::filesystem::remove(segments[i].path, ec);
            if (ec) fail(describe("remove", segments[i].path, ec.value()), ec.value());
        }
        segments.erase(segments.begin(), segments.begin() + static_cast<std::ptrdiff_t>(n));
        if (int e = sync_dir(dir, options.sync)) fail(describe("fsync directory", dir, e), e);
    }

    void recover_segment(std::size_t pos, replay& r, wal_recovered& out);
};

void wal::impl::recover_segment(std::size_t pos, replay& r, wal_recovered& out) {
    const auto path = segments[pos].path;
    const bool is_last = pos + 1 == segments.size();
    unique_fd f;
    if (int e = open_file(path, is_last ? O_RDWR : O_RDONLY, f)) throw wal_error(describe("open", path, e), e);
    std::uint64_t file_bytes = 0;
    if (int e = file_size(f.get(), file_bytes)) throw wal_error(describe("fstat", path, e), e);
    mapped_file map;
    if (int e = map.map(f.get(), file_bytes)) throw wal_error(describe("mmap", path, e), e);
    auto bytes = map.bytes();

    std::uint64_t off = 0;
    std::uint64_t first_record_end = 0;
    std::string torn_reason;
    while (off < bytes.size()) {
        auto rec = parse_record(bytes, off, options.record_bytes_max);
        if (!rec.ok) {
            if (!is_last)
                throw wal_error(fmt::format("{}: corrupt record at offset {}: {}; a segment before the last one "
                                            "cannot end in a torn write",
                                            path.string(), off, rec.reason));
            auto next = find_valid_record(bytes, off + 1, options.record_bytes_max);
            if (next.outcome == scan_result::found)
                throw wal_error(fmt::format("{}: corrupt record at offset {}: {}, yet a valid record follows at "
                                            "offset {}: this is damage, not a torn write",
                                            path.string(), off, rec.reason, next.offset));
            if (next.outcome == scan_result::undecided)
                throw wal_error(fmt::format("{}: corrupt record at offset {}: {}, and too much data after it to "
                                            "tell a torn write from damage",
                                            path.string(), off, rec.reason));
            torn_reason = std::move(rec.reason);
            break;
        }
        if (auto err = r.apply(rec, pos, off == 0))
            throw wal_error(fmt::format("{}: record at offset {}: {}", path.string(), off, *err));
        if (off == 0) first_record_end = rec.next;
        off = rec.next;
    }
    map.reset();
    if (off == 0 && !is_last) throw wal_error(fmt::format("{}: an empty segment before the last one", path.string()));

    if (off < file_bytes) {
        auto dropped = file_bytes - off;
        log->warn("{}: torn write at the end of the log: {} at offset {}; cutting the last {} bytes (never "
                  "acknowledged) and carrying on",
                  path.string(), torn_reason, off, dropped);
        if (::ftruncate(f.get(), static_cast<off_t>(off)) != 0) throw wal_error(describe("ftruncate", path, errno), errno);
        if (int e = sync_file(f.get(), options.sync)) throw wal_error(describe("fdatasync", path, e), e);
        out.torn_bytes = dropped;
    }
    if (is_last) {
        fd = std::move(f);
        size = off;
        header_bytes = first_record_end;
    }
}

wal::wal(std::unique_ptr<impl> p) : _impl(std::move(p)) {}
wal::wal(wal&&) noexcept = default;
wal& wal::operator=(wal&&) noexcept = default;
wal::~wal() = default;

wal::impl& wal::self() const {
    if (!_impl) throw std::logic_error("wal: used after close() or a move");
    return *_impl;
}

wal_opened wal::open(const std::filesystem::path& dir, wal_options options, logger_ptr log) {
    if (options.segment_bytes_max < 256) throw std::invalid_argument("wal: segment_bytes_max must be at least 256");
    if (options.record_bytes_max < 64) throw std::invalid_argument("wal: record_bytes_max must be at least 64");
    auto w = std::make_unique<impl>();
    w->dir = dir;
    w->options = options;
    w->log = log ? std::move(log) : make_logger("coronet.wal");

    if (int e = ensure_dir(dir, options.sync)) throw wal_error(describe("create directory", dir, e), e);
    auto lock_path = dir / "LOCK";
    if (int e = open_file(lock_path, O_RDWR | O_CREAT, w->lock)) throw wal_error(describe("open", lock_path, e), e);
    if (::flock(w->lock.get(), LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        if (e == EWOULDBLOCK)
            throw wal_error(fmt::format("wal {}: already open (another wal object or process holds {})", dir.string(),
                                        lock_path.string()),
                            e);
        throw wal_error(describe("flock", lock_path, e), e);
    }

    std::error_code ec;
    for (const auto& de : std::filesystem::directory_iterator(dir, ec)) {
        if (auto seq = parse_segment_name(de.path().filename().string())) w->segments.push_back({*seq, de.path(), 0});
    }
    if (ec) throw wal_error(describe("list", dir, ec.value()), ec.value());
    std::sort(w->segments.begin(), w->segments.end(), [](const segment& a, const segment& b) { return a.seq < b.seq; });
    for (std::size_t i = 1; i < w->segments.size(); ++i) {
        if (w->segments[i].seq != w->segments[i - 1].seq + 1)
            throw wal_error(fmt::format("wal {}: segment {} is missing (found {} and {})", dir.string(),
                                        segment_name(w->segments[i - 1].seq + 1), w->segments[i - 1].path.filename().string(),
                                        w->segments[i].path.filename().string()));
    }

    wal_recovered out;
    if (w->segments.empty()) {
        w->create_segment(1);
        w->sync_current();
        out.segments = 1;
        return {wal(std::move(w)), std::move(out)};
    }

    replay r;
    r.segments = &w->segments;
    for (std::size_t i = 0; i < w->segments.size(); ++i) w->recover_segment(i, r, out);
    if (!r.entries.empty() && r.entries.front().index != r.snap_index + 1)
        throw wal_error(fmt::format("wal {}: the entries start at {} but the snapshot marker is at {}: "
                                    "entries in between are missing",
                                    dir.string(), r.entries.front().index, r.snap_index));

    w->hs = r.hs;
    w->snap_index = r.snap_index;
    w->snap_term = r.snap_term;
    w->last = r.entries.empty() ? r.snap_index : r.entries.back().index;
    for (const auto& e : r.entries) runs_push(w->runs, e.index, e.term);
    if (w->size == 0) { // the last segment was created but its header never made it
        w->write_header();
        w->sync_current();
    }

    out.hard_state = r.hs;
    out.snapshot_index = r.snap_index;
    out.snapshot_term = r.snap_term;
    out.entries.assign(std::make_move_iterator(r.entries.begin()), std::make_move_iterator(r.entries.end()));
    out.segments = w->segments.size();
    w->log->info("wal {}: {} segment(s), snapshot at {} (term {}), entries {}..{}, hard state term {} vote {} commit {}",
                 dir.string(), out.segments, out.snapshot_index, out.snapshot_term, out.snapshot_index + 1, w->last,
                 out.hard_state.term, out.hard_state.vote, out.hard_state.commit);
    return {wal(std::move(w)), std::move(out)};
}

void wal::append(std::span<const entry> entries) {
    auto& w = self();
    w.check_usable();
    w.validate_append(entries);
    w.encode_append(entries);
    w.flush();
}

void wal::save_hard_state(const raft::hard_state& hs) {
    auto& w = self();
    w.check_usable();
    w.encode_hard_state(hs);
    w.flush();
}

void wal::truncate_after(index_t index) {
    auto& w = self();
    w.check_usable();
    if (index < w.snap_index)
        throw std::invalid_argument(fmt::format("wal truncate_after({}): below the snapshot at {}", index, w.snap_index));
    if (index >= w.last) return;
    w.encode_truncate(index);
    w.flush();
}

void wal::mark_snapshot(index_t index, term_t term) {
    auto& w = self();
    w.check_usable();
    if (index <= w.snap_index) return;
    bool matches = w.term_at(index) == term;
    // Replaying the marker keeps the entries after it, so a log that does
    // not match the snapshot is cut first (§7: "discard the entire log").
    if (!matches && index < w.last) w.encode_truncate(index);
    w.reserve(record_header_bytes + 1 + snapshot_payload);
    w.encode_snapshot_marker(index, term);
    if (matches) {
        runs_drop_through(w.runs, index, w.last);
    } else {
        w.runs.clear();
        w.last = index;
    }
    w.snap_index = index;
    w.snap_term = term;
    w.flush();
    w.sync_current();
    w.compact();
}

void wal::sync() {
    auto& w = self();
    w.check_usable();
    w.flush();
    w.sync_current();
}

void wal::persist(const std::optional<raft::hard_state>& hs, std::span<const entry> entries) {
    auto& w = self();
    w.check_usable();
    w.validate_append(entries);
    // Entries, a term and a vote must be durable before the node answers
    // anyone; a commit index need not (Raft recovers it from the leader, and
    // it only ever covers entries synced before). So a ready that only moves
    // the commit index is written but not synced: the next sync covers it.
    // This takes an fdatasync off every commit (etcd's MustSync).
    bool must_sync = !entries.empty() || (hs && (hs->term != w.hs.term || hs->vote != w.hs.vote));
    w.encode_append(entries);
    if (hs) w.encode_hard_state(*hs);
    w.flush();
    if (must_sync) w.sync_current();
}

void wal::close() {
    sync();
    _impl.reset();
}

index_t wal::last_index() const { return self().last; }
std::uint64_t wal::syncs() const { return self().syncs; }
index_t wal::snapshot_index() const { return self().snap_index; }
term_t wal::snapshot_term() const { return self().snap_term; }
std::optional<term_t> wal::term_at(index_t i) const { return self().term_at(i); }
const raft::hard_state& wal::hard_state() const { return self().hs; }
std::size_t wal::segment_count() const { return self().segments.size(); }
const std::filesystem::path& wal::dir() const { return self().dir; }

restored_state make_restored_state(wal& log, wal_recovered recovered, std::optional<snapshot> newest) {
    restored_state out;
    out.hard_state = recovered.hard_state;
    auto wal_snap = recovered.snapshot_index;
    if (!newest || newest->metadata.index < wal_snap) {
        if (wal_snap == 0) {
            out.entries = std::move(recovered.entries);
            return out;
        }
        throw storage_error(fmt::format("wal {} was compacted up to index {}, but the newest valid snapshot {}: the "
                                        "entries in between are lost; restore this node from a peer",
                                        log.dir().string(), wal_snap,
                                        newest ? fmt::format("ends at index {}", newest->metadata.index)
                                               : std::string("is missing")));
    }
    const auto& meta = newest->metadata;
    if (meta.index == wal_snap && meta.term != recovered.snapshot_term)
        throw storage_error(fmt::format("wal {} marks a snapshot at index {} of term {}, the snapshot file says term {}",
                                        log.dir().string(), wal_snap, recovered.snapshot_term, meta.term));
    auto& entries = recovered.entries;
    if (meta.index > wal_snap) {
        // Saved, but the crash came before mark_snapshot: do what it would
        // have done, on disk and here.
        bool matches = log.term_at(meta.index) == meta.term;
        log.mark_snapshot(meta.index, meta.term);
        if (!matches) {
            entries.clear();
        } else {
            auto covered = std::find_if(entries.begin(), entries.end(), [&](const entry& e) { return e.index > meta.index; });
            entries.erase(entries.begin(), covered);
        }
    }
    out.snapshot = std::move(*newest);
    out.entries = std::move(entries);
    return out;
}

} // namespace coronet::consensus::raft
