#pragma once
// What every peer measures the same way: the window of a cell, latencies,
// calls in flight, allocations, and where threads run.

#include "alloc_counter.hpp"
#include "rpc_bench.hpp"

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace coronet::bench::rpc_bench {

using clock = std::chrono::steady_clock;

/// Pins the calling thread to `cpu` (best effort; -1 or a 1-CPU machine: no-op).
/// Threads it starts afterwards inherit the mask.
void pin_this_thread(int cpu);

/// CPU time used by the whole machine and by this process (every thread), to
/// tell how much other processes ran meanwhile.
struct cpu_sample {
    clock::time_point at;
    std::uint64_t machine_ticks = 0; ///< user + nice + system + irq + softirq, all CPUs (/proc/stat)
    std::uint64_t self_ticks = 0;    ///< utime + stime of this process (/proc/self/stat)
};
cpu_sample sample_cpu();
/// Average number of CPUs other processes kept busy between two samples.
double foreign_cpus(const cpu_sample& before, const cpu_sample& after);

/// The payload every call sends: `bytes` of a repeating pattern.
std::vector<std::byte> make_payload(std::size_t bytes);

/// Throws if an echo came back with the wrong size.
inline void check_echo(std::size_t got, std::size_t want, const char* who) {
    if (got != want)
        throw std::runtime_error(std::string(who) + ": echo returned " + std::to_string(got) + " bytes, not " +
                                 std::to_string(want));
}

/// One call at a time: warm-up, then the measured window; every call timed.
class sequential_run {
public:
    explicit sequential_run(const cell_spec& s);
    bool warming() const { return clock::now() < _warm_end; }
    /// True while another measured call should be made.
    bool more() const { return _latencies_ns.size() < _max && clock::now() < _end; }
    void record(clock::time_point start, clock::time_point end) {
        if (_latencies_ns.empty()) _first = start;
        _last = end;
        _latencies_ns.push_back(static_cast<std::uint32_t>(
            std::min<std::int64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(end - start).count(), UINT32_MAX)));
    }
    cell_result result(std::size_t payload_bytes);

private:
    clock::time_point _warm_end, _end, _first, _last;
    std::uint64_t _max;
    std::vector<std::uint32_t> _latencies_ns; // reserved up front: no allocation while measuring
};

/// Runs `call()` (a synchronous round trip) under a sequential_run.
template <class Call>
cell_result measure_sequential(const cell_spec& s, Call&& call) {
    sequential_run run(s);
    while (run.warming()) call();
    while (run.more()) {
        auto t0 = clock::now();
        call();
        run.record(t0, clock::now());
    }
    return run.result(s.payload_bytes);
}

/// Calls in flight: lanes ask go() before each call and report each completion;
/// only completions inside the measured window count.
class inflight_run {
public:
    explicit inflight_run(const cell_spec& s);
    bool go() const { return clock::now() < _end && _counted < _max; }
    void completed() {
        auto now = clock::now();
        if (now < _start || now >= _end) return;
        ++_counted;
        _last = now;
    }
    cell_result result(std::size_t payload_bytes) const;

private:
    clock::time_point _start, _end, _last;
    std::uint64_t _max;
    std::uint64_t _counted = 0;
};

/// Allocations: `warmup_calls` calls, then `calls` counted ones.
struct allocation_plan {
    std::uint64_t warmup_calls, calls;
};
allocation_plan allocation_plan_for(const cell_spec& s);
cell_result allocation_result(const alloc::counts& c, std::uint64_t calls);

template <class Call>
cell_result measure_allocations(const cell_spec& s, Call&& call) {
    auto plan = allocation_plan_for(s);
    for (std::uint64_t i = 0; i < plan.warmup_calls; ++i) call();
    alloc::start();
    for (std::uint64_t i = 0; i < plan.calls; ++i) call();
    return allocation_result(alloc::stop(), plan.calls);
}

} // namespace coronet::bench::rpc_bench
