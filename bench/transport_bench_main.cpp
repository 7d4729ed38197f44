// coronet-bench-transports: the transport comparison as a standalone program
// (the same as `coronet bench transports`).
#include "transport_bench.hpp"

#include <CLI/CLI.hpp>

#include <iostream>

int main(int argc, char** argv) {
    CLI::App app{"echo over every coronet transport vs hand-written epoll and liburing loops"};
    coronet::bench::bench_options o;
    std::string json;
    bool no_pin = false;
    app.add_flag("--quick", o.quick, "short cells, one repetition");
    app.add_option("--json", json, "also write results as JSON");
    app.add_option("--only", o.only, "variants to run (comma-separated)")->delimiter(',');
    app.add_flag("--no-pin", no_pin, "do not pin server and load generator to CPUs");
    CLI11_PARSE(app, argc, argv);
    if (!json.empty()) o.json_path = json;
    o.pin_cpus = !no_pin;
    try {
        auto variants = coronet::bench::baseline_variants();
        for (auto& v : coronet::bench::coronet_variants()) variants.push_back(std::move(v));
        return coronet::bench::run_transport_bench(variants, o, std::cout);
    } catch (const std::exception& e) {
        std::cerr << "coronet-bench-transports: " << e.what() << "\n";
        return 1;
    }
}
