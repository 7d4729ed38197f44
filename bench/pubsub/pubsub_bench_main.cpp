// coronet-bench-pubsub: the pub/sub comparison as a standalone program (the
// same as `coronet bench pubsub`).
#include "pubsub_bench.hpp"

#include <CLI/CLI.hpp>

#include <iostream>

int main(int argc, char** argv) {
    namespace pb = coronet::bench::pubsub_bench;
    CLI::App app{"coronet's pub/sub broker vs redis-server, nats-server and mosquitto on loopback"};
    pb::bench_options o;
    std::string json;
    bool no_pin = false;
    app.add_flag("--quick", o.quick, "small cells, one repetition (< 20 s)");
    app.add_option("--json", json, "also write the results as JSON to this file");
    app.add_option("--only", o.only, "run only these peers (comma-separated: coronet, redis, nats, mosquitto)")
        ->delimiter(',');
    app.add_option("--workloads", o.workloads, "run only these workloads (comma-separated: 1to1, fanout10, latency)")
        ->delimiter(',');
    app.add_flag("--no-pin", no_pin, "do not pin the broker and the clients to CPUs 1 and 0");
    CLI11_PARSE(app, argc, argv);
    if (!json.empty()) o.json_path = json;
    o.pin_cpus = !no_pin;
    try {
        return pb::run_pubsub_bench(o, std::cout);
    } catch (const std::exception& e) {
        std::cerr << "coronet-bench-pubsub: " << e.what() << "\n";
        return 1;
    }
}
