#pragma once
// The RPC comparison: coronet's Cap'n Proto RPC, the reference implementation
// (capnp 0.9 EzRpc), gRPC (if it was found at build time) and a raw TCP floor,
// on the same echo workloads in one run, each reported as a ratio to the peer
// it should be compared with.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace coronet::bench::rpc_bench {

enum class workload_kind {
    sequential,  ///< one call at a time, 64 B: p50/p99 latency
    inflight,    ///< 128 calls in flight on one connection, 64 B: calls/s
    bulk,        ///< one call at a time, 1 MiB: MB/s
    blocking,    ///< coronet's *_blocking client from a plain thread, 64 B: p50
    allocations, ///< one call at a time, 64 B: heap allocations per call
};

/// Where each side runs and how long a cell lasts.
struct cell_spec {
    workload_kind kind = workload_kind::sequential;
    std::size_t payload_bytes = 64;
    int inflight = 1;
    std::chrono::milliseconds warmup{100};  ///< not measured
    std::chrono::milliseconds measure{1000}; ///< the measured window...
    std::uint64_t calls_max = 1'000'000;     ///< ...or this many calls, whichever ends first
    int server_cpu = -1;                     ///< pin the server's thread(s) here (-1: unpinned)
    int client_cpu = -1;                     ///< and the client's
};

struct cell_result {
    std::uint64_t calls = 0; ///< calls completed in the measured window
    double seconds = 0;      ///< length of the measured window
    double calls_per_sec = 0;
    double mb_per_sec = 0; ///< echoed payload, one direction, 10^6 bytes per second
    double p50_us = 0, p99_us = 0;
    // allocations workload, per call, every thread: operator new calls; C
    // allocator calls (operator new's included) and their bytes, split by side
    double news_per_call = -1;
    double allocs_per_call = -1, alloc_bytes_per_call = -1;
    double client_allocs_per_call = -1, server_allocs_per_call = -1, other_allocs_per_call = -1;
    // coronet only, from rpc::connection_counters over the whole cell (warm-up included)
    double client_writes_per_call = -1, server_writes_per_call = -1;
    double client_reads_per_call = -1, server_reads_per_call = -1;
    /// CPUs' worth of time other processes used while the cell ran (set by the driver).
    double foreign_cpu = 0;
};

struct peer {
    std::string name;
    /// "coronet", "peer" (what coronet is compared with) or "floor" (raw TCP).
    std::string role;
    /// Empty if built; else why not (the table prints "not built").
    std::string not_built;
    std::vector<workload_kind> supports;
    std::function<cell_result(const cell_spec&)> run;
};

/// The peers, in table order; each *_peer.cpp builds one.
peer raw_tcp_peer();
peer capnp_peer();
peer grpc_peer();
std::vector<peer> coronet_peers(); // coronet-tcp, coronet-uring

struct bench_options {
    bool quick = false;              // short cells, one repetition (< 10 s)
    std::vector<std::string> only;   // peer names; empty = all
    std::vector<std::string> workloads; // workload names; empty = all
    std::optional<std::string> json_path;
    bool pin_cpus = true;            // server on CPU 1, client on CPU 0
};

std::vector<peer> all_peers();

/// Runs the comparison, prints the tables to `out` and progress to stderr;
/// returns 0, or throws if a server or client fails.
int run_rpc_bench(const std::vector<peer>& peers, const bench_options& o, std::ostream& out);

} // namespace coronet::bench::rpc_bench
