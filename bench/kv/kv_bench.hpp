#pragma once
// The replicated KV comparison (`coronet bench kv`): a 3-node coronet KV
// cluster, in both replication modes, against a 3-member etcd cluster, each
// started as child processes on loopback and driven over HTTP/1.1 + JSON
// (coronet's API, etcd's gRPC gateway) by one asynchronous load generator;
// then leader failovers timed on each.

#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace coronet::bench::kv_bench {

struct bench_options {
    std::optional<double> seconds;        ///< measured seconds per cell (default 5; --quick 1)
    std::vector<unsigned> clients{1, 16, 256};
    std::optional<unsigned> failovers;    ///< rounds per system (default 5; --quick 2)
    bool fsync = true;                    ///< both systems fsync their logs
    std::vector<std::string> only;        ///< "coronet", "etcd"; empty = both
    bool quick = false;
    std::optional<std::string> json_path;

    double cell_seconds() const { return seconds ? *seconds : quick ? 1.0 : 5.0; }
    unsigned failover_rounds() const { return failovers ? *failovers : quick ? 2 : 5; }
};

/// Runs the comparison, prints the tables to `out` and progress to stderr.
/// Returns 0, or 1 if a cell or a failover round of a system that could run
/// failed; throws on bad options.
int run_kv_bench(const bench_options& o, std::ostream& out);

} // namespace coronet::bench::kv_bench
