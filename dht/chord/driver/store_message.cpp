#include <coronet/dht/chord/store_message.hpp>

#include <limits>

namespace coronet::dht::chord {

std::string_view to_string(store_op op) {
    switch (op) {
    case store_op::put: return "put";
    case store_op::get: return "get";
    case store_op::del: return "del";
    case store_op::reply: return "reply";
    case store_op::replicate: return "replicate";
    case store_op::successor_probe: return "successor probe";
    }
    return "unknown";
}

std::string_view to_string(store_status s) {
    switch (s) {
    case store_status::ok: return "ok";
    case store_status::not_found: return "not found";
    case store_status::not_owner: return "not the owner";
    case store_status::invalid: return "invalid";
    }
    return "unknown";
}

namespace {

template <class T>
void put_le(std::string& out, T v) {
    for (std::size_t i = 0; i < sizeof(T); ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

class reader {
public:
    explicit reader(std::string_view b) : _b(b) {}
    template <class T>
    T le(const char* what) {
        need(sizeof(T), what);
        T v = 0;
        for (std::size_t i = 0; i < sizeof(T); ++i)
            v |= static_cast<T>(static_cast<std::uint8_t>(_b[_at + i])) << (8 * i);
        _at += sizeof(T);
        return v;
    }
    std::string bytes(std::size_t n, const char* what) {
        need(n, what);
        std::string s(_b.substr(_at, n));
        _at += n;
        return s;
    }
    std::size_t left() const { return _b.size() - _at; }

private:
    void need(std::size_t n, const char* what) {
        if (n > left()) throw codec_error(std::string("store message truncated in ") + what);
    }
    std::string_view _b;
    std::size_t _at = 0;
};

} // namespace

std::size_t encoded_size(const store_entry& e) { return 2 + e.key.size() + 1 + (e.value ? 4 + e.value->size() : 0) + 8; }

std::string encode(const store_message& m) {
    if (m.entries.size() > std::numeric_limits<std::uint16_t>::max()) throw codec_error("too many entries");
    std::string out;
    std::size_t size = store_header_bytes;
    for (const auto& e : m.entries) size += encoded_size(e);
    out.reserve(size);
    out.push_back(static_cast<char>(store_magic));
    out.push_back(static_cast<char>(m.op));
    out.push_back(static_cast<char>(m.status));
    put_le<std::uint64_t>(out, m.rpc_id);
    put_le<std::uint16_t>(out, static_cast<std::uint16_t>(m.entries.size()));
    for (const auto& e : m.entries) {
        if (e.key.size() > std::numeric_limits<std::uint16_t>::max()) throw codec_error("key too long");
        if (e.value && e.value->size() > std::numeric_limits<std::uint32_t>::max()) throw codec_error("value too long");
        put_le<std::uint16_t>(out, static_cast<std::uint16_t>(e.key.size()));
        out += e.key;
        out.push_back(e.value ? 1 : 0);
        if (e.value) {
            put_le<std::uint32_t>(out, static_cast<std::uint32_t>(e.value->size()));
            out += *e.value;
        }
        put_le<std::uint64_t>(out, e.version);
    }
    return out;
}

store_message decode_store_message(std::string_view bytes, const store_limits& limits) {
    reader r(bytes);
    if (r.le<std::uint8_t>("magic") != store_magic) throw codec_error("not a store message");
    store_message m;
    auto op = r.le<std::uint8_t>("op");
    if (op < 1 || op > 6) throw codec_error("unknown store op " + std::to_string(op));
    m.op = static_cast<store_op>(op);
    auto status = r.le<std::uint8_t>("status");
    if (status > 3) throw codec_error("unknown store status " + std::to_string(status));
    m.status = static_cast<store_status>(status);
    m.rpc_id = r.le<std::uint64_t>("rpc id");
    auto count = r.le<std::uint16_t>("entry count");
    if (count > limits.entries_max) throw codec_error("too many entries: " + std::to_string(count));
    // Each entry takes at least 11 bytes: a lying count fails here, before
    // anything is reserved for it.
    if (std::size_t{count} * 11 > r.left()) throw codec_error("entry count exceeds the message");
    m.entries.reserve(count);
    for (std::uint16_t i = 0; i < count; ++i) {
        store_entry e;
        auto key_len = r.le<std::uint16_t>("key length");
        if (key_len > limits.key_bytes_max) throw codec_error("key over " + std::to_string(limits.key_bytes_max) + " bytes");
        e.key = r.bytes(key_len, "key");
        auto has_value = r.le<std::uint8_t>("value flag");
        if (has_value > 1) throw codec_error("bad value flag");
        if (has_value) {
            auto len = r.le<std::uint32_t>("value length");
            if (len > limits.value_bytes_max)
                throw codec_error("value over " + std::to_string(limits.value_bytes_max) + " bytes");
            e.value = r.bytes(len, "value");
        }
        e.version = r.le<std::uint64_t>("version");
        m.entries.push_back(std::move(e));
    }
    if (r.left() != 0) throw codec_error("trailing bytes after a store message");
    return m;
}

} // namespace coronet::dht::chord
