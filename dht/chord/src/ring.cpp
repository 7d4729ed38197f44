#include <coronet/dht/chord/ring.hpp>

#include <stdexcept>
#include <string>

namespace coronet::dht::chord {

ring::ring(unsigned bits) : _bits(bits) {
    if (bits == 0 || bits > id::bits_max)
        throw std::invalid_argument("chord ring: id bits must be in [1, 160], not " + std::to_string(bits));
}

id ring::finger_start(const id& n, unsigned i) const {
    if (i >= _bits)
        throw std::out_of_range("chord ring: finger " + std::to_string(i) + " on a ring of " +
                                std::to_string(_bits) + " bits");
    return add(n, id::pow2(i));
}

id ring::last() const { return (id{} - id{1}).low_bits(_bits); }

bool in_open(const id& x, const id& a, const id& b) {
    if (a < b) return a < x && x < b;
    // a >= b: the interval wraps past 2^m - 1 (or, for a == b, is the whole
    // circle without a).
    return x > a || x < b;
}

bool in_half_open(const id& x, const id& a, const id& b) {
    if (a < b) return a < x && x <= b;
    return x > a || x <= b;
}

} // namespace coronet::dht::chord
