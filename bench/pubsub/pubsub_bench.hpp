#pragma once
// The pub/sub comparison: coronet's broker against redis-server (PUBLISH /
// SUBSCRIBE), nats-server and mosquitto (MQTT 3.1.1), each started by the
// benchmark on a loopback port, each driven by a small client written here
// that speaks its raw protocol; the same workloads in one run, each reported
// as a ratio to the best of the three peers.

#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace coronet::bench::pubsub_bench {

struct bench_options {
    bool quick = false;                 // small cells, one repetition (< 20 s)
    std::vector<std::string> only;      // peer names; empty = all
    std::vector<std::string> workloads; // workload names; empty = all
    std::optional<std::string> json_path;
    bool pin_cpus = true; // broker on CPU 1, clients on CPU 0
};

/// Runs the comparison, prints the tables to `out` and progress to stderr.
/// Returns 0, or 1 if a cell of an installed peer failed; throws on bad options.
int run_pubsub_bench(const bench_options& o, std::ostream& out);

} // namespace coronet::bench::pubsub_bench
