// The driver: for each client count, each system on a fresh cluster (so a
// cell never inherits another's data), interleaved so that drift in a noisy
// machine touches every system alike; then each system's failover rounds on
// one more fresh cluster; then the tables and the JSON.
#include "kv_bench.hpp"

#include "cluster.hpp"
#include "cpu_usage.hpp" // bench/pubsub
#include "failover.hpp"
#include "put_load.hpp"
#include "report.hpp"

#include <fmt/format.h>

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <thread>

namespace coronet::bench::kv_bench {

namespace {

using namespace std::chrono_literals;

constexpr auto healthy_max = 30s;
constexpr unsigned clients_max = 4096;
constexpr unsigned failovers_max = 100;
constexpr double seconds_max = 3600;
/// Before a cell (not in --quick), other processes must keep fewer CPUs than
/// this busy, or the cell waits for them (at most quiet_wait_max): six server
/// processes and the load share the machine already.
constexpr double quiet_cpus = 0.2;
constexpr auto quiet_wait_max = 60s;

/// Waits until other processes are quiet over a second, at most `max`; if
/// they never are, the cell runs anyway (and its row is flagged).
void wait_for_quiet(std::chrono::seconds max) {
    auto until = std::chrono::steady_clock::now() + max;
    bool told = false;
    while (std::chrono::steady_clock::now() < until) {
        auto before = pubsub_bench::sample_cpu({});
        std::this_thread::sleep_for(1s);
        auto busy = pubsub_bench::foreign_cpus(before, pubsub_bench::sample_cpu({}));
        if (busy < quiet_cpus) return;
        if (!told) std::cerr << fmt::format("  other processes keep {:.2f} CPUs busy; waiting for quiet\n", busy);
        told = true;
    }
    std::cerr << fmt::format("  still busy after {} s; running anyway\n", max.count());
}

void validate(const bench_options& o) {
    if (o.clients.empty()) throw std::invalid_argument("bench kv: --clients needs at least one count");
    for (auto c : o.clients)
        if (c == 0 || c > clients_max)
            throw std::invalid_argument(fmt::format("bench kv: --clients are 1..{}, not {}", clients_max, c));
    if (!(o.cell_seconds() > 0 && o.cell_seconds() <= seconds_max))
        throw std::invalid_argument(fmt::format("bench kv: --seconds is in (0, {}]", seconds_max));
    if (o.failover_rounds() > failovers_max)
        throw std::invalid_argument(fmt::format("bench kv: --failovers is at most {}", failovers_max));
    for (const auto& name : o.only)
        if (name != "coronet" && name != "etcd")
            throw std::invalid_argument(fmt::format("bench kv: --only takes coronet or etcd, not '{}'", name));
}

std::vector<std::unique_ptr<kv_system>> systems_of(const bench_options& o) {
    std::vector<std::unique_ptr<kv_system>> all;
    all.push_back(coronet_system(false));
    all.push_back(coronet_system(true));
    all.push_back(etcd_system(o.fsync));
    std::vector<std::unique_ptr<kv_system>> chosen;
    for (auto& s : all)
        if (o.only.empty() || std::find(o.only.begin(), o.only.end(), s->family) != o.only.end())
            chosen.push_back(std::move(s));
    return chosen;
}

/// One cell: a fresh cluster, the load on its leader, the cluster gone.
cell run_cell(const kv_system& s, bool fsync, const load_spec& spec) {
    cell c{s.name, spec.clients, {}, {}, 0, 0, 0};
    try {
        cluster members(s, fsync);
        auto leader = members.wait_healthy(healthy_max);
        auto term = members.term();
        auto before = pubsub_bench::sample_cpu(members.pids());
        auto self_before = pubsub_bench::sample_cpu({});
        c.result = run_put_load(s, members.client_port(leader), spec);
        c.foreign_cpus = pubsub_bench::foreign_cpus(before, pubsub_bench::sample_cpu(members.pids()));
        auto self_after = pubsub_bench::sample_cpu({});
        c.load_cpus = static_cast<double>(self_after.own_ticks - self_before.own_ticks) /
                      static_cast<double>(::sysconf(_SC_CLK_TCK)) /
                      std::chrono::duration<double>(self_after.at - self_before.at).count();
        c.elections = members.term() - term;
    } catch (const std::exception& e) {
        c.error = e.what();
    }
    return c;
}

failovers run_failover_rounds(const kv_system& s, bool fsync, unsigned rounds) {
    failovers f{s.name, {}};
    try {
        cluster members(s, fsync);
        failover_spec spec;
        spec.rounds = rounds;
        spec.healthy_max = healthy_max;
        f.result = run_failovers(members, s, spec);
    } catch (const std::exception& e) {
        f.result.error = e.what();
    }
    return f;
}

} // namespace

int run_kv_bench(const bench_options& o, std::ostream& out) {
    validate(o);
    auto systems = systems_of(o);
    std::ofstream json; // opened first: a bad path fails now, not after the run
    if (o.json_path) {
        json.open(*o.json_path);
        if (!json) throw std::runtime_error(fmt::format("cannot write {}", *o.json_path));
    }
    report r;
    r.machine = machine_line();
    r.storage = storage_line(std::filesystem::temp_directory_path().string());
    r.cell_seconds = o.cell_seconds();
    r.clients = o.clients;
    r.failover_rounds = o.failover_rounds();
    r.fsync = o.fsync;
    r.quick = o.quick;
    std::vector<const kv_system*> runnable;
    for (const auto& s : systems) {
        r.systems.push_back({s->name, s->version, s->not_runnable, s->fsync_note});
        if (s->not_runnable.empty())
            runnable.push_back(s.get());
        else
            std::cerr << fmt::format("bench kv: {} skipped: {}\n", s->name, s->not_runnable);
    }

    load_spec spec;
    spec.warmup = o.quick ? 200ms : 500ms;
    spec.measure = std::chrono::milliseconds(static_cast<long long>(o.cell_seconds() * 1000));
    std::size_t total = runnable.size() * (o.clients.size() + (r.failover_rounds ? 1 : 0)), step = 0;
    for (auto clients : o.clients)
        for (const auto* s : runnable) {
            std::cerr << fmt::format("[{}/{}] {} with {} client(s)\n", ++step, total, s->name, clients);
            spec.clients = clients;
            if (!o.quick) wait_for_quiet(quiet_wait_max);
            r.cells.push_back(run_cell(*s, o.fsync, spec));
            if (!r.cells.back().result) std::cerr << "  failed: " << r.cells.back().error << "\n";
        }
    if (r.failover_rounds)
        for (const auto* s : runnable) {
            std::cerr << fmt::format("[{}/{}] {} failovers\n", ++step, total, s->name);
            if (!o.quick) wait_for_quiet(quiet_wait_max);
            r.failover_runs.push_back(run_failover_rounds(*s, o.fsync, r.failover_rounds));
            if (!r.failover_runs.back().result.error.empty())
                std::cerr << "  failed: " << r.failover_runs.back().result.error << "\n";
        }

    print_report(r, out);
    if (o.json_path) {
        write_json(r, json);
        json.close();
        if (!json) throw std::runtime_error(fmt::format("cannot write {}", *o.json_path));
        out << "\nJSON written to " << *o.json_path << "\n";
    }
    bool failed = std::any_of(r.cells.begin(), r.cells.end(), [](const cell& c) { return !c.result; }) ||
                  std::any_of(r.failover_runs.begin(), r.failover_runs.end(),
                              [](const failovers& f) { return !f.result.error.empty(); });
    return failed ? 1 : 0;
}

} // namespace coronet::bench::kv_bench
