#include <coronet/dht/chord/id.hpp>

#include <bit>
#include <stdexcept>

namespace coronet::dht::chord {
namespace {

constexpr std::uint64_t top_limb_mask = 0xffff'ffffull; // 160 - 2 * 64 = 32 bits

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

} // namespace

id id::pow2(unsigned i) {
    if (i >= bits_max) throw std::out_of_range("chord id: 2^" + std::to_string(i) + " is not below 2^160");
    id r;
    r._limbs[i / 64] = std::uint64_t{1} << (i % 64);
    return r;
}

id id::from_bytes(std::span<const std::uint8_t, bytes> big_endian) {
    id r;
    for (std::size_t i = 0; i < bytes; ++i) {
        auto bit = (bytes - 1 - i) * 8; // position of this byte's lowest bit
        r._limbs[bit / 64] |= std::uint64_t{big_endian[i]} << (bit % 64);
    }
    return r;
}

std::array<std::uint8_t, id::bytes> id::to_bytes() const {
    std::array<std::uint8_t, bytes> out{};
    for (std::size_t i = 0; i < bytes; ++i) {
        auto bit = (bytes - 1 - i) * 8;
        out[i] = static_cast<std::uint8_t>(_limbs[bit / 64] >> (bit % 64));
    }
    return out;
}

std::optional<id> id::from_hex(std::string_view hex) {
    if (hex.empty() || hex.size() > bits_max / 4) return std::nullopt;
    id r;
    for (std::size_t i = 0; i < hex.size(); ++i) {
        auto v = hex_value(hex[i]);
        if (v < 0) return std::nullopt;
        auto bit = (hex.size() - 1 - i) * 4;
        r._limbs[bit / 64] |= std::uint64_t(v) << (bit % 64);
    }
    return r;
}

std::string id::to_hex() const {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (unsigned nibble = bits_max / 4; nibble-- > 0;) {
        auto bit = nibble * 4;
        auto v = (_limbs[bit / 64] >> (bit % 64)) & 0xf;
        if (out.empty() && v == 0) continue;
        out.push_back(digits[v]);
    }
    return out.empty() ? "0" : out;
}

id operator+(const id& a, const id& b) {
    id r;
    std::uint64_t carry = 0;
    for (std::size_t i = 0; i < id::limbs; ++i) {
        auto s = a._limbs[i] + b._limbs[i];
        auto c1 = s < a._limbs[i] ? 1u : 0u;
        r._limbs[i] = s + carry;
        auto c2 = r._limbs[i] < s ? 1u : 0u;
        carry = c1 + c2;
    }
    r._limbs[2] &= top_limb_mask; // the carry out of bit 159 is the modulus
    return r;
}

id operator-(const id& a, const id& b) {
    id r;
    std::uint64_t borrow = 0;
    for (std::size_t i = 0; i < id::limbs; ++i) {
        auto d = a._limbs[i] - b._limbs[i];
        auto b1 = a._limbs[i] < b._limbs[i] ? 1u : 0u;
        r._limbs[i] = d - borrow;
        auto b2 = d < borrow ? 1u : 0u;
        borrow = b1 + b2;
    }
    r._limbs[2] &= top_limb_mask; // a borrow wraps modulo 2^160
    return r;
}

id id::low_bits(unsigned n) const {
    if (n >= bits_max) return *this;
    id r = *this;
    for (std::size_t i = 0; i < limbs; ++i) {
        auto first = static_cast<unsigned>(i * 64);
        if (n <= first) r._limbs[i] = 0;
        else if (n < first + 64) r._limbs[i] &= (std::uint64_t{1} << (n - first)) - 1;
    }
    return r;
}

id id::shifted_right(unsigned n) const {
    if (n >= bits_max) return id{};
    id r;
    auto whole = n / 64;
    auto part = n % 64;
    for (std::size_t i = 0; i + whole < limbs; ++i) {
        auto lo = _limbs[i + whole] >> part;
        auto hi = (part != 0 && i + whole + 1 < limbs) ? _limbs[i + whole + 1] << (64 - part) : 0;
        r._limbs[i] = lo | hi;
    }
    return r;
}

unsigned id::bit_width() const {
    for (std::size_t i = limbs; i-- > 0;) {
        if (_limbs[i] != 0) return static_cast<unsigned>(i * 64 + std::bit_width(_limbs[i]));
    }
    return 0;
}

bool id::bit(unsigned i) const {
    if (i >= bits_max) return false;
    return ((_limbs[i / 64] >> (i % 64)) & 1) != 0;
}

} // namespace coronet::dht::chord
