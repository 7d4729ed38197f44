#include <coronet/histogram.hpp>

#include <algorithm>
#include <bit>
#include <cmath>

namespace coronet {

std::size_t histogram::index_of(std::uint64_t v) {
    if (v < exact_below) return static_cast<std::size_t>(v);
    // v has bit_width(v) significant bits; keeping the top sub_bucket_bits + 1
    // of them (the leading 1 and 6 below it) names the bucket within its power
    // of two, and `shift` names the power of two.
    auto shift = static_cast<unsigned>(std::bit_width(v)) - (sub_bucket_bits + 1); // >= 1
    auto mantissa = v >> shift;                                                      // in [64, 128)
    return static_cast<std::size_t>(exact_below + (shift - 1) * sub_buckets + (mantissa - sub_buckets));
}

std::uint64_t histogram::highest_value_of(std::size_t i) {
    if (i < exact_below) return i;
    auto rel = i - exact_below;
    auto shift = static_cast<unsigned>(rel / sub_buckets) + 1;
    auto mantissa = sub_buckets + rel % sub_buckets;
    return ((mantissa + 1) << shift) - 1;
}

void histogram::record_n(std::uint64_t value, std::uint64_t n) {
    if (n == 0) return;
    value = std::min(value, value_max);
    _buckets[index_of(value)] += n;
    _count += n;
    _sum += value * n;
    _min = std::min(_min, value);
    _max = std::max(_max, value);
}

double histogram::percentile(double p) const {
    if (_count == 0) return 0;
    if (!(p > 0)) p = 0; // also catches NaN
    p = std::min(p, 100.0);
    // Nearest rank, 1-based: the ceil(p% of count)-th smallest value. A few
    // ulps are shaved off first so that 99.9% of 1000 is rank 999 and not 1000
    // because 99.9 / 100 * 1000 comes out as 999.0000000000001.
    auto exact_rank = p / 100.0 * static_cast<double>(_count);
    auto rank = static_cast<std::uint64_t>(
        std::ceil(exact_rank * (1 - 8 * std::numeric_limits<double>::epsilon())));
    rank = std::clamp<std::uint64_t>(rank, 1, _count);
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < bucket_count; ++i) {
        seen += _buckets[i];
        if (seen >= rank) return static_cast<double>(std::clamp(highest_value_of(i), _min, _max));
    }
    return static_cast<double>(_max); // unreachable: the buckets sum to _count
}

void histogram::merge(const histogram& other) {
    for (std::size_t i = 0; i < bucket_count; ++i) _buckets[i] += other._buckets[i];
    _count += other._count;
    _sum += other._sum;
    _min = std::min(_min, other._min);
    _max = std::max(_max, other._max);
}

void histogram::reset() {
    _buckets.fill(0);
    _count = 0;
    _sum = 0;
    _min = std::numeric_limits<std::uint64_t>::max();
    _max = 0;
}

} // namespace coronet
