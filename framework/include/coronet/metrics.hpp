#pragma once
// Counters, gauges and latency histograms in a registry owned by whoever makes
// it: main() creates one and hands `metrics_registry&` to the components that
// report. There is no global registry (STYLE.md: no singletons).

#include <coronet/histogram.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
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
// Label name -> value. Order does not matter: {a, b} and {b, a} name the same
// series. Names match [a-zA-Z_][a-zA-Z0-9_]* and do not start with "__"
// (reserved by Prometheus); values are any text and are escaped on output.

enum class metric_kind { counter, gauge, histogram };

class counter {
    // A monotonic count. Lock-free and safe from any thread; relaxed ordering,
    // because a counter publishes nothing else: readers want a number, not a
    // happens-before edge.
public:
    void inc(std::uint64_t n = 1) { _value.fetch_add(n, std::memory_order_relaxed); }
    std::uint64_t value() const { return _value.load(std::memory_order_relaxed); }

private:
    std::atomic<std::uint64_t> _value{0};
};

class gauge {
    // A value that goes up and down (connections open, queue depth). Lock-free
    // and safe from any thread; relaxed, as for counter.
public:
    void set(std::int64_t v) { _value.store(v, std::memory_order_relaxed); }
    void add(std::int64_t delta) { _value.fetch_add(delta, std::memory_order_relaxed); }
    void inc() { add(1); }
    void dec() { add(-1); }
    std::int64_t value() const { return _value.load(std::memory_order_relaxed); }

private:
    std::atomic<std::int64_t> _value{0};
};

class histogram_metric {
    // A coronet::histogram behind a mutex, safe from any thread.
    //
    // Why a mutex and not per-thread shards: each coronet object belongs to one
    // executor, so a given histogram_metric is recorded from one thread nearly
    // always, and there an uncontended lock/unlock pair takes a record from ~3
    // to ~9 ns (bench/micro/histogram_bench.cpp). Shards would cost 18.5 KiB per
    // thread per metric and need a thread -> shard map, i.e. thread-local global
    // state. Where even the lock is too much (a per-message hot loop), record
    // into a plain histogram owned by the executor and merge() it in from time
    // to time: sharding, but explicit and owned.
public:
    void record(std::uint64_t value) { record_n(value, 1); }
    void record_n(std::uint64_t value, std::uint64_t n) {
        std::lock_guard lock(_mutex);
        _histogram.record_n(value, n);
    }
    void merge(const histogram& other) {
        // `other` must not be written concurrently (histogram's thread rules).
        std::lock_guard lock(_mutex);
        _histogram.merge(other);
    }
    histogram snapshot() const {
        // A copy (18.5 KiB) taken under the lock, so reporting computes its
        // percentiles without holding up the recorders.
        std::lock_guard lock(_mutex);
        return _histogram;
    }

private:
    mutable std::mutex _mutex;
    histogram _histogram; // guarded by _mutex
};

struct histogram_summary {
    std::uint64_t count = 0;
    std::uint64_t sum = 0;
    std::uint64_t min = 0;
    std::uint64_t max = 0;
    double p50 = 0;
    double p99 = 0;
    double p999 = 0;
    // All 0 when count == 0.
};

struct metric_snapshot {
    // One series (a name plus one label set) at the moment snapshot() ran: plain
    // data for JSON writers and tests.
    std::string name;
    // As registered, without the "_total" that Prometheus output adds to counters.
    std::string help;
    metric_kind kind = metric_kind::counter;
    metric_labels labels; // sorted by label name
    std::uint64_t counter_value = 0; // kind == counter
    std::int64_t gauge_value = 0;    // kind == gauge
    histogram_summary summary;       // kind == histogram
};

class metrics_registry {
    // Registration and reporting take one mutex; they are rare (start-up and
    // scrapes). Updating a metric never touches the registry: callers keep the
    // returned reference and update it directly.
    //
    // Ownership: the registry owns every metric; a returned reference stays
    // valid, at the same address, until the registry is destroyed (metrics are
    // never removed). So the registry must outlive every component that holds
    // one of its references.
public:
    metrics_registry() = default;
    metrics_registry(const metrics_registry&) = delete;
    metrics_registry& operator=(const metrics_registry&) = delete;

    coronet::counter& counter(std::string_view name, std::string_view help, const metric_labels& labels = {});
    coronet::gauge& gauge(std::string_view name, std::string_view help, const metric_labels& labels = {});
    histogram_metric& histogram(std::string_view name, std::string_view help, const metric_labels& labels = {});
    // Find-or-create: the same name and label set always return the same
    // object. Thread-safe.
    //
    // Throws std::invalid_argument, naming the offender, when: the name does not
    // match [a-zA-Z_:][a-zA-Z0-9_:]*; a label name is invalid, reserved ("__"
    // prefix, or "quantile" on a histogram) or repeated; the name is already
    // registered as another kind or with other help text; or its output lines
    // would clash with another metric's (a counter "x" is written as "x_total",
    // a histogram "x" also as "x_sum" and "x_count").
    //
    // A counter name may be given with or without its "_total" suffix; both
    // name the same counter.

    void observe_counter(std::string_view name, std::string_view help, const metric_labels& labels,
                         std::function<std::uint64_t()> read);
    void observe_gauge(std::string_view name, std::string_view help, const metric_labels& labels,
                       std::function<std::int64_t()> read);
    // A series whose value is read by calling `read` at every snapshot() and
    // write_prometheus(), for state a component counts already (Raft's term,
    // a broker's drop counters): exporting it needs no second count kept in
    // step with the first (Prometheus clients call these CounterFunc and
    // GaugeFunc). `read` runs on the scraping thread with the registry locked,
    // so it must be safe there and must not call the registry; a component
    // bound to one executor is scraped from that executor. Whatever `read`
    // captures must outlive the registry or its last scrape.
    //
    // Throws std::invalid_argument as counter() does, and also if the series
    // (name and label set) exists already, observed or not.

    std::vector<metric_snapshot> snapshot() const;
    // Every series, ordered by name, then by label set.

    void write_prometheus(std::ostream& out) const;
    // The Prometheus text exposition format, version 0.0.4 (serve it as
    // "text/plain; version=0.0.4"). Counters are written as <name>_total;
    // histograms as summaries: quantiles 0.5, 0.99 and 0.999 (in the recorded
    // unit, NaN when empty, as Prometheus clients write them), then _sum and
    // _count. Values are read one by one, so the output is not an atomic cut
    // across metrics.

private:
    struct series {
        metric_labels labels; // sorted by name
        // Exactly one of these is set, matching the family's kind.
        std::unique_ptr<coronet::counter> counter;
        std::unique_ptr<coronet::gauge> gauge;
        std::unique_ptr<histogram_metric> histogram;
        // Set instead of counter or gauge for an observed series.
        std::function<std::uint64_t()> read_counter;
        std::function<std::int64_t()> read_gauge;
    };
    struct family {
        metric_kind kind;
        std::string help;
        std::map<std::string, series> series_by_labels; // key: rendered, canonical label set
    };
    series& find_or_add(std::string_view name, std::string_view help, metric_kind kind, const metric_labels& labels,
                        bool observed = false);
    // \pre _mutex is held. An observed series is added without a metric
    // object, and only if it is new.

    mutable std::mutex _mutex;
    std::map<std::string, family, std::less<>> _families;      // guarded by _mutex
    std::map<std::string, std::string, std::less<>> _line_names; // output name -> family; guarded by _mutex
};

} // namespace coronet
