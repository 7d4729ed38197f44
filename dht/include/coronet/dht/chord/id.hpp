#pragma once
// A point on the Chord ring: an unsigned integer of up to 160 bits, the width
// of a SHA-1 digest. Arithmetic here is exact modulo 2^160; ring.hpp narrows
// it to the ring's m bits. Three 64-bit limbs rather than a byte array so that
// comparison and addition are a few instructions, and no big-integer library
// is needed for the one width Chord uses.

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace coronet::dht::chord {

class id {
public:
    static constexpr unsigned bits_max = 160;
    static constexpr std::size_t bytes = bits_max / 8;

    constexpr id() = default;
    constexpr explicit id(std::uint64_t value) : _limbs{value, 0, 0} {}

    /// 2^i; throws std::out_of_range unless i < bits_max.
    static id pow2(unsigned i);

    /// From 20 bytes, most significant first (the order of a SHA-1 digest).
    static id from_bytes(std::span<const std::uint8_t, bytes> big_endian);
    std::array<std::uint8_t, bytes> to_bytes() const;

    /// From 1 to 40 hex digits (either case, no prefix); empty if the text is
    /// anything else.
    static std::optional<id> from_hex(std::string_view hex);
    /// The shortest hex form ("0" for zero): small-m ids stay readable in logs.
    std::string to_hex() const;

    /// Sum and difference modulo 2^160.
    friend id operator+(const id& a, const id& b);
    friend id operator-(const id& a, const id& b);

    /// This value modulo 2^bits (bits <= bits_max).
    id low_bits(unsigned bits) const;
    /// This value shifted right by `n` bits (n <= bits_max).
    id shifted_right(unsigned n) const;
    /// The number of bits needed to write it: 0 for zero, 160 for 2^159.
    unsigned bit_width() const;
    bool bit(unsigned i) const;
    /// The low 64 bits, for tests and small rings.
    std::uint64_t low64() const { return _limbs[0]; }

    // Written out limb by limb: ids are compared on every routing step, and
    // tests run unoptimized builds.
    friend bool operator==(const id& a, const id& b) {
        return a._limbs[0] == b._limbs[0] && a._limbs[1] == b._limbs[1] && a._limbs[2] == b._limbs[2];
    }
    friend std::strong_ordering operator<=>(const id& a, const id& b) {
        if (a._limbs[2] != b._limbs[2]) return a._limbs[2] <=> b._limbs[2];
        if (a._limbs[1] != b._limbs[1]) return a._limbs[1] <=> b._limbs[1];
        return a._limbs[0] <=> b._limbs[0];
    }

private:
    static constexpr std::size_t limbs = 3;
    /// Least significant limb first. Invariant: _limbs[2] < 2^32, so the
    /// value is below 2^160.
    std::uint64_t _limbs[limbs] = {};
};

} // namespace coronet::dht::chord
