// Snapshot files: atomic save (temp file, fdatasync, rename, directory
// fsync) and a checked load that falls back to older files. Format in
// snapshot_file.hpp.

#include <coronet/consensus/raft/snapshot_file.hpp>

#include "file_io.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <stdexcept>
#include <tuple>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

namespace coronet::consensus::raft::snapshot_file {
namespace {

using namespace detail;

constexpr std::string_view magic = "CRNTSNAP";
constexpr std::uint32_t format_version = 1;
constexpr std::string_view temp_name = "snap.tmp";
constexpr std::string_view prefix = "snapshot-";
constexpr std::string_view suffix = ".snap";
// magic, version, index, term, two counts, data size, crc
constexpr std::uint64_t fixed_bytes = 8 + 4 + 8 + 8 + 4 + 4 + 8 + 4;

struct found {
    index_t index = 0;
    term_t term = 0;
    std::filesystem::path path;
};

std::optional<std::uint64_t> parse_number(std::string_view digits) {
    std::uint64_t v = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
    return v;
}

// "snapshot-<term>-<index>.snap" -> (index, term)
std::optional<found> parse_name(const std::filesystem::path& path) {
    auto name = path.filename().string();
    std::string_view n = name;
    if (!n.starts_with(prefix) || !n.ends_with(suffix)) return std::nullopt;
    n = n.substr(prefix.size(), n.size() - prefix.size() - suffix.size());
    auto dash = n.find('-');
    if (dash == std::string_view::npos) return std::nullopt;
    auto term = parse_number(n.substr(0, dash));
    auto index = parse_number(n.substr(dash + 1));
    if (!term || !index || *index == 0) return std::nullopt;
    return found{*index, *term, path};
}

// The snapshots in `dir`, newest first.
std::vector<found> list(const std::filesystem::path& dir) {
    std::vector<found> out;
    std::error_code ec;
    for (const auto& de : std::filesystem::directory_iterator(dir, ec)) {
        if (auto f = parse_name(de.path())) out.push_back(std::move(*f));
    }
    if (ec && ec != std::errc::no_such_file_or_directory) throw snapshot_error(describe("list", dir, ec.value()), ec.value());
    std::sort(out.begin(), out.end(),
              [](const found& a, const found& b) { return std::tie(a.index, a.term) > std::tie(b.index, b.term); });
    return out;
}

std::string encode_header(const snapshot_metadata& m, std::uint64_t data_bytes) {
    std::string out(magic);
    put_u32(out, format_version);
    put_u64(out, m.index);
    put_u64(out, m.term);
    put_u32(out, static_cast<std::uint32_t>(m.members.voters.size()));
    for (auto id : m.members.voters) put_u64(out, id);
    put_u32(out, static_cast<std::uint32_t>(m.members.learners.size()));
    for (auto id : m.members.learners) put_u64(out, id);
    put_u64(out, data_bytes);
    return out;
}

bool read_ids(reader& in, std::vector<node_id>& ids) {
    std::uint32_t count = 0;
    if (!in.u32(count) || count > in.left() / 8) return false; // bounded by the bytes there, before reserving
    ids.resize(count);
    for (auto& id : ids) in.u64(id);
    return in.ok();
}

// Decodes and checks a whole file; throws snapshot_error saying what is wrong.
snapshot decode(std::string_view bytes, const std::filesystem::path& path) {
    auto bad = [&](const std::string& why) { return snapshot_error(fmt::format("{}: {}", path.string(), why)); };
    if (bytes.size() < fixed_bytes) throw bad(fmt::format("{} bytes, shorter than any snapshot file", bytes.size()));
    auto body = bytes.substr(0, bytes.size() - 4);
    auto stored = load_u32(bytes.data() + body.size());
    auto computed = crc32c(body);
    if (stored != computed) throw bad(fmt::format("checksum mismatch (stored {:08x}, computed {:08x})", stored, computed));

    reader in(body);
    std::string_view m;
    std::uint32_t version = 0;
    snapshot s;
    if (!in.bytes(magic.size(), m) || m != magic) throw bad("not a coronet snapshot (bad magic)");
    if (!in.u32(version) || version != format_version) throw bad(fmt::format("format version {}, this build reads {}", version, format_version));
    if (!in.u64(s.metadata.index) || !in.u64(s.metadata.term)) throw bad("truncated header");
    if (!read_ids(in, s.metadata.members.voters) || !read_ids(in, s.metadata.members.learners))
        throw bad("malformed membership");
    std::uint64_t data_bytes = 0;
    if (!in.u64(data_bytes) || data_bytes != in.left())
        throw bad(fmt::format("the data size field says {} bytes, {} are there", data_bytes, in.left()));
    std::string_view data;
    in.bytes(in.left(), data);
    if (s.metadata.index == 0) throw bad("a snapshot at index 0");
    try {
        if (make_membership(s.metadata.members.voters, s.metadata.members.learners) != s.metadata.members)
            throw bad("membership lists not sorted or with duplicates");
    } catch (const std::invalid_argument& e) {
        throw bad(fmt::format("invalid membership: {}", e.what()));
    }
    s.data.assign(data);
    return s;
}

void write_temp(const std::filesystem::path& tmp, const snapshot_metadata& metadata, std::string_view data,
                sync_mode mode) {
    unique_fd fd;
    if (int e = open_file(tmp, O_WRONLY | O_CREAT | O_TRUNC, fd)) throw snapshot_error(describe("create", tmp, e), e);
    auto header = encode_header(metadata, data.size());
    auto crc = crc32c(data, crc32c(header));
    std::string trailer;
    put_u32(trailer, crc);
    std::uint64_t off = 0;
    for (std::string_view part : {std::string_view(header), data, std::string_view(trailer)}) {
        if (int e = write_all_at(fd.get(), part, off)) throw snapshot_error(describe("write", tmp, e), e);
        off += part.size();
    }
    if (int e = sync_file(fd.get(), mode)) throw snapshot_error(describe("fdatasync", tmp, e), e);
}

} // namespace

std::string file_name(const snapshot_metadata& metadata) {
    return fmt::format("{}{:020}-{:020}{}", prefix, metadata.term, metadata.index, suffix);
}

std::filesystem::path save(const std::filesystem::path& dir, const snapshot_metadata& metadata, std::string_view data,
                           const snapshot_file_options& options) {
    if (metadata.index == 0) throw std::invalid_argument("snapshot_file::save: a snapshot covers at least index 1");
    if (metadata.members.voters.size() > UINT32_MAX || metadata.members.learners.size() > UINT32_MAX)
        throw std::invalid_argument("snapshot_file::save: membership too large");
    if (int e = ensure_dir(dir, options.sync)) throw snapshot_error(describe("create directory", dir, e), e);

    auto tmp = dir / temp_name;
    auto path = dir / file_name(metadata);
    write_temp(tmp, metadata, data, options.sync);
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec); // atomic: the name holds the old file or the new one
    if (ec) throw snapshot_error(describe("rename " + tmp.string() + " to", path, ec.value()), ec.value());
    if (int e = sync_dir(dir, options.sync)) throw snapshot_error(describe("fsync directory", dir, e), e);

    // Only now, with the new one durable, may older ones go.
    auto all = list(dir);
    const std::size_t others_max = std::max<std::size_t>(options.retain, 1) - 1;
    std::size_t others_kept = 0;
    bool removed = false;
    for (const auto& f : all) { // newest first
        if (f.path == path) continue;
        if (others_kept < others_max) {
            ++others_kept;
            continue;
        }
        std::filesystem::remove(f.path, ec);
        if (ec) throw snapshot_error(describe("remove", f.path, ec.value()), ec.value());
        removed = true;
    }
    if (removed) {
        if (int e = sync_dir(dir, options.sync)) throw snapshot_error(describe("fsync directory", dir, e), e);
    }
    return path;
}

snapshot load(const std::filesystem::path& file, const snapshot_file_options& options) {
    unique_fd fd;
    if (int e = open_file(file, O_RDONLY, fd)) throw snapshot_error(describe("open", file, e), e);
    std::uint64_t size = 0;
    if (int e = file_size(fd.get(), size)) throw snapshot_error(describe("fstat", file, e), e);
    if (size > options.file_bytes_max)
        throw snapshot_error(fmt::format("{}: {} bytes, over file_bytes_max ({})", file.string(), size, options.file_bytes_max));
    mapped_file map;
    if (int e = map.map(fd.get(), size)) throw snapshot_error(describe("mmap", file, e), e);
    auto s = decode(map.bytes(), file);
    if (auto named = parse_name(file); named && (named->index != s.metadata.index || named->term != s.metadata.term))
        throw snapshot_error(fmt::format("{}: the name says index {} term {}, the content index {} term {}", file.string(),
                                         named->index, named->term, s.metadata.index, s.metadata.term));
    return s;
}

std::optional<snapshot> load_latest(const std::filesystem::path& dir, const snapshot_file_options& options,
                                    logger_ptr log) {
    auto all = list(dir);
    for (std::size_t i = 0; i < all.size(); ++i) {
        try {
            return load(all[i].path, options);
        } catch (const snapshot_error& e) {
            if (!log) log = make_logger("coronet.snapshot");
            log->warn("skipping invalid snapshot: {}; {}", e.what(),
                      i + 1 < all.size() ? "trying the previous one" : "no older snapshot left");
        }
    }
    return std::nullopt;
}

} // namespace coronet::consensus::raft::snapshot_file
