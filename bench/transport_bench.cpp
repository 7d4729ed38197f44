#include "transport_bench.hpp"

#include "baseline/epoll_echo_server.hpp"
#include "baseline/uring_echo_server.hpp"
#include "load/echo_load.hpp"

#include <boost/json.hpp>
#include <fmt/chrono.h>
#include <fmt/format.h>

#include <pthread.h>
#include <sched.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <map>
#include <thread>

namespace coronet::bench {

namespace {

using namespace std::chrono_literals;

struct cell {
    std::string variant, workload, baseline;
    load_result result;
    bool latency = false; // the metric is p50 round trip (lower is better)
    double metric() const { return latency ? result.p50_us : result.ops_per_sec; }
};

void pin(int cpu) {
    if (std::thread::hardware_concurrency() < 2) return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set); // best effort
}

void unpin() {
    cpu_set_t set;
    CPU_ZERO(&set);
    for (unsigned i = 0; i < std::thread::hardware_concurrency(); ++i) CPU_SET(i, &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

std::vector<workload> workloads(bool quick) {
    auto d = quick ? 250ms : 1000ms;
    return {
        {"pingpong", 1, 1, 64, d, false},
        {"pingpong-busy", 1, 1, 64, d, true},
        {"64x1", 64, 1, 64, d, false},
        {"64x16", 64, 16, 64, d, false},
        {"64x16KiB", 64, 2, 16 * 1024, d, false},
    };
}

load_result run_cell(const server_variant& v, const workload& w, bool pin_cpus) {
    // A thread inherits its creator's CPU mask: start the server while pinned to
    // CPU 1, then move the load generator (this thread) to CPU 0.
    if (pin_cpus) pin(1);
    auto server = v.start(w.busy_poll);
    if (pin_cpus) pin(0);
    auto r = run_echo_load(server->port(), w);
    server->stop();
    if (pin_cpus) unpin();
    return r;
}

std::string ratio(const cell& c, const std::map<std::pair<std::string, std::string>, cell>& all) {
    if (c.baseline.empty()) return "baseline";
    auto it = all.find({c.baseline, c.workload});
    if (it == all.end() || it->second.metric() <= 0) return "-";
    return fmt::format("{:.2f}× {}", c.metric() / it->second.metric(), c.baseline);
}

std::string machine_line() {
    utsname u{};
    uname(&u);
    return fmt::format("{} vCPU, Linux {}", std::thread::hardware_concurrency(), u.release);
}

} // namespace

std::vector<server_variant> baseline_variants() {
    return {
        {"epoll-raw", "", [](bool busy) { return start_epoll_echo(busy); }, true},
        {"uring-raw", "", [](bool busy) { return start_uring_echo(busy); }, true},
    };
}

int run_transport_bench(const std::vector<server_variant>& variants, const bench_options& o, std::ostream& out) {
    std::vector<const server_variant*> chosen;
    for (auto& v : variants)
        if (o.only.empty() || std::find(o.only.begin(), o.only.end(), v.name) != o.only.end()) chosen.push_back(&v);
    if (chosen.empty()) throw std::invalid_argument("bench transports: --only matched no variant");

    auto ws = workloads(o.quick);
    int repetitions = o.quick ? 1 : 3;
    std::size_t total = 0, step = 0;
    for (auto& w : ws)
        for (auto* v : chosen) total += (w.busy_poll && !v->supports_busy_poll) ? 0 : 1;

    std::map<std::pair<std::string, std::string>, cell> cells;
    std::vector<cell> order;
    for (auto& w : ws) {
        for (auto* v : chosen) {
            if (w.busy_poll && !v->supports_busy_poll) continue;
            std::cerr << fmt::format("[{}/{}] {} {}\n", ++step, total, v->name, w.name);
            std::vector<load_result> runs;
            for (int i = 0; i < repetitions; ++i) runs.push_back(run_cell(*v, w, o.pin_cpus));
            bool latency = w.inflight == 1 && w.connections == 1;
            std::sort(runs.begin(), runs.end(), [&](auto& a, auto& b) {
                return latency ? a.p50_us < b.p50_us : a.ops_per_sec < b.ops_per_sec;
            });
            cell c{v->name, w.name, v->baseline, runs[runs.size() / 2], latency};
            cells[{c.variant, c.workload}] = c;
            order.push_back(c);
        }
    }

    out << fmt::format("\ncoronet transport benchmark ({}; {}, median of {} run(s) of {} ms per cell)\n",
                       machine_line(), o.pin_cpus ? "server on CPU 1, load on CPU 0" : "unpinned", repetitions,
                       ws.front().duration.count());
    for (auto& w : ws) {
        bool latency = w.connections == 1;
        bool bytes = w.message_bytes >= 1024;
        out << fmt::format("\n{}: {} conn × {} in flight, {} B {}\n", w.name, w.connections, w.inflight,
                           w.message_bytes, w.busy_poll ? "(server and client busy-poll)" : "");
        out << fmt::format("  {:<18} {:>14} {:>10} {:>10}   {}\n", "variant",
                           latency ? "round trips/s" : (bytes ? "GB/s" : "msgs/s"), latency ? "p50 µs" : "",
                           latency ? "p99 µs" : "", latency ? "p50 vs (lower is better)" : "vs (higher is better)");
        for (auto& c : order) {
            if (c.workload != w.name) continue;
            auto value = bytes ? fmt::format("{:.2f}", c.result.bytes_per_sec / 1e9)
                               : fmt::format("{:.0f}", c.result.ops_per_sec);
            out << fmt::format("  {:<18} {:>14} {:>10} {:>10}   {}\n", c.variant, value,
                               latency ? fmt::format("{:.1f}", c.result.p50_us) : "",
                               latency ? fmt::format("{:.1f}", c.result.p99_us) : "", ratio(c, cells));
        }
    }
    out.flush();

    if (o.json_path) {
        boost::json::array rows;
        for (auto& c : order) {
            boost::json::object row{{"variant", c.variant},       {"workload", c.workload},
                                    {"baseline", c.baseline},     {"ops", c.result.ops},
                                    {"ops_per_sec", c.result.ops_per_sec},
                                    {"bytes_per_sec", c.result.bytes_per_sec},
                                    {"p50_us", c.result.p50_us},  {"p99_us", c.result.p99_us}};
            if (auto it = cells.find({c.baseline, c.workload}); it != cells.end() && it->second.metric() > 0)
                row["ratio_to_baseline"] = c.metric() / it->second.metric();
            rows.push_back(std::move(row));
        }
        boost::json::object doc{{"benchmark", "transports"},
                                {"machine", machine_line()},
                                {"quick", o.quick},
                                {"repetitions", repetitions},
                                {"pinned", o.pin_cpus},
                                {"cells", std::move(rows)}};
        std::ofstream f(*o.json_path);
        if (!f) throw std::runtime_error("cannot write " + *o.json_path);
        f << boost::json::serialize(doc) << "\n";
        out << "\nJSON written to " << *o.json_path << "\n";
    }
    return 0;
}

} // namespace coronet::bench
