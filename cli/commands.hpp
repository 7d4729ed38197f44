#pragma once
// Each subcommand registers itself on the CLI11 app and runs when chosen.

#include <CLI/CLI.hpp>

#include <functional>
#include <string>

namespace coronet::cli {

struct global_options {
    std::string log_level = "info";
};

/// Registers `echo serve|ping`; `run` is set to the chosen action.
void add_echo_command(CLI::App& app, const global_options& g, std::function<int()>& run);
/// Registers `bench transports` and `bench rpc`.
void add_bench_command(CLI::App& app, const global_options& g, std::function<int()>& run);
/// Registers `broker serve|pub|sub`.
void add_broker_command(CLI::App& app, const global_options& g, std::function<int()>& run);
/// Registers `kv serve|cluster|get|put|del|list|status`.
void add_kv_command(CLI::App& app, const global_options& g, std::function<int()>& run);
/// coronet dht serve|ring|get|put|del|lookup|status (dht_command.cpp).
void add_dht_command(CLI::App& app, const global_options& g, std::function<int()>& run);
/// Registers `demo`, the README's main job.
void add_demo_command(CLI::App& app, const global_options& g, std::function<int()>& run);

} // namespace coronet::cli
