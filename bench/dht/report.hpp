#pragma once
// The tables of `coronet bench chord`, the paper's figures beside ours, and
// the JSON of a whole run.

#include "chord_bench.hpp"

#include <ostream>

namespace coronet::bench::chord_bench {

void print_paths(const path_result& r, std::ostream& out);
void print_load(const load_result& r, std::ostream& out);
void print_failures(const failure_result& r, std::ostream& out);
void print_churn(const churn_result& r, std::ostream& out);
void print_styles(const path_result& r, std::ostream& out);
void write_json(const chord_report& r, std::ostream& out);

} // namespace coronet::bench::chord_bench
