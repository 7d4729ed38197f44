#include "latency_model.hpp"

#include <algorithm>

namespace coronet::bench::chord_bench {

namespace {

std::uint64_t mix(std::uint64_t z) {
    z += 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

} // namespace

std::uint64_t latency_model::one_way_us(std::uint32_t a, std::uint32_t b) const {
    // At least 1 µs, so every message lands strictly after it was sent.
    if (building) return std::max<std::uint64_t>(1, static_cast<std::uint64_t>(build_ms * 1000));
    auto lo = std::min(a, b), hi = std::max(a, b);
    auto h = mix(seed ^ mix((std::uint64_t{lo} << 32) | hi));
    double u = static_cast<double>(h >> 11) * 0x1.0p-53;
    return std::max<std::uint64_t>(1, static_cast<std::uint64_t>((min_ms + (max_ms - min_ms) * u) * 1000));
}

} // namespace coronet::bench::chord_bench
