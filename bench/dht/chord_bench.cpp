#include "chord_bench.hpp"

#include "report.hpp"

#include <fmt/format.h>

#include <sys/utsname.h>

#include <bit>
#include <chrono>
#include <fstream>
#include <thread>

namespace coronet::bench::chord_bench {

namespace {

std::string cpu_model() {
    std::ifstream f("/proc/cpuinfo");
    std::string line;
    // Bounded by the file: one pass over its lines.
    while (std::getline(f, line))
        if (line.rfind("model name", 0) == 0) {
            auto colon = line.find(':');
            if (colon != std::string::npos && colon + 2 <= line.size()) return line.substr(colon + 2);
        }
    return "unknown CPU";
}

/// "2 vCPU AMD EPYC, Linux 6.1.0", as the other benchmarks write it.
std::string machine_line() {
    utsname u{};
    uname(&u);
    return fmt::format("{} vCPU {}, Linux {}", std::thread::hardware_concurrency(), cpu_model(), u.release);
}

} // namespace

int run_chord_bench(const bench_options& given, std::ostream& out) {
    auto t0 = std::chrono::steady_clock::now();
    chord_report r;
    r.options = given;
    if (r.options.quick && r.options.max_nodes > 256) r.options.max_nodes = 256;
    // The sweep doubles from 16: a power of two, at least 16.
    r.options.max_nodes = std::bit_floor(std::max<std::size_t>(16, r.options.max_nodes));
    const auto& o = r.options;
    const sim_options model;
    r.machine = machine_line();
    out << fmt::format("coronet bench chord: the Chord paper's simulations (Stoica et al., IEEE/ACM ToN 2003) on "
                       "coronet's Chord core\n"
                       "  discrete-event simulation, {} ms ticks, one-way latency per node pair uniform in "
                       "[{}, {}] ms, {}-bit ids, r = {}\n"
                       "  seed {}, N up to {}{}; {}\n",
                       model.tick_us / 1000, model.latency.min_ms, model.latency.max_ms, chord::id::bits_max,
                       model.successors, o.seed, o.max_nodes, o.quick ? " (--quick)" : "", r.machine);
    out.flush();
    r.paths = run_path_length(o);
    print_paths(r.paths, out);
    out.flush();
    r.load = run_load_balance(o);
    print_load(r.load, out);
    out.flush();
    r.failures = run_failures(o);
    print_failures(r.failures, out);
    out.flush();
    r.churn = run_churn(o);
    print_churn(r.churn, out);
    print_styles(r.paths, out);
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    out << fmt::format("\nwhole run: {:.1f} s\n", r.seconds);
    out.flush();
    if (!o.json_path.empty()) {
        std::ofstream f(o.json_path);
        write_json(r, f);
        if (!f) {
            out << "could not write " << o.json_path << "\n";
            return 1;
        }
    }
    // A ring that never settled makes every table above suspect.
    bool settled = r.failures.build.converged && r.churn.build.converged;
    for (const auto& p : r.paths.points) settled = settled && p.build.converged;
    if (!settled) out << "some rings never settled: see the notes in the tables\n";
    return settled ? 0 : 1;
}

} // namespace coronet::bench::chord_bench
