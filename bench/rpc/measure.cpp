#include "measure.hpp"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <thread>

namespace coronet::bench::rpc_bench {

void pin_this_thread(int cpu) {
    if (cpu < 0 || std::thread::hardware_concurrency() < 2) return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set); // best effort
}

std::vector<std::byte> make_payload(std::size_t bytes) {
    std::vector<std::byte> p(bytes);
    for (std::size_t i = 0; i < bytes; ++i) p[i] = static_cast<std::byte>('a' + i % 26);
    return p;
}

sequential_run::sequential_run(const cell_spec& s) : _max(s.calls_max) {
    auto now = clock::now();
    _warm_end = now + s.warmup;
    _end = _warm_end + s.measure;
    // Enough for the whole window at 1 µs per call, capped by calls_max.
    _latencies_ns.reserve(static_cast<std::size_t>(
        std::min<std::uint64_t>(_max, static_cast<std::uint64_t>(s.measure.count()) * 1000 + 1)));
}

cell_result sequential_run::result(std::size_t payload_bytes) {
    cell_result r;
    r.calls = _latencies_ns.size();
    if (r.calls == 0) return r;
    r.seconds = std::chrono::duration<double>(_last - _first).count();
    if (r.seconds > 0) {
        r.calls_per_sec = r.calls / r.seconds;
        r.mb_per_sec = r.calls_per_sec * payload_bytes / 1e6;
    }
    auto at = [&](double q) {
        auto k = static_cast<std::size_t>(q * (_latencies_ns.size() - 1));
        std::nth_element(_latencies_ns.begin(), _latencies_ns.begin() + k, _latencies_ns.end());
        return _latencies_ns[k] / 1000.0;
    };
    r.p50_us = at(0.50);
    r.p99_us = at(0.99);
    return r;
}

inflight_run::inflight_run(const cell_spec& s) : _max(s.calls_max) {
    _start = clock::now() + s.warmup;
    _end = _start + s.measure;
    _last = _start;
}

cell_result inflight_run::result(std::size_t payload_bytes) const {
    cell_result r;
    r.calls = _counted;
    r.seconds = std::chrono::duration<double>(_last - _start).count();
    if (r.seconds > 0) {
        r.calls_per_sec = r.calls / r.seconds;
        r.mb_per_sec = r.calls_per_sec * payload_bytes / 1e6;
    }
    return r;
}

allocation_plan allocation_plan_for(const cell_spec& s) {
    // The cell's calls_max is the number counted; a tenth of it warms up.
    return {std::max<std::uint64_t>(s.calls_max / 10, 100), s.calls_max};
}

cell_result allocation_result(const alloc::counts& c, std::uint64_t calls) {
    cell_result r;
    r.calls = calls;
    if (calls == 0) return r;
    double n = static_cast<double>(calls);
    r.allocs_per_call = c.total_allocs() / n;
    r.alloc_bytes_per_call = c.total_bytes() / n;
    r.other_allocs_per_call = c.allocs[static_cast<int>(alloc::role::other)] / n;
    r.client_allocs_per_call = c.allocs[static_cast<int>(alloc::role::client)] / n;
    r.server_allocs_per_call = c.allocs[static_cast<int>(alloc::role::server)] / n;
    return r;
}

} // namespace coronet::bench::rpc_bench
