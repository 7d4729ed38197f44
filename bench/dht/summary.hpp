#pragma once
// Mean and percentiles of a sample, as every table here reports them.

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

namespace coronet::bench::chord_bench {

struct summary {
    std::size_t count = 0;
    double mean = 0, p1 = 0, p50 = 0, p99 = 0, max = 0;
};

/// Nearest-rank percentiles (p1 of 100 values is the smallest).
inline summary summarize(std::vector<double> v) {
    summary s;
    s.count = v.size();
    if (v.empty()) return s;
    std::sort(v.begin(), v.end());
    auto rank = [&](double p) {
        auto r = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
        return v[r == 0 ? 0 : r - 1];
    };
    s.mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
    s.p1 = rank(1);
    s.p50 = rank(50);
    s.p99 = rank(99);
    s.max = v.back();
    return s;
}

} // namespace coronet::bench::chord_bench
