#include <coronet/histogram.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

using coronet::histogram;

namespace {

// The percentiles checked, in parts per thousand so the exact rank below is
// integer arithmetic, independent of the floating-point rounding in histogram.
constexpr std::uint64_t per_mille[] = {0, 1, 10, 250, 500, 900, 990, 999, 1000};

// Nearest rank: the ceil(p * n)-th smallest value (1-based), at least the first.
std::uint64_t exact_percentile(const std::vector<std::uint64_t>& sorted, std::uint64_t p_per_mille) {
    auto rank = (p_per_mille * sorted.size() + 999) / 1000;
    return sorted[std::max<std::uint64_t>(rank, 1) - 1];
}

histogram record_all(const std::vector<std::uint64_t>& values) {
    histogram h;
    for (auto v : values) h.record(v);
    return h;
}

void check_error_bound(std::vector<std::uint64_t> values) {
    auto h = record_all(values);
    std::sort(values.begin(), values.end());
    for (auto p : per_mille) {
        auto exact = static_cast<double>(exact_percentile(values, p));
        auto got = h.percentile(static_cast<double>(p) / 10.0);
        INFO("p" << static_cast<double>(p) / 10.0 << ": exact " << exact << ", reported " << got);
        CHECK(got >= exact); // never flatters
        CHECK(got - exact <= exact * histogram::relative_error_max);
    }
}

} // namespace

TEST_CASE("histogram percentiles stay within the stated relative error", "[histogram]") {
    std::mt19937_64 rng(20240601);
    const int n = 50'000;
    std::vector<std::pair<std::string, std::vector<std::uint64_t>>> distributions;
    auto add = [&](std::string name, auto draw) {
        std::vector<std::uint64_t> v;
        for (int i = 0; i < n; ++i) v.push_back(draw(i));
        distributions.emplace_back(std::move(name), std::move(v));
    };
    std::uniform_int_distribution<std::uint64_t> uniform(0, 1'000'000);
    std::lognormal_distribution<double> lognormal(10.0, 1.5); // ~22 µs median, long tail
    std::exponential_distribution<double> exponential(1.0 / 50'000);
    std::uniform_real_distribution<double> exponent(0, 41.7); // log-uniform over 1 ns .. an hour
    add("uniform", [&](int) { return uniform(rng); });
    add("lognormal", [&](int) { return static_cast<std::uint64_t>(lognormal(rng)); });
    add("exponential", [&](int) { return static_cast<std::uint64_t>(exponential(rng)); });
    add("bimodal", [&](int i) { return i % 7 == 0 ? std::uint64_t{5'000'123} : std::uint64_t{50'077} + i % 13; });
    add("log-uniform", [&](int) { return static_cast<std::uint64_t>(std::exp2(exponent(rng))); });
    add("small", [&](int i) { return static_cast<std::uint64_t>(i % 300); });
    for (auto& [name, values] : distributions) {
        INFO(name);
        check_error_bound(values);
    }
}

TEST_CASE("every magnitude from 1 ns to an hour keeps the error bound", "[histogram]") {
    // One value v and one far above it: p50 reports v's bucket, whatever bucket
    // that is. Stepping by 0.1% visits every bucket (they are >= 1.6% wide).
    for (double x = 1; x <= static_cast<double>(histogram::value_max); x *= 1.001) {
        auto v = static_cast<std::uint64_t>(x);
        histogram h;
        h.record(v);
        h.record(histogram::value_max);
        auto got = h.p50();
        INFO("v = " << v << ", reported " << got);
        REQUIRE(got >= static_cast<double>(v));
        REQUIRE(got - static_cast<double>(v) <= static_cast<double>(v) * histogram::relative_error_max);
    }
}

TEST_CASE("histogram values below 128 are recorded exactly", "[histogram]") {
    histogram h;
    for (std::uint64_t v = 0; v < 128; ++v) h.record(v);
    CHECK(h.percentile(50) == 63);
    CHECK(h.percentile(1) == 1);
    CHECK(h.percentile(0) == 0);
    CHECK(h.percentile(100) == 127);
    CHECK(h.min() == 0);
    CHECK(h.max() == 127);
    CHECK(h.count() == 128);
    CHECK(h.sum() == 127 * 128 / 2);
    CHECK(h.mean() == Approx(63.5));
}

TEST_CASE("merging histograms equals recording both into one", "[histogram]") {
    std::mt19937_64 rng(7);
    std::lognormal_distribution<double> slow(12.0, 1.0), fast(8.0, 0.5);
    histogram a, b, both;
    for (int i = 0; i < 20'000; ++i) {
        auto x = static_cast<std::uint64_t>(slow(rng)), y = static_cast<std::uint64_t>(fast(rng));
        a.record(x);
        b.record(y);
        both.record(x);
        both.record(y);
    }
    a.merge(b);
    CHECK(a.count() == both.count());
    CHECK(a.sum() == both.sum());
    CHECK(a.min() == both.min());
    CHECK(a.max() == both.max());
    for (double p = 0; p <= 100; p += 0.5) {
        INFO("p" << p);
        CHECK(a.percentile(p) == both.percentile(p));
    }
    CHECK(a.p999() == both.p999());

    histogram empty;
    auto before = a.p99();
    a.merge(empty); // an empty histogram's min sentinel must not leak in
    CHECK(a.min() == both.min());
    CHECK(a.p99() == before);
    empty.merge(b);
    CHECK(empty.min() == b.min());
    CHECK(empty.count() == b.count());
}

TEST_CASE("record_n counts like n separate records", "[histogram]") {
    histogram batched, one_by_one;
    batched.record_n(1000, 5);
    batched.record_n(70'000, 3);
    batched.record_n(9, 0); // a no-op, not a sample
    for (int i = 0; i < 5; ++i) one_by_one.record(1000);
    for (int i = 0; i < 3; ++i) one_by_one.record(70'000);
    CHECK(batched.count() == 8);
    CHECK(batched.min() == 1000);
    CHECK(batched.sum() == one_by_one.sum());
    for (double p : {0.0, 50.0, 62.5, 63.0, 99.0, 100.0}) CHECK(batched.percentile(p) == one_by_one.percentile(p));
}

TEST_CASE("an empty or reset histogram reports zeros, and oversized values are clamped", "[histogram]") {
    histogram h;
    CHECK(h.count() == 0);
    CHECK(h.min() == 0);
    CHECK(h.max() == 0);
    CHECK(h.mean() == 0);
    CHECK(h.p99() == 0);

    h.record(std::numeric_limits<std::uint64_t>::max());
    h.record(histogram::value_max + 12345);
    CHECK(h.count() == 2);
    CHECK(h.max() == histogram::value_max);
    CHECK(h.sum() == 2 * histogram::value_max);
    CHECK(h.percentile(50) == static_cast<double>(histogram::value_max));

    h.reset();
    CHECK(h.count() == 0);
    CHECK(h.min() == 0);
    CHECK(h.max() == 0);
    CHECK(h.p50() == 0);
    h.record(42);
    CHECK(h.min() == 42); // reset restored the min sentinel
    CHECK(h.p50() == 42);
}

TEST_CASE("percentile arguments outside [0, 100] are clamped", "[histogram]") {
    histogram h;
    for (std::uint64_t v = 1; v <= 100; ++v) h.record(v);
    CHECK(h.percentile(-5) == 1);
    CHECK(h.percentile(std::nan("")) == 1);
    CHECK(h.percentile(250) == 100);
    CHECK(h.percentile(99.9) == 100); // rank ceil(99.9) = 100
    CHECK(h.percentile(99) == 99);    // rank 99 exactly, not 100 through rounding
}
