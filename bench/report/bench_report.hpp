#pragma once
// `coronet bench … --report DIR` and `coronet bench report FILE… --out DIR`:
// a Markdown report with tables and SVG charts (gnuplot) from the JSON the
// benchmarks write. Sections: transports (latency percentiles per transport,
// throughput per workload), kv (commit latency and throughput against
// clients, sync vs async vs etcd), chord (path length against N next to
// ½·log2 N); a benchmark without a section is listed with its file.

#include <filesystem>
#include <string>
#include <vector>

namespace coronet::bench::report {

struct report_result {
    std::filesystem::path markdown; ///< DIR/report.md
    std::vector<std::filesystem::path> charts;
    std::string note; ///< why there are no charts (no gnuplot), if so
};

/// Reads each JSON file (as `coronet bench … --json` writes them) and writes
/// DIR/report.md and DIR/*.svg. Throws std::runtime_error naming a file
/// that cannot be read or parsed.
report_result write_report(const std::vector<std::filesystem::path>& json_files, const std::filesystem::path& dir);

} // namespace coronet::bench::report
