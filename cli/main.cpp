// coronet: one command for everything a user runs.
#include "child_process.hpp"
#include "commands.hpp"
#include "sim_command.hpp"

#include <iostream>
#include <string_view>

int main(int argc, char** argv) {
    coronet::cli::die_with_parent();
    CLI::App app{"coronet: a C++20 coroutine networking framework (demo, echo, broker, kv, dht, bench, sim)"};
    app.require_subcommand(1);
    coronet::cli::global_options g;
    app.add_option("--log-level", g.log_level, "trace|debug|info|warn|error|off")->capture_default_str();
    app.set_config("--config", "", "read options from a TOML/INI file");
    std::function<int()> run;
    coronet::cli::add_demo_command(app, g, run);
    coronet::cli::add_echo_command(app, g, run);
    coronet::cli::add_broker_command(app, g, run);
    coronet::cli::add_kv_command(app, g, run);
    coronet::cli::add_dht_command(app, g, run);
    coronet::cli::add_bench_command(app, g, run);
    coronet::cli::add_sim_command(app, g, run);
    // CLI11 would only say that a subcommand is required: name the bad word.
    for (int i = 1; i < argc; ++i) {
        std::string_view word = argv[i];
        if (word.starts_with("-")) {
            if (word == "--log-level" || word == "--config") ++i; // skip its value
            continue;
        }
        bool known = false;
        for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; }))
            known = known || sub->check_name(std::string(word));
        if (!known) {
            std::cerr << "coronet: unknown subcommand '" << word << "' (coronet --help lists them)\n";
            return 2;
        }
        break;
    }
    CLI11_PARSE(app, argc, argv);
    try {
        return run ? run() : 0;
    } catch (const std::exception& e) {
        std::cerr << "coronet: error: " << e.what() << "\n";
        return 1;
    }
}
