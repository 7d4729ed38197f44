#pragma once
// `coronet kv workload` (concurrent clients that record a history) and
// `coronet kv check` (is that history linearizable?).

#include "commands.hpp"

namespace coronet::cli {

void add_kv_workload(CLI::App& kv, const global_options& g, std::function<int()>& run);

} // namespace coronet::cli
