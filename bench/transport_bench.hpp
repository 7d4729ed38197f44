#pragma once
// The transport comparison: every server variant on the same workloads, in one
// run, each reported as a ratio to the variant it should be compared with.

#include "echo_server_handle.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace coronet::bench {

struct server_variant {
    std::string name;
    /// The variant this one is compared to (empty for a hand-written baseline):
    /// coronet transports name their raw loop, deadline variants name the plain
    /// transport, so ratios chain.
    std::string baseline;
    std::function<std::unique_ptr<running_server>(bool busy_poll)> start;
    bool supports_busy_poll = true;
};

struct bench_options {
    bool quick = false;                    // short cells, one repetition
    std::vector<std::string> only;         // variant names; empty = all
    std::optional<std::string> json_path;
    bool pin_cpus = true;                  // server on CPU 1, load generator on CPU 0
};

/// `epoll-raw` and `uring-raw`.
std::vector<server_variant> baseline_variants();
/// coronet's echo server on tcp:// and uring://, with and without deadlines.
std::vector<server_variant> coronet_variants();

/// Runs the comparison, prints tables to `out` and progress to stderr;
/// returns 0, or throws if a server or the load generator fails.
int run_transport_bench(const std::vector<server_variant>& variants, const bench_options& o, std::ostream& out);

} // namespace coronet::bench
