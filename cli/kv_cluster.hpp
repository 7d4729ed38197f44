#pragma once
// `coronet kv cluster`: a local replicated KV cluster, one process per node.

#include "commands.hpp"

namespace coronet::cli {

void add_kv_cluster(CLI::App& kv, const global_options& g, std::function<int()>& run);

} // namespace coronet::cli
