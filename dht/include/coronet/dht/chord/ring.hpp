#pragma once
// The identifier circle of m bits: ids are integers modulo 2^m, and "between"
// means walking clockwise (towards larger ids, wrapping from 2^m - 1 to 0).
//
// Chord (Stoica et al., "Chord: A Scalable Peer-to-peer Lookup Protocol for
// Internet Applications", IEEE/ACM ToN 2003) uses m = 160 with SHA-1;
// small m (6 or 8) makes rings a person can draw, for teaching and tests.

#include <coronet/dht/chord/id.hpp>

namespace coronet::dht::chord {

class ring {
public:
    /// A ring of 2^bits ids. Throws std::invalid_argument unless
    /// 1 <= bits <= 160.
    explicit ring(unsigned bits = id::bits_max);

    unsigned bits() const { return _bits; }

    /// True if `x` is an id of this ring (x < 2^m). Ids that arrive from the
    /// network are checked with this before anything else uses them.
    bool contains(const id& x) const { return x.bit_width() <= _bits; }

    /// (a + b) mod 2^m, for a and b on this ring.
    id add(const id& a, const id& b) const { return (a + b).low_bits(_bits); }

    /// How far clockwise `to` lies from `from`: (to - from) mod 2^m.
    id distance(const id& from, const id& to) const { return (to - from).low_bits(_bits); }

    /// Where finger i of node n starts: (n + 2^i) mod 2^m, for 0 <= i < m
    /// (the paper's finger[i+1].start with 0-based i). Throws
    /// std::out_of_range if i >= m.
    id finger_start(const id& n, unsigned i) const;

    /// The largest id, 2^m - 1.
    id last() const;

    friend bool operator==(const ring&, const ring&) = default;

private:
    unsigned _bits;
};

// Intervals on the circle, walking clockwise from a to b. They do not depend
// on m as long as all three ids are on the same ring. When a == b the
// interval goes once round the whole circle, which is what Chord needs for a
// node that is alone (its own successor): every other id lies between it and
// itself.

/// x in (a, b): strictly between. With a == b: every id but a.
bool in_open(const id& x, const id& a, const id& b);

/// x in (a, b]: the interval a key's owner b is responsible for when a is its
/// predecessor. With a == b: every id.
bool in_half_open(const id& x, const id& a, const id& b);

} // namespace coronet::dht::chord
