#include "measure.hpp"

#include <pthread.h>
#include <sched.h>

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <thread>

namespace coronet::bench::rpc_bench {

void pin_this_thread(int cpu) {
    if (cpu < 0 || std::thread::hardware_concurrency() < 2) return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set); // best effort
}

cpu_sample sample_cpu() {
    cpu_sample s;
    s.at = clock::now();
    {
        std::ifstream f("/proc/stat");
        std::string cpu;
        // user nice system idle iowait irq softirq: a process's own time in
        // interrupts can be charged to it and to irq/softirq at once, so
        // those count as busy too.
        std::uint64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0;
        f >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq;
        s.machine_ticks = user + nice + system + irq + softirq;
    }
    {
        std::ifstream f("/proc/self/stat");
        std::string line;
        std::getline(f, line);
        // Fields after the command name (which may hold spaces): state is
        // field 3, utime and stime are fields 14 and 15.
        std::istringstream rest(line.substr(line.rfind(')') + 2));
        std::string field;
        std::uint64_t utime = 0, stime = 0;
        for (int i = 3; i <= 15 && rest >> field; ++i) {
            if (i == 14) utime = std::stoull(field);
            if (i == 15) stime = std::stoull(field);
        }
        s.self_ticks = utime + stime;
    }
    return s;
}

double foreign_cpus(const cpu_sample& before, const cpu_sample& after) {
    double seconds = std::chrono::duration<double>(after.at - before.at).count();
    if (seconds <= 0) return 0;
    auto machine = static_cast<double>(after.machine_ticks - before.machine_ticks);
    auto self = static_cast<double>(after.self_ticks - before.self_ticks);
    return std::max(0.0, (machine - self) / static_cast<double>(::sysconf(_SC_CLK_TCK)) / seconds);
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
    r.news_per_call = c.total_news() / n;
    r.allocs_per_call = c.total_allocs() / n;
    r.alloc_bytes_per_call = c.total_bytes() / n;
    r.other_allocs_per_call = c.allocs[static_cast<int>(alloc::role::other)] / n;
    r.client_allocs_per_call = c.allocs[static_cast<int>(alloc::role::client)] / n;
    r.server_allocs_per_call = c.allocs[static_cast<int>(alloc::role::server)] / n;
    return r;
}

} // namespace coronet::bench::rpc_bench
