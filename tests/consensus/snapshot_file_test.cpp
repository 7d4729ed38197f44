// Snapshot files: saved atomically, read back exactly, and a damaged newest
// one is skipped with a warning rather than used.
#include "consensus/storage_support.hpp"

#include <coronet/consensus/raft/snapshot_file.hpp>

#include <catch2/catch.hpp>

#include <string>

namespace raft = coronet::consensus::raft;
using coronet::test::captured_log;
using coronet::test::files_ending;
using coronet::test::read_bytes;
using coronet::test::temp_dir;
using coronet::test::write_bytes;

namespace {

raft::snapshot_metadata meta(raft::index_t index, raft::term_t term) {
    return {index, term, raft::make_membership({1, 2, 3}, {7})};
}

} // namespace

TEST_CASE("a saved snapshot loads back exactly, and only the newest ones are kept", "[snapshot_file]") {
    temp_dir dir("snap");
    captured_log log;
    auto snap_dir = dir / "snap";
    CHECK(raft::snapshot_file::load_latest(snap_dir, {}, log.log) == std::nullopt); // no directory yet

    std::string data(100000, '\0');
    for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 31 % 251);
    auto first = raft::snapshot_file::save(snap_dir, meta(10, 2), "ten");
    auto second = raft::snapshot_file::save(snap_dir, meta(20, 3), "twenty");
    auto third = raft::snapshot_file::save(snap_dir, meta(30, 3), data);
    CHECK(third.filename() == "snapshot-00000000000000000003-00000000000000000030.snap");
    CHECK_FALSE(std::filesystem::exists(first)); // retain = 2
    CHECK(std::filesystem::exists(second));
    CHECK_FALSE(std::filesystem::exists(snap_dir / "snap.tmp"));

    auto loaded = raft::snapshot_file::load_latest(snap_dir, {}, log.log);
    REQUIRE(loaded);
    CHECK(loaded->metadata == meta(30, 3));
    CHECK(loaded->data == data);
    CHECK(raft::snapshot_file::load(second).data == "twenty");
    CHECK(log.warnings() == 0);

    raft::snapshot_file_options keep_one;
    keep_one.retain = 1;
    keep_one.sync = raft::sync_mode::none;
    raft::snapshot_file::save(snap_dir, meta(40, 4), "", keep_one);
    CHECK(files_ending(snap_dir, ".snap").size() == 1);
    CHECK(raft::snapshot_file::load_latest(snap_dir, {}, log.log)->data.empty());
}

TEST_CASE("a leftover snap.tmp from a crash during save is ignored", "[snapshot_file]") {
    temp_dir dir("snap");
    captured_log log;
    raft::snapshot_file::save(dir.path(), meta(10, 2), "committed state");
    // A crash between writing the temp file and renaming it: a complete,
    // even valid-looking, file under the temporary name.
    auto newer = raft::snapshot_file::save(dir / "elsewhere", meta(99, 9), "never renamed");
    std::filesystem::copy_file(newer, dir / "snap.tmp");

    auto loaded = raft::snapshot_file::load_latest(dir.path(), {}, log.log);
    REQUIRE(loaded);
    CHECK(loaded->metadata.index == 10);
    CHECK(loaded->data == "committed state");
    CHECK(log.warnings() == 0);

    raft::snapshot_file::save(dir.path(), meta(11, 2), "next"); // overwrites the leftover
    CHECK_FALSE(std::filesystem::exists(dir / "snap.tmp"));
    CHECK(raft::snapshot_file::load_latest(dir.path(), {}, log.log)->data == "next");
}

TEST_CASE("a corrupt newest snapshot falls back to the previous one with a warning", "[snapshot_file]") {
    temp_dir dir("snap");
    captured_log log;
    raft::snapshot_file::save(dir.path(), meta(10, 2), "older state");
    auto newest = raft::snapshot_file::save(dir.path(), meta(20, 2), "newer state");
    auto bytes = read_bytes(newest);

    SECTION("a flipped byte") {
        bytes[bytes.size() - 8] ^= 0x04;
        write_bytes(newest, bytes);
        auto loaded = raft::snapshot_file::load_latest(dir.path(), {}, log.log);
        REQUIRE(loaded);
        CHECK(loaded->metadata.index == 10);
        CHECK(log.warnings() == 1);
        CHECK_THAT(log.str(), Catch::Contains(newest.filename().string()) && Catch::Contains("checksum mismatch"));
        CHECK_THROWS_AS(raft::snapshot_file::load(newest), raft::snapshot_error);
    }
    SECTION("a cut file") {
        write_bytes(newest, bytes.substr(0, bytes.size() / 2));
        CHECK(raft::snapshot_file::load_latest(dir.path(), {}, log.log)->metadata.index == 10);
        CHECK(log.warnings() == 1);
    }
    SECTION("a name that does not match the content") {
        std::filesystem::rename(newest, dir / "snapshot-00000000000000000002-00000000000000000030.snap");
        CHECK(raft::snapshot_file::load_latest(dir.path(), {}, log.log)->metadata.index == 10);
        CHECK_THAT(log.str(), Catch::Contains("the name says index 30"));
    }
    SECTION("every snapshot damaged") {
        for (const auto& f : files_ending(dir.path(), ".snap")) write_bytes(f, "garbage");
        CHECK(raft::snapshot_file::load_latest(dir.path(), {}, log.log) == std::nullopt);
        CHECK(log.warnings() == 2);
        CHECK_THAT(log.str(), Catch::Contains("no older snapshot left"));
    }
}
