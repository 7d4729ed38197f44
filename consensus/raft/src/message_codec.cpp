#include <coronet/consensus/raft/message_codec.hpp>

#include <algorithm>
#include <cstdint>
#include <limits>

namespace coronet::consensus::raft {
namespace {

constexpr std::uint8_t flag_reject = 1;
constexpr std::uint8_t flag_leader_transfer = 2;
constexpr std::uint8_t flag_snapshot = 4;
constexpr std::uint8_t flags_known = flag_reject | flag_leader_transfer | flag_snapshot;
constexpr std::uint8_t entry_type_count = 3;
/// An entry without data: term, index, type, length.
constexpr std::size_t entry_header_bytes = 8 + 8 + 1 + 4;

void put_u8(std::string& out, std::uint8_t v) { out.push_back(static_cast<char>(v)); }

void put_u32(std::string& out, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void put_u64(std::string& out, std::uint64_t v) {
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

/// A count that must fit the u32 the format gives it (encode's precondition).
std::uint32_t count32(std::size_t n, const char* what) {
    if (n > std::numeric_limits<std::uint32_t>::max())
        throw codec_error(std::string("raft message too large to encode: ") + what);
    return static_cast<std::uint32_t>(n);
}

void put_ids(std::string& out, const std::vector<node_id>& ids) {
    put_u32(out, count32(ids.size(), "member count"));
    for (auto id : ids) put_u64(out, id);
}

/// Reads from the front of the input; every read checks what is left.
class reader {
public:
    explicit reader(std::string_view in) : _in(in) {}

    std::size_t left() const { return _in.size() - _at; }

    std::uint8_t u8(const char* what) {
        need(1, what);
        return static_cast<std::uint8_t>(_in[_at++]);
    }
    std::uint32_t u32(const char* what) {
        need(4, what);
        std::uint32_t v = 0;
        for (int i = 0; i < 4; ++i) v |= std::uint32_t{static_cast<std::uint8_t>(_in[_at++])} << (8 * i);
        return v;
    }
    std::uint64_t u64(const char* what) {
        need(8, what);
        std::uint64_t v = 0;
        for (int i = 0; i < 8; ++i) v |= std::uint64_t{static_cast<std::uint8_t>(_in[_at++])} << (8 * i);
        return v;
    }
    /// `n` bytes, after checking them against `max` and the input left.
    std::string bytes(std::uint64_t n, std::size_t max, const char* what) {
        if (n > max) fail(std::string(what) + " of " + std::to_string(n) + " bytes exceeds the limit of " + std::to_string(max));
        need(n, what);
        std::string s(_in.substr(_at, static_cast<std::size_t>(n)));
        _at += static_cast<std::size_t>(n);
        return s;
    }
    /// A count of items at least `item_bytes` each: bounded by `max` and by
    /// what the input left can hold, so a lying count allocates nothing.
    std::size_t count(std::uint32_t n, std::size_t max, std::size_t item_bytes, const char* what) {
        if (n > max) fail(std::string(what) + " " + std::to_string(n) + " exceeds the limit of " + std::to_string(max));
        if (std::uint64_t{n} * item_bytes > left())
            fail(std::string(what) + " " + std::to_string(n) + " does not fit the " + std::to_string(left()) +
                 " bytes left");
        return n;
    }
    [[noreturn]] void fail(const std::string& reason) const {
        throw codec_error("malformed raft message at byte " + std::to_string(_at) + ": " + reason);
    }

private:
    void need(std::uint64_t n, const char* what) const {
        if (n > left()) fail(std::string("truncated ") + what);
    }

    std::string_view _in;
    std::size_t _at = 0;
};

std::vector<node_id> get_ids(reader& r, std::size_t& members_left, const char* what) {
    auto n = r.count(r.u32(what), members_left, 8, what);
    members_left -= n;
    std::vector<node_id> ids;
    ids.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        auto id = r.u64("member id");
        if (id == no_node) r.fail(std::string(what) + " contains node 0");
        if (!ids.empty() && id <= ids.back()) r.fail(std::string(what) + " not sorted and unique");
        ids.push_back(id);
    }
    return ids;
}

bool disjoint(const std::vector<node_id>& a, const std::vector<node_id>& b) {
    for (auto id : b)
        if (std::binary_search(a.begin(), a.end(), id)) return false;
    return true;
}

} // namespace

std::string encode(const message& m) {
    std::size_t size = encoded_header_bytes;
    for (const auto& e : m.entries) size += entry_header_bytes + e.data.size();
    if (m.snapshot)
        size += 8 + 8 + 4 + 4 + 8 * (m.snapshot->metadata.members.voters.size() +
                                     m.snapshot->metadata.members.learners.size()) +
                8 + m.snapshot->data.size();
    std::string out;
    out.reserve(size);
    put_u8(out, codec_version);
    put_u8(out, static_cast<std::uint8_t>(m.type));
    std::uint8_t flags = 0;
    if (m.reject) flags |= flag_reject;
    if (m.leader_transfer) flags |= flag_leader_transfer;
    if (m.snapshot) flags |= flag_snapshot;
    put_u8(out, flags);
    for (std::uint64_t v : {m.from, m.to, m.term, m.log_term, m.index, m.commit, m.reject_hint, m.context})
        put_u64(out, v);
    put_u32(out, count32(m.entries.size(), "entry count"));
    for (const auto& e : m.entries) {
        put_u64(out, e.term);
        put_u64(out, e.index);
        put_u8(out, static_cast<std::uint8_t>(e.type));
        put_u32(out, count32(e.data.size(), "entry data"));
        out += e.data;
    }
    if (m.snapshot) {
        const auto& s = *m.snapshot;
        put_u64(out, s.metadata.index);
        put_u64(out, s.metadata.term);
        put_ids(out, s.metadata.members.voters);
        put_ids(out, s.metadata.members.learners);
        put_u64(out, s.data.size());
        out += s.data;
    }
    return out;
}

message decode_message(std::string_view bytes, const codec_limits& limits) {
    reader r(bytes);
    if (bytes.size() > limits.message_bytes_max)
        r.fail("message of " + std::to_string(bytes.size()) + " bytes exceeds the limit of " +
               std::to_string(limits.message_bytes_max));
    if (auto v = r.u8("version"); v != codec_version) r.fail("unknown version " + std::to_string(v));
    auto type = r.u8("type");
    if (type >= message_type_count) r.fail("unknown message type " + std::to_string(type));
    auto flags = r.u8("flags");
    if (flags & ~flags_known) r.fail("unknown flags " + std::to_string(flags));
    message m;
    m.type = static_cast<message_type>(type);
    m.reject = (flags & flag_reject) != 0;
    m.leader_transfer = (flags & flag_leader_transfer) != 0;
    m.from = r.u64("from");
    m.to = r.u64("to");
    m.term = r.u64("term");
    m.log_term = r.u64("log_term");
    m.index = r.u64("index");
    m.commit = r.u64("commit");
    m.reject_hint = r.u64("reject_hint");
    m.context = r.u64("context");
    auto entries = r.count(r.u32("entry count"), limits.entries_max, entry_header_bytes, "entry count");
    m.entries.reserve(entries);
    for (std::size_t i = 0; i < entries; ++i) {
        entry e;
        e.term = r.u64("entry term");
        e.index = r.u64("entry index");
        auto t = r.u8("entry type");
        if (t >= entry_type_count) r.fail("unknown entry type " + std::to_string(t));
        e.type = static_cast<entry_type>(t);
        e.data = r.bytes(r.u32("entry length"), limits.entry_bytes_max, "entry data");
        m.entries.push_back(std::move(e));
    }
    if (flags & flag_snapshot) {
        snapshot s;
        s.metadata.index = r.u64("snapshot index");
        s.metadata.term = r.u64("snapshot term");
        std::size_t members_left = limits.members_max;
        s.metadata.members.voters = get_ids(r, members_left, "voters");
        s.metadata.members.learners = get_ids(r, members_left, "learners");
        if (!disjoint(s.metadata.members.voters, s.metadata.members.learners))
            r.fail("a node is both voter and learner");
        s.data = r.bytes(r.u64("snapshot length"), limits.snapshot_bytes_max, "snapshot data");
        m.snapshot = std::move(s);
    }
    if (r.left() != 0) r.fail(std::to_string(r.left()) + " trailing bytes");
    return m;
}

message decode_message(std::span<const std::byte> bytes, const codec_limits& limits) {
    return decode_message(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), limits);
}

} // namespace coronet::consensus::raft
