#pragma once
// How much CPU other processes used while a cell ran: the whole machine's
// busy time (/proc/stat) minus this process's and its broker child's.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <vector>

namespace coronet::bench::pubsub_bench {

struct cpu_sample {
    std::chrono::steady_clock::time_point at;
    std::uint64_t machine_ticks = 0; ///< user + nice + system + irq + softirq, all CPUs
    std::uint64_t own_ticks = 0;     ///< utime + stime of this process and of `pids`
};

cpu_sample sample_cpu(const std::vector<pid_t>& pids);

/// Average number of CPUs other processes kept busy between two samples.
double foreign_cpus(const cpu_sample& before, const cpu_sample& after);

} // namespace coronet::bench::pubsub_bench
