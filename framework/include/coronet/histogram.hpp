#pragma once
// A latency histogram: bounded memory, bounded relative error.

#include <array>
#include <cstdint>
#include <limits>

namespace coronet {

class histogram {
    // Log-linear buckets in the manner of HdrHistogram: values below 128 are
    // exact; above, each power of two is split into 64 buckets, so a reported
    // percentile is within 1/64 (1.6%) of the true value. Values are unitless
    // (coronet records nanoseconds) up to value_max (2^42 - 1, ~73 minutes in
    // ns); larger values count in the last bucket. 2,368 buckets, ~19 KiB.
    //
    // Single writer: record() from one thread; merge() snapshots from others.
public:
    static constexpr std::uint64_t value_max = (std::uint64_t{1} << 42) - 1;

    void record(std::uint64_t value) { record_n(value, 1); }
    void record_n(std::uint64_t value, std::uint64_t n);

    std::uint64_t count() const { return _count; }
    std::uint64_t min() const { return _count ? _min : 0; }
    std::uint64_t max() const { return _max; }
    double mean() const { return _count ? static_cast<double>(_sum) / static_cast<double>(_count) : 0.0; }
    /// The value at or below which `p` percent of recorded values fall
    /// (p in [0, 100]); 0 when empty.
    double percentile(double p) const;
    double p50() const { return percentile(50); }
    double p99() const { return percentile(99); }
    double p999() const { return percentile(99.9); }

    void merge(const histogram& other);
    void reset() { *this = histogram{}; }

private:
    static constexpr unsigned sub_bits = 7;
    static constexpr std::uint64_t sub_count = 1u << sub_bits; // exact below this
    static constexpr std::uint64_t half = sub_count / 2;
    static constexpr std::size_t bucket_count = sub_count + (42 - sub_bits) * half;

    static std::size_t index_of(std::uint64_t v);
    /// The largest value that maps to bucket `i`.
    static std::uint64_t upper_bound_of(std::size_t i);

    std::array<std::uint64_t, bucket_count> _buckets{};
    std::uint64_t _count = 0;
    std::uint64_t _sum = 0;
    std::uint64_t _min = std::numeric_limits<std::uint64_t>::max();
    std::uint64_t _max = 0;
};

} // namespace coronet
