#include <coronet/histogram.hpp>

#include <algorithm>
#include <bit>
#include <cmath>

namespace coronet {

std::size_t histogram::index_of(std::uint64_t v) {
    v = std::min(v, value_max);
    if (v < sub_count) return static_cast<std::size_t>(v);
    auto shift = static_cast<unsigned>(std::bit_width(v)) - sub_bits; // >= 1
    return static_cast<std::size_t>(sub_count + (shift - 1) * half + ((v >> shift) - half));
}

std::uint64_t histogram::upper_bound_of(std::size_t i) {
    if (i < sub_count) return i;
    auto rel = i - sub_count;
    auto shift = static_cast<unsigned>(rel / half) + 1;
    auto mantissa = half + rel % half;
    return ((mantissa + 1) << shift) - 1;
}

void histogram::record_n(std::uint64_t value, std::uint64_t n) {
    if (n == 0) return;
    _buckets[index_of(value)] += n;
    _count += n;
    _sum += std::min(value, value_max) * n;
    _min = std::min(_min, value);
    _max = std::max(_max, value);
}

double histogram::percentile(double p) const {
    if (_count == 0) return 0;
    p = std::clamp(p, 0.0, 100.0);
    auto rank = static_cast<std::uint64_t>(std::ceil(p / 100.0 * static_cast<double>(_count)));
    rank = std::max<std::uint64_t>(rank, 1);
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < bucket_count; ++i) {
        seen += _buckets[i];
        if (seen >= rank)
            return static_cast<double>(std::clamp(upper_bound_of(i), min(), _max));
    }
    return static_cast<double>(_max);
}

void histogram::merge(const histogram& other) {
    for (std::size_t i = 0; i < bucket_count; ++i) _buckets[i] += other._buckets[i];
    _count += other._count;
    _sum += other._sum;
    _min = std::min(_min, other._min);
    _max = std::max(_max, other._max);
}

} // namespace coronet
