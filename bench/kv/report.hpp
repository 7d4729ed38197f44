#pragma once
// The results of one run, as the tables (throughput and latency per cell
// with the ratio to etcd, failover times, the targets) and as JSON.

#include "failover.hpp"
#include "put_load.hpp"

#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace coronet::bench::kv_bench {

struct system_info {
    std::string name, version, not_runnable, fsync_note;
};

struct cell {
    std::string system;
    unsigned clients = 0;
    std::optional<load_result> result; ///< empty: failed (error says why)
    std::string error;
    double foreign_cpus = 0; ///< CPUs other processes kept busy meanwhile
    double load_cpus = 0;    ///< CPUs the load generator (this process) used meanwhile
    std::uint64_t elections = 0; ///< Raft term changes during the cell (a leader lost)
};

struct failovers {
    std::string system;
    failover_result result;
};

struct report {
    std::string machine;   ///< CPUs, model, kernel
    std::string storage;   ///< where the members' data went, and its file system
    double cell_seconds = 0;
    std::vector<unsigned> clients;
    unsigned failover_rounds = 0;
    bool fsync = true;
    bool quick = false;
    std::vector<system_info> systems;
    std::vector<cell> cells;
    std::vector<failovers> failover_runs;
};

/// "2 vCPU AMD EPYC, Linux 6.1.0".
std::string machine_line();
/// The file system under `dir` ("ext4", "tmpfs: fsync does nothing there").
std::string storage_line(const std::string& dir);

/// Nearest-rank percentile of `v` (0 when empty).
double percentile(std::vector<double> v, double p);

void print_report(const report& r, std::ostream& out);
void write_json(const report& r, std::ostream& out);

} // namespace coronet::bench::kv_bench
