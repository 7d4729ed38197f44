// The write-ahead log: what goes in comes back after a reopen, a torn tail is
// cut with a warning, damage anywhere else stops open(), and compaction drops
// whole segments.
#include "consensus/storage_support.hpp"

#include <coronet/consensus/raft/snapshot_file.hpp>
#include <coronet/consensus/raft/wal.hpp>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace raft = coronet::consensus::raft;
using coronet::test::captured_log;
using coronet::test::files_ending;
using coronet::test::read_bytes;
using coronet::test::temp_dir;
using coronet::test::write_bytes;

namespace {

raft::entry wal_entry(raft::index_t index, raft::term_t term, std::string data = {},
                       raft::entry_type type = raft::entry_type::normal) {
    return raft::entry{term, index, type, std::move(data)};
}

std::vector<raft::entry> make_entries(raft::index_t from, raft::index_t to, raft::term_t term, std::size_t data_bytes = 16) {
    std::vector<raft::entry> out;
    for (auto i = from; i <= to; ++i) out.push_back(wal_entry(i, term, std::string(data_bytes, static_cast<char>('a' + i % 26))));
    return out;
}

raft::wal_options small_segments(raft::sync_mode mode = raft::sync_mode::fsync) {
    raft::wal_options o;
    o.segment_bytes_max = 1024;
    o.sync = mode;
    return o;
}

raft::wal_opened open_wal(const std::filesystem::path& dir, const captured_log& log, raft::wal_options o = {}) {
    return raft::wal::open(dir, o, log.log);
}

std::uint32_t le32(const std::string& bytes, std::size_t at) {
    std::uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(bytes[at + static_cast<std::size_t>(i)]);
    return v;
}

// Offsets at which the records of a segment start (its lengths are trusted:
// the test wrote the file).
std::vector<std::size_t> record_offsets(const std::string& bytes) {
    std::vector<std::size_t> out;
    for (std::size_t off = 0; off + 8 <= bytes.size(); off += 8 + le32(bytes, off)) out.push_back(off);
    return out;
}

// What `f` throws as an E, or a note that it threw nothing.
template <class E, class F>
std::string message_of(F&& f) {
    try {
        f();
    } catch (const E& e) {
        return e.what();
    }
    return "(nothing thrown)";
}

} // namespace

TEST_CASE("crc32c matches the published check values, in hardware and in the table", "[wal][crc]") {
    CHECK(raft::crc32c(std::string_view("123456789")) == 0xE3069283u);
    CHECK(raft::crc32c(std::string(32, '\0')) == 0x8A9136AAu);  // RFC 3720, B.4
    CHECK(raft::crc32c(std::string(32, '\xff')) == 0x62A8AB43u);
    std::string ascending;
    for (int i = 0; i < 32; ++i) ascending.push_back(static_cast<char>(i));
    CHECK(raft::crc32c(ascending) == 0x46DD794Eu);

    std::mt19937_64 rng(7);
    std::string data(1000, '\0');
    for (auto& c : data) c = static_cast<char>(rng());
    auto bytes = std::as_bytes(std::span(data.data(), data.size()));
    for (std::size_t cut : {0u, 1u, 7u, 8u, 9u, 500u, 999u}) {
        auto whole = raft::crc32c(bytes);
        CHECK(raft::crc32c_portable(bytes) == whole);
        CHECK(raft::crc32c(bytes.subspan(cut), raft::crc32c(bytes.first(cut))) == whole);
    }
}

TEST_CASE("entries, hard states, truncations and snapshot marks survive close and reopen exactly", "[wal]") {
    temp_dir dir("wal");
    captured_log log;
    std::mt19937_64 rng(20240611);
    auto pick = [&](std::uint64_t lo, std::uint64_t hi) { return lo + rng() % (hi - lo + 1); };

    // The model: a snapshot (index, term), then the entries after it.
    raft::index_t snap_index = 0;
    raft::term_t snap_term = 0;
    std::vector<raft::entry> model;
    auto last_index = [&] { return snap_index + model.size(); };
    auto term_at = [&](raft::index_t i) { return i == snap_index ? snap_term : model[i - snap_index - 1].term; };
    raft::hard_state hs;
    raft::term_t term = 1;
    std::size_t reopens = 0, compactions = 0, segments_max = 0;

    // Without fsync: what reaches the files is the same, and the test stays
    // fast on a real disk (the other tests sync).
    auto options = small_segments(raft::sync_mode::none);
    auto opened = open_wal(dir.path(), log, options);
    auto w = std::move(opened.log);
    auto check_reopen = [&] {
        w.close();
        auto again = open_wal(dir.path(), log, options);
        REQUIRE(again.recovered.entries == model);
        REQUIRE(again.recovered.hard_state == hs);
        REQUIRE(again.recovered.snapshot_index == snap_index);
        REQUIRE(again.recovered.snapshot_term == snap_term);
        REQUIRE(again.recovered.torn_bytes == 0);
        w = std::move(again.log);
        REQUIRE(w.last_index() == last_index());
        ++reopens;
    };

    for (int op = 0; op < 500; ++op) {
        auto dice = pick(0, 99);
        auto last = last_index();
        if (dice < 55) {
            // Mostly appends at the end; sometimes a new leader overwrites a suffix.
            raft::index_t from = last + 1;
            if (last > snap_index && dice < 12) {
                from = pick(snap_index + 1, last);
                ++term;
            }
            std::vector<raft::entry> batch;
            auto count = pick(1, 6);
            for (std::uint64_t k = 0; k < count; ++k) {
                std::string data(pick(0, 300), '\0');
                for (auto& c : data) c = static_cast<char>(rng());
                batch.push_back(wal_entry(from + k, term, std::move(data), static_cast<raft::entry_type>(pick(0, 2))));
            }
            if (dice % 2 == 0) {
                w.append(batch);
            } else {
                hs = {term, pick(0, 5), std::min<raft::index_t>(hs.commit + 1, from - 1)};
                w.persist(hs, batch);
            }
            model.resize(from - 1 - snap_index);
            model.insert(model.end(), batch.begin(), batch.end());
        } else if (dice < 68) {
            hs = {term, pick(0, 5), std::min<raft::index_t>(hs.commit + pick(0, 3), last)};
            w.save_hard_state(hs);
        } else if (dice < 76) {
            auto keep = pick(snap_index, last);
            w.truncate_after(keep);
            model.resize(keep - snap_index);
        } else if (dice < 82) {
            // Compaction up to an entry the log holds, or (rarely) a leader's
            // snapshot past the end of the log.
            if (dice == 81) {
                auto index = last + pick(1, 5);
                w.mark_snapshot(index, ++term);
                model.clear();
                snap_index = index;
                snap_term = term;
            } else {
                auto index = pick(snap_index, last);
                auto t = term_at(index);
                w.mark_snapshot(index, t);
                model.erase(model.begin(), model.begin() + static_cast<std::ptrdiff_t>(index - snap_index));
                snap_index = index;
                snap_term = t;
            }
            REQUIRE(w.snapshot_index() == snap_index);
            REQUIRE(w.last_index() == last_index());
            REQUIRE(files_ending(dir.path(), ".log").size() == w.segment_count());
            ++compactions;
        } else if (dice < 88) {
            check_reopen();
        } else {
            w.sync();
        }
        segments_max = std::max(segments_max, w.segment_count());
    }
    check_reopen();
    CHECK(reopens > 10);
    CHECK(compactions > 10);
    CHECK(segments_max > 10); // many roll-overs at 1 KiB per segment
    CHECK(log.warnings() == 0);
}

TEST_CASE("a torn tail is cut at open wherever the last record was cut, and the log goes on", "[wal]") {
    temp_dir dir("wal");
    captured_log log;
    auto wal_dir = dir / "wal";
    auto entries = make_entries(1, 5, 1, 40);
    raft::hard_state hs{1, 2, 3};
    {
        auto [w, r] = open_wal(wal_dir, log);
        w.persist(hs, entries);
        w.append(std::vector{wal_entry(6, 1, "the last record, torn by a crash")});
        w.close();
    }
    auto segment = files_ending(wal_dir, ".log").at(0);
    const auto original = read_bytes(segment);
    const auto last_start = record_offsets(original).back();
    REQUIRE(last_start < original.size());

    for (auto cut = last_start; cut < original.size(); ++cut) {
        INFO("file cut at " << cut << " (the last record spans " << last_start << ".." << original.size() << ")");
        write_bytes(segment, original.substr(0, cut));
        captured_log cut_log;
        raft::wal_options no_sync; // 60-odd reopens: keep them off the disk's sync path
        no_sync.sync = raft::sync_mode::none;
        {
            auto [w, r] = raft::wal::open(wal_dir, no_sync, cut_log.log);
            CHECK(r.entries == entries);
            CHECK(r.hard_state == hs);
            CHECK(r.torn_bytes == cut - last_start);
            CHECK(cut_log.warnings() == (cut == last_start ? 0u : 1u));
            CHECK(std::filesystem::file_size(segment) == last_start);
            w.append(std::vector{wal_entry(6, 2, "written after recovery")});
            w.close();
        }
        auto [w, r] = raft::wal::open(wal_dir, no_sync, cut_log.log);
        REQUIRE(r.entries.size() == 6);
        CHECK(r.entries.back() == wal_entry(6, 2, "written after recovery"));
        CHECK(r.torn_bytes == 0);
    }
}

TEST_CASE("a flipped byte in the last record is caught by its checksum and cut with a warning", "[wal]") {
    temp_dir dir("wal");
    captured_log log;
    auto entries = make_entries(1, 4, 1, 32);
    {
        auto [w, r] = open_wal(dir.path(), log);
        w.append(entries);
        w.close();
    }
    auto segment = files_ending(dir.path(), ".log").at(0);
    auto bytes = read_bytes(segment);
    auto last_start = record_offsets(bytes).back();
    bytes[bytes.size() - 5] ^= 0x20; // inside entry 4's data
    write_bytes(segment, bytes);

    auto [w, r] = open_wal(dir.path(), log);
    CHECK(r.entries == std::vector(entries.begin(), entries.begin() + 3));
    CHECK(r.torn_bytes == bytes.size() - last_start);
    CHECK(log.warnings() == 1);
    CHECK_THAT(log.str(), Catch::Contains("checksum mismatch") && Catch::Contains(segment.filename().string()) &&
                              Catch::Contains("offset " + std::to_string(last_start)));
    CHECK(w.last_index() == 3);
}

TEST_CASE("a flipped byte in an earlier record followed by valid ones makes open throw", "[wal]") {
    temp_dir dir("wal");
    captured_log log;
    {
        auto [w, r] = open_wal(dir.path(), log);
        w.append(make_entries(1, 4, 1, 32));
        w.close();
    }
    auto segment = files_ending(dir.path(), ".log").at(0);
    auto bytes = read_bytes(segment);
    auto offsets = record_offsets(bytes);
    auto second_entry = offsets.at(offsets.size() - 3);
    bytes[second_entry + 8 + 20] ^= 0x01; // inside entry 2's payload
    write_bytes(segment, bytes);

    CHECK_THAT(message_of<raft::wal_error>([&] { open_wal(dir.path(), log); }),
               Catch::Contains(segment.string()) && Catch::Contains("offset " + std::to_string(second_entry)) &&
                   Catch::Contains("valid record follows"));
    CHECK(read_bytes(segment) == bytes); // nothing was cut
}

TEST_CASE("a bad record in a segment before the last one makes open throw", "[wal]") {
    temp_dir dir("wal");
    captured_log log;
    {
        auto [w, r] = open_wal(dir.path(), log, small_segments());
        w.append(make_entries(1, 60, 1, 40));
        w.close();
    }
    auto segments = files_ending(dir.path(), ".log");
    REQUIRE(segments.size() >= 3);
    auto first = read_bytes(segments[0]);
    write_bytes(segments[0], first.substr(0, first.size() - 3)); // its last record cut short
    CHECK_THAT(message_of<raft::wal_error>([&] { open_wal(dir.path(), log, small_segments()); }),
               Catch::Contains(segments[0].string()) && Catch::Contains("before the last"));
}

TEST_CASE("a length field claiming 4 GiB is rejected without allocating it", "[wal]") {
    temp_dir dir("wal");
    captured_log log;
    auto entries = make_entries(1, 3, 1, 24);
    {
        auto [w, r] = open_wal(dir.path(), log);
        w.append(entries);
        w.close();
    }
    auto segment = files_ending(dir.path(), ".log").at(0);
    const auto original = read_bytes(segment);
    auto offsets = record_offsets(original);
    auto claim_4gib = [](std::string bytes, std::size_t at) {
        for (int i = 0; i < 4; ++i) bytes[at + static_cast<std::size_t>(i)] = '\xff';
        return bytes;
    };

    // Even with the largest record limit there is, the length is checked
    // against the bytes in the file before anything is read or allocated.
    raft::wal_options huge;
    huge.record_bytes_max = UINT32_MAX;
    for (auto options : {raft::wal_options{}, huge}) {
        // In the last record: a torn tail.
        write_bytes(segment, claim_4gib(original, offsets.back()));
        {
            captured_log tail_log;
            auto [w, r] = open_wal(dir.path(), tail_log, options);
            CHECK(r.entries.size() == 2);
            CHECK_THAT(tail_log.str(), Catch::Contains("record length of 4294967295 bytes"));
        }
        // In the middle, followed by valid records: damage.
        write_bytes(segment, claim_4gib(original, offsets.at(offsets.size() - 2)));
        CHECK_THROWS_AS(open_wal(dir.path(), log, options), raft::wal_error);
    }
}

TEST_CASE("mark_snapshot drops whole old segments, and a reopened log starts after the snapshot", "[wal]") {
    temp_dir dir("wal");
    captured_log log;
    raft::hard_state hs{3, 1, 70};
    {
        auto [w, r] = open_wal(dir.path(), log, small_segments());
        w.persist(hs, make_entries(1, 100, 3, 40)); // the hard state lands in the first segment
        auto before = w.segment_count();
        REQUIRE(before > 5);
        auto oldest = files_ending(dir.path(), ".log").front();

        w.mark_snapshot(70, 3);
        CHECK(w.segment_count() < before);
        CHECK(files_ending(dir.path(), ".log").size() == w.segment_count());
        CHECK_FALSE(std::filesystem::exists(oldest));
        CHECK(w.snapshot_index() == 70);
        CHECK(w.last_index() == 100);
        CHECK(w.term_at(69) == std::nullopt);
        CHECK(w.term_at(70) == 3);
        CHECK(w.term_at(71) == 3);
        w.close();
    }
    {
        auto [w, r] = open_wal(dir.path(), log, small_segments());
        CHECK(r.snapshot_index == 70);
        CHECK(r.snapshot_term == 3);
        CHECK(r.hard_state == hs); // carried by every segment's header
        CHECK(r.entries == make_entries(71, 100, 3, 40));
        w.append(make_entries(101, 110, 4, 40));
        w.mark_snapshot(105, 4);
        w.close();
    }
    auto [w, r] = open_wal(dir.path(), log, small_segments());
    CHECK(r.snapshot_index == 105);
    CHECK(r.entries == make_entries(106, 110, 4, 40));
    CHECK(log.warnings() == 0);
}

TEST_CASE("a snapshot the log does not match drops every entry, and the log restarts after it", "[wal]") {
    temp_dir dir("wal");
    captured_log log;
    {
        auto [w, r] = open_wal(dir.path(), log);
        w.append(make_entries(1, 10, 1));
        w.mark_snapshot(8, 2); // entry 8 has term 1: a leader's snapshot replaces the log (§7)
        CHECK(w.last_index() == 8);
        CHECK_THROWS_AS(w.append(make_entries(8, 8, 2)), std::invalid_argument); // at the snapshot
        w.append(make_entries(9, 9, 2));
        w.close();
    }
    {
        auto [w, r] = open_wal(dir.path(), log);
        CHECK(r.snapshot_index == 8);
        CHECK(r.entries == make_entries(9, 9, 2));
        w.mark_snapshot(20, 3); // beyond the log
        w.close();
    }
    auto [w, r] = open_wal(dir.path(), log);
    CHECK(r.snapshot_index == 20);
    CHECK(r.entries.empty());
    CHECK(w.last_index() == 20);
}

TEST_CASE("sync_mode none still round-trips", "[wal]") {
    temp_dir dir("wal");
    captured_log log;
    auto options = small_segments(raft::sync_mode::none);
    {
        auto [w, r] = open_wal(dir.path(), log, options);
        w.persist(raft::hard_state{2, 1, 5}, make_entries(1, 40, 2, 50));
        w.truncate_after(30);
        w.append(make_entries(31, 35, 3, 50));
        w.close();
    }
    auto [w, r] = open_wal(dir.path(), log, options);
    auto expected = make_entries(1, 30, 2, 50);
    auto tail = make_entries(31, 35, 3, 50);
    expected.insert(expected.end(), tail.begin(), tail.end());
    CHECK(r.entries == expected);
    CHECK(r.hard_state == raft::hard_state{2, 1, 5});
    CHECK(r.segments > 1);
}

TEST_CASE("appends that would break the log's shape are refused and write nothing", "[wal]") {
    temp_dir dir("wal");
    captured_log log;
    raft::wal_options options;
    options.record_bytes_max = 100;
    auto [w, r] = open_wal(dir.path(), log, options);
    w.append(make_entries(1, 5, 2));
    auto segment = files_ending(dir.path(), ".log").at(0);
    auto size = std::filesystem::file_size(segment);
    CHECK_THROWS_AS(w.append(make_entries(7, 8, 2)), std::invalid_argument); // a gap
    CHECK_THROWS_AS(w.append(make_entries(6, 6, 1)), std::invalid_argument); // a term going back
    CHECK_THROWS_AS(w.append(std::vector{wal_entry(6, 2), wal_entry(8, 2)}), std::invalid_argument);
    CHECK_THROWS_AS(w.append(std::vector{wal_entry(6, 2), wal_entry(7, 2, std::string(100, 'x'))}),
                    std::invalid_argument); // over record_bytes_max: not even entry 6 is written
    CHECK(std::filesystem::file_size(segment) == size);
    CHECK(w.last_index() == 5);
}

TEST_CASE("a second open of the same directory fails while the first is open", "[wal]") {
    temp_dir dir("wal");
    captured_log log;
    auto first = open_wal(dir.path(), log);
    CHECK_THAT(message_of<raft::wal_error>([&] { open_wal(dir.path(), log); }), Catch::Contains("already open"));
    first.log.close();
    CHECK_NOTHROW(open_wal(dir.path(), log));
}

TEST_CASE("a missing segment in the middle makes open throw", "[wal]") {
    temp_dir dir("wal");
    captured_log log;
    {
        auto [w, r] = open_wal(dir.path(), log, small_segments());
        w.append(make_entries(1, 60, 1, 40));
        w.close();
    }
    auto segments = files_ending(dir.path(), ".log");
    REQUIRE(segments.size() >= 3);
    std::filesystem::remove(segments[1]);
    CHECK_THAT(message_of<raft::wal_error>([&] { open_wal(dir.path(), log, small_segments()); }),
               Catch::Contains(segments[1].filename().string() + " is missing"));
}

TEST_CASE("a crash while starting a segment leaves an empty or half-headed last segment that open repairs", "[wal]") {
    temp_dir dir("wal");
    captured_log log;
    raft::hard_state hs{5, 2, 10};
    {
        auto [w, r] = open_wal(dir.path(), log, small_segments());
        w.persist(hs, make_entries(1, 30, 5, 40));
        w.close();
    }
    auto segments = files_ending(dir.path(), ".log");
    auto header = read_bytes(segments.back()).substr(0, 7); // a few bytes of a header record
    auto name = segments.back().filename().string();
    auto seq = std::stoull(name.substr(0, 20)) + 1;
    auto path = dir.path() / fmt::format("{:020}.log", seq);

    for (const std::string& content : {std::string(), header}) {
        write_bytes(path, content);
        {
            auto [w, r] = open_wal(dir.path(), log, small_segments());
            CHECK(r.entries == make_entries(1, 30, 5, 40));
            CHECK(r.hard_state == hs);
            w.append(make_entries(31, 31, 5, 40));
            w.truncate_after(30);
            w.close();
        }
        auto [w, r] = open_wal(dir.path(), log, small_segments());
        CHECK(r.entries.size() == 30);
        CHECK(r.torn_bytes == 0);
        w.close();
        std::filesystem::remove(path);
    }
}

TEST_CASE("make_restored_state puts the log on the newest snapshot, or refuses a gap between them", "[wal]") {
    temp_dir dir("wal");
    captured_log log;
    auto members = raft::make_membership({1, 2, 3});
    auto snap_at = [&](raft::index_t index, raft::term_t term) {
        raft::snapshot s;
        s.metadata = {index, term, members};
        s.data = "state";
        return s;
    };
    SECTION("a snapshot saved just before a crash, not yet marked in the log") {
        open_wal(dir / "wal", log).log.persist(raft::hard_state{2, 1, 8}, make_entries(1, 10, 2));
        auto [w, r] = open_wal(dir / "wal", log);
        auto restored = raft::make_restored_state(w, std::move(r), snap_at(8, 2));
        CHECK(w.snapshot_index() == 8); // marked now
        CHECK(restored.snapshot.metadata.index == 8);
        CHECK(restored.entries == make_entries(9, 10, 2));
        CHECK(restored.hard_state == raft::hard_state{2, 1, 8});
    }
    SECTION("a log compacted past the newest valid snapshot") {
        auto [w, r] = open_wal(dir / "wal", log);
        w.append(make_entries(1, 10, 2));
        w.mark_snapshot(8, 2);
        w.close();
        auto again = open_wal(dir / "wal", log);
        CHECK_THAT(message_of<raft::storage_error>(
                       [&] { raft::make_restored_state(again.log, again.recovered, snap_at(5, 2)); }),
                   Catch::Contains("restore this node from a peer"));
        CHECK_THROWS_AS(raft::make_restored_state(again.log, again.recovered, std::nullopt), raft::storage_error);
        auto restored = raft::make_restored_state(again.log, again.recovered, snap_at(8, 2));
        CHECK(restored.entries == make_entries(9, 10, 2));
    }
    SECTION("no snapshot at all") {
        auto [w, r] = open_wal(dir / "wal", log);
        w.append(make_entries(1, 3, 1));
        raft::wal_recovered recovered;
        recovered.entries = make_entries(1, 3, 1);
        auto restored = raft::make_restored_state(w, std::move(recovered), std::nullopt);
        CHECK(restored.entries.size() == 3);
        CHECK(restored.snapshot.metadata.index == 0);
    }
}

TEST_CASE("a ready that only moves the commit index is written without an fdatasync, and survives a clean reopen",
          "[wal]") {
    temp_dir dir("wal");
    captured_log log;
    auto w = open_wal(dir.path(), log).log;
    auto base = w.syncs();
    auto entries = make_entries(1, 3, 1);
    w.persist(raft::hard_state{1, 2, 0}, entries);
    CHECK(w.syncs() == base + 1); // entries, a term and a vote: durable before anyone hears of them

    w.persist(raft::hard_state{1, 2, 3}, {}); // the commit index alone
    CHECK(w.syncs() == base + 1);
    w.persist(raft::hard_state{2, 0, 3}, {}); // a new term must be durable
    CHECK(w.syncs() == base + 2);
    w.persist(raft::hard_state{2, 3, 3}, {}); // and so must a vote
    CHECK(w.syncs() == base + 3);

    w.close();
    auto again = open_wal(dir.path(), log);
    CHECK(again.recovered.entries == entries);
    CHECK(again.recovered.hard_state == raft::hard_state{2, 3, 3});
}
