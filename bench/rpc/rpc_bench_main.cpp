// coronet-bench-rpc: the RPC comparison as a standalone program (the same as
// `coronet bench rpc`).
#include "rpc_bench.hpp"

#include <CLI/CLI.hpp>

#include <iostream>

int main(int argc, char** argv) {
    namespace rb = coronet::bench::rpc_bench;
    CLI::App app{"coronet's Cap'n Proto RPC vs capnp EzRpc, gRPC and a raw TCP floor"};
    rb::bench_options o;
    std::string json;
    bool no_pin = false;
    app.add_flag("--quick", o.quick, "short cells, one repetition (< 10 s)");
    app.add_option("--json", json, "also write the results as JSON to this file");
    app.add_option("--only", o.only, "run only these peers (comma-separated)")->delimiter(',');
    app.add_option("--workloads", o.workloads,
                   "run only these workloads (comma-separated: seq-64B, inflight-128, bulk-1MiB, blocking-64B, "
                   "allocs-64B)")
        ->delimiter(',');
    app.add_flag("--no-pin", no_pin, "do not pin server and client to CPUs 1 and 0");
    CLI11_PARSE(app, argc, argv);
    if (!json.empty()) o.json_path = json;
    o.pin_cpus = !no_pin;
    try {
        return rb::run_rpc_bench(rb::all_peers(), o, std::cout);
    } catch (const std::exception& e) {
        std::cerr << "coronet-bench-rpc: " << e.what() << "\n";
        return 1;
    }
}
