#pragma once
// `coronet sim …`: experiments on the simulated network (transports/sim).

#include "commands.hpp"

#include <ostream>
#include <string>
#include <vector>

namespace coronet::cli {

/// Registers `sim broadcast` (flooding vs a spanning tree on each topology)
/// and `sim raft`.
void add_sim_command(CLI::App& app, const global_options& g, std::function<int()>& run);
/// Registers `sim raft`: Raft election time vs timeout randomization
/// (sim_raft_command.cpp).
void add_sim_raft_command(CLI::App& sim, std::function<int()>& run);

using table = std::vector<std::vector<std::string>>;
/// Columns padded to their widest cell; text left, numbers right. As
/// Markdown, with pipes and the alignment row.
void print_table(const table& t, bool markdown, std::ostream& out);

} // namespace coronet::cli
