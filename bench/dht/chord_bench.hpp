#pragma once
// `coronet bench chord`: the Chord paper's simulation results reproduced on
// coronet's Chord core (docs/dht-experiment.md).

#include "experiments.hpp"

#include <ostream>

namespace coronet::bench::chord_bench {

struct chord_report {
    bench_options options;
    std::string machine;
    path_result paths;
    load_result load;
    failure_result failures;
    churn_result churn;
    double seconds = 0;
};

/// Runs every experiment, prints the tables to `out` as each finishes, and
/// writes the JSON if asked. Returns the process exit code.
int run_chord_bench(const bench_options& o, std::ostream& out);

} // namespace coronet::bench::chord_bench
