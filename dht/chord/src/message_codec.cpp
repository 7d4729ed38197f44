#include <coronet/dht/chord/message_codec.hpp>

#include <limits>

namespace coronet::dht::chord {
namespace {

constexpr std::uint8_t flag_done = 1;
constexpr std::uint8_t flag_final = 2;
constexpr std::uint8_t flag_node = 4;
constexpr std::uint8_t flag_origin = 8;
constexpr std::uint8_t flags_known = flag_done | flag_final | flag_node | flag_origin;
/// A peer with an empty address: id and length.
constexpr std::size_t peer_header_bytes = id::bytes + 2;

void put_u8(std::string& out, std::uint8_t v) { out.push_back(static_cast<char>(v)); }

template <typename T>
void put_le(std::string& out, T v) {
    for (std::size_t i = 0; i < sizeof(T); ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void put_id(std::string& out, const id& x) {
    for (auto b : x.to_bytes()) out.push_back(static_cast<char>(b));
}

std::uint16_t length16(std::size_t n, const char* what) {
    if (n > std::numeric_limits<std::uint16_t>::max())
        throw codec_error(std::string("chord message too large to encode: ") + what);
    return static_cast<std::uint16_t>(n);
}

void put_address(std::string& out, const std::string& a) {
    put_le(out, length16(a.size(), "address"));
    out += a;
}

void put_peer(std::string& out, const peer& p) {
    put_id(out, p.id);
    put_address(out, p.address);
}

/// Reads from the front of the input; every read checks what is left.
class reader {
public:
    reader(std::string_view in, const codec_limits& limits) : _in(in), _limits(limits) {}

    std::size_t left() const { return _in.size() - _at; }

    std::uint8_t u8(const char* what) {
        need(1, what);
        return static_cast<std::uint8_t>(_in[_at++]);
    }
    template <typename T>
    T le(const char* what) {
        need(sizeof(T), what);
        T v = 0;
        for (std::size_t i = 0; i < sizeof(T); ++i) v |= T(static_cast<std::uint8_t>(_in[_at++])) << (8 * i);
        return v;
    }
    id ring_id(const char* what) {
        need(id::bytes, what);
        std::array<std::uint8_t, id::bytes> b{};
        for (auto& x : b) x = static_cast<std::uint8_t>(_in[_at++]);
        return id::from_bytes(b);
    }
    std::string address(const char* what) {
        auto n = le<std::uint16_t>(what);
        if (n > _limits.address_bytes_max)
            fail(std::string(what) + " of " + std::to_string(n) + " bytes exceeds the limit of " +
                 std::to_string(_limits.address_bytes_max));
        need(n, what);
        std::string s(_in.substr(_at, n));
        _at += n;
        return s;
    }
    peer get_peer(const char* what) {
        peer p;
        p.id = ring_id(what);
        p.address = address(what);
        return p;
    }
    /// A list whose count is bounded by peers_max and by what the input left
    /// can hold, so a lying count allocates nothing.
    std::vector<peer> peers(const char* what) {
        auto n = le<std::uint16_t>(what);
        if (n > _limits.peers_max)
            fail(std::string(what) + " count " + std::to_string(n) + " exceeds the limit of " +
                 std::to_string(_limits.peers_max));
        if (std::size_t{n} * peer_header_bytes > left())
            fail(std::string(what) + " count " + std::to_string(n) + " does not fit the " + std::to_string(left()) +
                 " bytes left");
        std::vector<peer> out;
        out.reserve(n);
        for (std::size_t i = 0; i < n; ++i) out.push_back(get_peer(what));
        return out;
    }
    [[noreturn]] void fail(const std::string& reason) const {
        throw codec_error("malformed chord message at byte " + std::to_string(_at) + ": " + reason);
    }

private:
    void need(std::size_t n, const char* what) const {
        if (n > left()) fail(std::string("truncated ") + what);
    }

    std::string_view _in;
    const codec_limits& _limits;
    std::size_t _at = 0;
};

} // namespace

std::string encode(const message& m) {
    std::string out;
    out.reserve(encoded_header_bytes + m.from.address.size() + m.to.size() +
                (m.candidates.size() + m.successors.size() + 2) * (peer_header_bytes + 32));
    put_u8(out, codec_version);
    put_u8(out, static_cast<std::uint8_t>(m.type));
    std::uint8_t flags = 0;
    if (m.done) flags |= flag_done;
    if (m.final) flags |= flag_final;
    if (m.node) flags |= flag_node;
    if (m.origin) flags |= flag_origin;
    put_u8(out, flags);
    put_u8(out, static_cast<std::uint8_t>(m.failure));
    put_peer(out, m.from);
    put_address(out, m.to);
    put_le(out, m.rpc_id);
    put_le(out, m.request_id);
    put_id(out, m.key);
    put_le(out, m.hops);
    if (m.node) put_peer(out, *m.node);
    if (m.origin) put_peer(out, *m.origin);
    for (const auto* list : {&m.candidates, &m.successors}) {
        put_le(out, length16(list->size(), "peer list"));
        for (const auto& p : *list) put_peer(out, p);
    }
    return out;
}

message decode_message(std::string_view bytes, const codec_limits& limits) {
    reader r(bytes, limits);
    if (bytes.size() > limits.message_bytes_max)
        r.fail("message of " + std::to_string(bytes.size()) + " bytes exceeds the limit of " +
               std::to_string(limits.message_bytes_max));
    if (auto v = r.u8("version"); v != codec_version) r.fail("unknown version " + std::to_string(v));
    auto type = r.u8("type");
    if (type >= message_type_count) r.fail("unknown message type " + std::to_string(type));
    auto flags = r.u8("flags");
    if (flags & ~flags_known) r.fail("unknown flags " + std::to_string(flags));
    auto failure = r.u8("failure");
    if (failure >= errc_count) r.fail("unknown failure " + std::to_string(failure));
    message m;
    m.type = static_cast<message_type>(type);
    m.done = (flags & flag_done) != 0;
    m.final = (flags & flag_final) != 0;
    m.failure = static_cast<errc>(failure);
    m.from = r.get_peer("from");
    m.to = r.address("to");
    m.rpc_id = r.le<std::uint64_t>("rpc_id");
    m.request_id = r.le<std::uint64_t>("request_id");
    m.key = r.ring_id("key");
    m.hops = r.le<std::uint32_t>("hops");
    if (flags & flag_node) m.node = r.get_peer("node");
    if (flags & flag_origin) m.origin = r.get_peer("origin");
    m.candidates = r.peers("candidates");
    m.successors = r.peers("successors");
    if (r.left() != 0) r.fail(std::to_string(r.left()) + " trailing bytes");
    return m;
}

message decode_message(std::span<const std::byte> bytes, const codec_limits& limits) {
    return decode_message(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), limits);
}

} // namespace coronet::dht::chord
