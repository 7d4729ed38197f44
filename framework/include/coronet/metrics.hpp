#pragma once
// A metrics registry: counters, gauges and latency histograms, owned by whoever
// makes it (main() hands it to components; there is no global registry).

#include <coronet/histogram.hpp>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace coronet {

using metric_labels = std::vector<std::pair<std::string, std::string>>;

class counter {
    // Monotonic; lock-free, safe from any thread (relaxed: a counter orders nothing).
public:
    void inc(std::uint64_t n = 1) { _value.fetch_add(n, std::memory_order_relaxed); }
    std::uint64_t value() const { return _value.load(std::memory_order_relaxed); }

private:
    std::atomic<std::uint64_t> _value{0};
};

class gauge {
public:
    void set(std::int64_t v) { _value.store(v, std::memory_order_relaxed); }
    void add(std::int64_t d) { _value.fetch_add(d, std::memory_order_relaxed); }
    std::int64_t value() const { return _value.load(std::memory_order_relaxed); }

private:
    std::atomic<std::int64_t> _value{0};
};

class histogram_metric {
    // A histogram behind a mutex: recording is ~20 ns uncontended, and
    // contention is rare because each component records from its own thread.
public:
    void record(std::uint64_t value) {
        std::lock_guard lock(_mutex);
        _h.record(value);
    }
    histogram snapshot() const {
        std::lock_guard lock(_mutex);
        return _h;
    }

private:
    mutable std::mutex _mutex;
    histogram _h;
};

class metrics {
public:
    /// The same name and labels always return the same object (stable reference).
    /// Names must match [a-zA-Z_:][a-zA-Z0-9_:]* and keep one type; otherwise
    /// std::invalid_argument says what is wrong.
    coronet::counter& counter(std::string_view name, std::string_view help, const metric_labels& labels = {});
    coronet::gauge& gauge(std::string_view name, std::string_view help, const metric_labels& labels = {});
    histogram_metric& histogram(std::string_view name, std::string_view help, const metric_labels& labels = {});

    /// Prometheus text format 0.0.4. Counters get the `_total` suffix; histograms
    /// are summaries with quantiles 0.5, 0.99 and 0.999 plus _sum and _count.
    void write_prometheus(std::ostream& out) const;

private:
    enum class kind { counter, gauge, histogram };
    struct family {
        kind type;
        std::string help;
        std::map<std::string, metric_labels> label_sets; // rendered labels -> labels
        std::map<std::string, std::unique_ptr<coronet::counter>> counters;
        std::map<std::string, std::unique_ptr<coronet::gauge>> gauges;
        std::map<std::string, std::unique_ptr<histogram_metric>> histograms;
    };
    family& family_for(std::string_view name, std::string_view help, kind type);

    mutable std::mutex _mutex;
    std::map<std::string, family, std::less<>> _families;
};

} // namespace coronet
