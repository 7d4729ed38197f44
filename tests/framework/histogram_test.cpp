#include <coronet/histogram.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <vector>

using coronet::histogram;

namespace {

double exact_percentile(std::vector<std::uint64_t> v, double p) {
    std::sort(v.begin(), v.end());
    auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
    return static_cast<double>(v[std::max<std::size_t>(rank, 1) - 1]);
}

} // namespace

TEST_CASE("histogram percentiles stay within 1/64 of the exact value", "[histogram]") {
    std::mt19937_64 rng(42);
    std::vector<std::vector<std::uint64_t>> datasets(3);
    std::uniform_int_distribution<std::uint64_t> uniform(0, 1'000'000);
    std::lognormal_distribution<double> lognormal(10.0, 1.5);
    for (int i = 0; i < 20000; ++i) {
        datasets[0].push_back(uniform(rng));
        datasets[1].push_back(static_cast<std::uint64_t>(lognormal(rng)));
        datasets[2].push_back(static_cast<std::uint64_t>(i % 7 == 0 ? 5'000'000 : 50'000));
    }
    for (auto& data : datasets) {
        histogram h;
        for (auto v : data) h.record(v);
        for (double p : {1.0, 50.0, 90.0, 99.0, 99.9, 100.0}) {
            auto exact = exact_percentile(data, p);
            INFO("p" << p << " exact " << exact << " got " << h.percentile(p));
            CHECK(std::abs(h.percentile(p) - exact) <= exact / 64.0 + 1);
        }
    }
}

TEST_CASE("histogram values below 128 are recorded exactly", "[histogram]") {
    histogram h;
    for (std::uint64_t v = 0; v < 128; ++v) h.record(v);
    CHECK(h.percentile(50) == 63);
    CHECK(h.min() == 0);
    CHECK(h.max() == 127);
    CHECK(h.count() == 128);
    CHECK(h.mean() == Approx(63.5));
}

TEST_CASE("merging histograms equals recording into one", "[histogram]") {
    histogram a, b, both;
    for (std::uint64_t v = 1; v < 100000; v += 37) {
        (v % 2 ? a : b).record(v);
        both.record(v);
    }
    a.merge(b);
    CHECK(a.count() == both.count());
    CHECK(a.min() == both.min());
    CHECK(a.max() == both.max());
    for (double p : {10.0, 50.0, 99.0}) CHECK(a.percentile(p) == both.percentile(p));
}

TEST_CASE("an empty histogram reports zeros and huge values are clamped, not lost", "[histogram]") {
    histogram h;
    CHECK(h.percentile(99) == 0);
    CHECK(h.count() == 0);
    h.record(std::numeric_limits<std::uint64_t>::max());
    CHECK(h.count() == 1);
    CHECK(h.percentile(50) > 0);
    h.reset();
    CHECK(h.count() == 0);
}
