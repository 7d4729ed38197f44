#pragma once
// Little-endian fixed-width fields and length-prefixed strings, read with a
// bound check before every access: the KV store's commands, results and
// snapshots all come from the network or a disk.

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>

namespace coronet::consensus::kv::detail {

inline void put_u64(std::string& out, std::uint64_t v) {
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}
inline void put_u8(std::string& out, std::uint8_t v) { out.push_back(static_cast<char>(v)); }
inline void put_string(std::string& out, std::string_view s) {
    put_u64(out, s.size());
    out.append(s);
}

class reader {
public:
    explicit reader(std::string_view in) : _in(in) {}
    std::uint8_t u8() { return static_cast<std::uint8_t>(take(1)[0]); }
    std::uint64_t u64() {
        auto b = take(8);
        std::uint64_t v = 0;
        for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<std::uint8_t>(b[i]);
        return v;
    }
    /// A string of at most `max` bytes; the length is checked before it is used.
    std::string_view string(std::size_t max, const char* what) {
        auto n = u64();
        if (n > max) throw std::invalid_argument(std::string(what) + " of " + std::to_string(n) + " bytes exceeds " + std::to_string(max));
        return take(n);
    }
    bool done() const { return _in.empty(); }
    void expect_done(const char* what) const {
        if (!_in.empty()) throw std::invalid_argument(std::string(what) + ": trailing bytes");
    }

private:
    std::string_view take(std::size_t n) {
        if (n > _in.size()) throw std::invalid_argument("truncated");
        auto s = _in.substr(0, n);
        _in.remove_prefix(n);
        return s;
    }
    std::string_view _in;
};

} // namespace coronet::consensus::kv::detail
