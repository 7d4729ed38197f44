#pragma once
// A latency histogram: bounded memory, bounded relative error.

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>

namespace coronet {

class histogram {
    // Log-linear buckets in the manner of HdrHistogram (Gil Tene): values below
    // 128 get one bucket each, so they are exact; above that every power of two
    // [2^k, 2^(k+1)) is split into 64 equal buckets, each 2^(k-6) wide. A bucket
    // is therefore never wider than 1/64 of the smallest value in it, which is
    // the whole error bound: 1.6% relative, at every magnitude, with a fixed
    // 2,368 buckets (18.5 KiB) and no allocation.
    //
    // Values are unitless; coronet records nanoseconds. The range is 0 ..
    // value_max (2^42 - 1 ns, about 73 minutes). A larger value is recorded as
    // value_max (min, max, sum and percentiles all see the clamped value): an
    // hour-long "latency" is a failure to report, not a tail to resolve, and
    // clamping keeps memory bounded.
    //
    // Thread rules: no internal synchronisation. One thread records; any other
    // access to the same histogram (reading, merge() from it, reset()) must be
    // ordered with that thread by the caller, e.g. by running on the same
    // executor. histogram_metric (metrics.hpp) adds a mutex for cross-thread use.
public:
    static constexpr std::uint64_t value_max = (std::uint64_t{1} << 42) - 1;
    // ~73 minutes in nanoseconds.
    static constexpr double relative_error_max = 1.0 / 64;
    // |percentile(p) - exact| <= exact * relative_error_max, where exact is the
    // nearest-rank percentile of the recorded (clamped) values.

    void record(std::uint64_t value) { record_n(value, 1); }
    void record_n(std::uint64_t value, std::uint64_t n);
    // Records `value` n times (a batch of equal samples, or a weight).

    std::uint64_t count() const { return _count; }
    std::uint64_t min() const { return _count ? _min : 0; }
    std::uint64_t max() const { return _max; }
    // 0 when empty.
    std::uint64_t sum() const { return _sum; }
    // Exact sum of the recorded values. In nanoseconds a uint64 overflows after
    // 584 years of summed latency, so no wider type is needed.
    double mean() const { return _count ? static_cast<double>(_sum) / static_cast<double>(_count) : 0.0; }

    double percentile(double p) const;
    // The nearest-rank percentile: the smallest recorded value v such that at
    // least p% of the values are <= v, reported as the highest value of v's
    // bucket (clamped to [min(), max()]). So it is never below the exact value
    // and above it by at most relative_error_max; a p99 never flatters.
    // p is clamped to [0, 100] (NaN counts as 0); 0 when empty. A scan over
    // the buckets, a few hundred ns: meant for reporting, not the hot path.
    double p50() const { return percentile(50); }
    double p99() const { return percentile(99); }
    double p999() const { return percentile(99.9); }

    void merge(const histogram& other);
    // Adds other's samples, exactly as if they had been recorded here: bucket
    // layouts are identical, so merging loses nothing.
    void reset();

private:
    static constexpr unsigned sub_bucket_bits = 6; // 64 buckets per power of two: 1/64 error
    static constexpr std::uint64_t exact_below = std::uint64_t{1} << (sub_bucket_bits + 1);
    static constexpr std::uint64_t sub_buckets = std::uint64_t{1} << sub_bucket_bits;
    static constexpr std::size_t bucket_count = exact_below + (42 - (sub_bucket_bits + 1)) * sub_buckets;
    static_assert(relative_error_max == 1.0 / sub_buckets, "the advertised bound must match the bucketing");
    static_assert(value_max == (std::uint64_t{1} << 42) - 1, "bucket_count assumes 42-bit values");

    static std::size_t index_of(std::uint64_t v);
    // \pre v <= value_max.
    static std::uint64_t highest_value_of(std::size_t i);
    // The largest value that maps to bucket i.

    std::array<std::uint64_t, bucket_count> _buckets{};
    std::uint64_t _count = 0;
    std::uint64_t _sum = 0;
    std::uint64_t _min = std::numeric_limits<std::uint64_t>::max(); // max() while empty: any value is smaller
    std::uint64_t _max = 0;
};

} // namespace coronet
