// coronet bench transports: the transport comparison (bench/transport_bench).
#include "commands.hpp"

#include "transport_bench.hpp"

#include <iostream>

namespace coronet::cli {

void add_bench_command(CLI::App& app, const global_options& g, std::function<int()>& run) {
    auto* bench = app.add_subcommand("bench", "benchmarks that compare coronet with hand-written peers");
    bench->require_subcommand(1);
    auto o = std::make_shared<coronet::bench::bench_options>();
    auto only = std::make_shared<std::vector<std::string>>();
    auto json = std::make_shared<std::string>();
    auto no_pin = std::make_shared<bool>(false);
    auto* t = bench->add_subcommand("transports", "echo over every transport vs raw epoll and liburing loops");
    t->add_flag("--quick", o->quick, "short cells, one repetition (~15 s)");
    t->add_option("--json", *json, "also write the results as JSON to this file");
    t->add_option("--only", *only, "run only these variants (comma-separated)")->delimiter(',');
    t->add_flag("--no-pin", *no_pin, "do not pin server and load generator to CPUs 1 and 0");
    t->callback([&run, o, only, json, no_pin] {
        run = [o, only, json, no_pin] {
            o->only = *only;
            if (!json->empty()) o->json_path = *json;
            o->pin_cpus = !*no_pin;
            auto variants = coronet::bench::baseline_variants();
            for (auto& v : coronet::bench::coronet_variants()) variants.push_back(std::move(v));
            return coronet::bench::run_transport_bench(variants, *o, std::cout);
        };
    });
}

} // namespace coronet::cli
