#include "cpu_usage.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>

namespace coronet::bench::pubsub_bench {

namespace {

/// utime + stime from /proc/<pid>/stat (fields 14 and 15), 0 if it is gone.
std::uint64_t process_ticks(const std::string& stat_path) {
    std::ifstream f(stat_path);
    std::string line;
    if (!std::getline(f, line)) return 0;
    auto close = line.rfind(')'); // the command name may hold spaces
    if (close == std::string::npos || close + 2 > line.size()) return 0;
    std::istringstream rest(line.substr(close + 2));
    std::string field;
    std::uint64_t utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
        if (i == 14) utime = std::stoull(field);
        if (i == 15) stime = std::stoull(field);
    }
    return utime + stime;
}

} // namespace

cpu_sample sample_cpu(const std::vector<pid_t>& pids) {
    cpu_sample s;
    s.at = std::chrono::steady_clock::now();
    std::ifstream f("/proc/stat");
    std::string cpu;
    std::uint64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0;
    f >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq;
    s.machine_ticks = user + nice + system + irq + softirq;
    s.own_ticks = process_ticks("/proc/self/stat");
    for (auto pid : pids) s.own_ticks += process_ticks(fmt::format("/proc/{}/stat", pid));
    return s;
}

double foreign_cpus(const cpu_sample& before, const cpu_sample& after) {
    double seconds = std::chrono::duration<double>(after.at - before.at).count();
    if (seconds <= 0) return 0;
    auto machine = static_cast<double>(after.machine_ticks - before.machine_ticks);
    auto own = static_cast<double>(after.own_ticks - before.own_ticks);
    return std::max(0.0, (machine - own) / static_cast<double>(::sysconf(_SC_CLK_TCK)) / seconds);
}

} // namespace coronet::bench::pubsub_bench
