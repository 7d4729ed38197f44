#pragma once
// `coronet sim …`: experiments on the simulated network (transports/sim).

#include "commands.hpp"

namespace coronet::cli {

/// Registers `sim broadcast`: flooding vs a spanning tree on each topology.
void add_sim_command(CLI::App& app, const global_options& g, std::function<int()>& run);

} // namespace coronet::cli
