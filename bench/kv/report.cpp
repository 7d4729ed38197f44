#include "report.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include <sys/statfs.h>
#include <sys/utsname.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <thread>

namespace coronet::bench::kv_bench {

namespace {

/// Other processes using more than this many CPUs during a cell disturb it
/// (kernel threads doing the cell's own journal writes count as others too).
constexpr double disturbed_cpus = 0.2;
/// The targets for coronet (async replication) against etcd.
constexpr double throughput_ratio_min = 2.0;
constexpr double failover_p99_ms_max = 1000.0;
constexpr const char* target_system = "coronet-async";

std::string cpu_model() {
    std::ifstream f("/proc/cpuinfo");
    std::string line;
    while (std::getline(f, line))
        if (line.rfind("model name", 0) == 0) {
            auto colon = line.find(':');
            if (colon != std::string::npos) return line.substr(line.find_first_not_of(" \t", colon + 1));
        }
    return "unknown CPU";
}

std::string grouped(double v) {
    auto digits = fmt::format("{:.0f}", v);
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && digits[i - 1] != '-' && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return out;
}

/// The cell's result if it acknowledged any put (a cell without one has no
/// latencies to compare).
const load_result* result_of(const report& r, const std::string& system, unsigned clients) {
    for (const auto& c : r.cells)
        if (c.system == system && c.clients == clients && c.result && c.result->puts > 0) return &*c.result;
    return nullptr;
}

const failover_result* failovers_of(const report& r, const std::string& system) {
    for (const auto& f : r.failover_runs)
        if (f.system == system) return &f.result;
    return nullptr;
}

std::vector<double> round_ms(const failover_result& f) {
    std::vector<double> ms;
    for (const auto& round : f.rounds) ms.push_back(round.ms);
    return ms;
}

struct target {
    std::string name;
    std::string value; ///< what was measured, in words
    bool met = false;
    std::string not_comparable; ///< why the comparison means nothing (empty: it does)
    std::string verdict() const {
        if (!not_comparable.empty()) return "not comparable: " + not_comparable;
        return met ? "met" : "NOT met";
    }
};

/// Why coronet and etcd did not run under the same durability, if they did not.
std::string durability_mismatch(const report& r) {
    for (const auto& s : r.systems)
        if (!s.fsync_note.empty()) return "etcd fsyncs, coronet does not";
    return {};
}

/// The targets, for those this run measured.
std::vector<target> targets(const report& r) {
    std::vector<target> out;
    if (!r.clients.empty()) {
        unsigned clients = std::find(r.clients.begin(), r.clients.end(), 256u) != r.clients.end()
                               ? 256u
                               : *std::max_element(r.clients.begin(), r.clients.end());
        auto* c = result_of(r, target_system, clients);
        auto* e = result_of(r, "etcd", clients);
        bool ran = std::any_of(r.cells.begin(), r.cells.end(),
                               [&](const cell& x) { return x.system == target_system && x.clients == clients; });
        if (!c && ran && e)
            out.push_back({fmt::format("{} puts/s at {} clients ≥ {}× etcd's", target_system, clients,
                                       throughput_ratio_min),
                           "no put acknowledged", false, {}});
        if (c && e) {
            double ratio = c->puts_per_sec / e->puts_per_sec;
            out.push_back({fmt::format("{} puts/s at {} clients ≥ {}× etcd's", target_system, clients,
                                       throughput_ratio_min),
                           fmt::format("{:.2f}×", ratio), ratio >= throughput_ratio_min, durability_mismatch(r)});
            out.push_back({fmt::format("{} p99 at {} clients below etcd's", target_system, clients),
                           fmt::format("{:.0f} µs vs {:.0f} µs", c->p99_us, e->p99_us), c->p99_us < e->p99_us,
                           durability_mismatch(r)});
        }
    }
    if (auto* f = failovers_of(r, target_system); f && !f->rounds.empty()) {
        double p99 = percentile(round_ms(*f), 99);
        out.push_back({fmt::format("{} failover p99 < {:.0f} ms", target_system, failover_p99_ms_max),
                       fmt::format("{:.0f} ms over {} rounds{}", p99, f->rounds.size(),
                                   f->error.empty() ? "" : " (some failed)"),
                       p99 < failover_p99_ms_max && f->error.empty(), {}});
    }
    return out;
}

void print_cells(const report& r, std::ostream& out) {
    if (r.cells.empty()) return;
    out << fmt::format("\nputs: {} s per cell, closed loop (each client one put at a time, its own keep-alive "
                       "connection to the leader)\n",
                       r.cell_seconds);
    out << fmt::format("  {:<16} {:>7} {:>9} {:>9} {:>9} {:>9} {:>6} {:>9} {:>8}   {:>14} {:>11}\n", "system",
                       "clients", "puts/s", "p50 µs", "p99 µs", "max µs", "errors", "elections", "load CPU",
                       "puts/s vs etcd", "p99 vs etcd");
    bool disturbed = false;
    for (auto clients : r.clients) {
        auto* etcd = result_of(r, "etcd", clients);
        for (const auto& c : r.cells) {
            if (c.clients != clients) continue;
            if (!c.result) {
                out << fmt::format("  {:<16} {:>7} FAILED: {}\n", c.system, clients, c.error);
                continue;
            }
            const auto& x = *c.result;
            std::string name = c.system;
            if (x.puts == 0) {
                out << fmt::format("  {:<16} {:>7} {:>9}   no put acknowledged; {} errors, first: {}\n", name, clients,
                                   0, x.errors, x.first_error);
                continue;
            }
            if (c.foreign_cpus > disturbed_cpus) {
                name += " *";
                disturbed = true;
            }
            std::string vs, p99_vs;
            if (etcd && c.system != "etcd") {
                vs = fmt::format("{:.2f}×", x.puts_per_sec / etcd->puts_per_sec);
                p99_vs = fmt::format("{:.2f}×", x.p99_us / etcd->p99_us);
            }
            out << fmt::format("  {:<16} {:>7} {:>9} {:>9} {:>9} {:>9} {:>6} {:>9} {:>8.2f}   {:>14} {:>11}\n", name,
                               clients, grouped(x.puts_per_sec), grouped(x.p50_us), grouped(x.p99_us),
                               grouped(x.max_us), x.errors, c.elections, c.load_cpus, vs, p99_vs);
            if (x.errors) out << fmt::format("  {:<16} first error: {}\n", "", x.first_error);
        }
    }
    out << "  puts/s: puts sent in the window and acknowledged, per second; latency: from sending a put to\n"
           "  reading its answer (a redirect followed included); elections: Raft term changes during the cell\n"
           "  (a leader lost; coronet's clients follow the 307 to the new one, etcd forwards internally); load CPU:\n"
           "  CPUs the load generator's one thread used; ratios: this row / etcd's\n";
    if (disturbed)
        out << fmt::format("  * other processes kept more than {} CPUs busy during this cell: treat it with care\n",
                           disturbed_cpus);
}

void print_failovers(const report& r, std::ostream& out) {
    if (r.failover_runs.empty()) return;
    out << "\nfailover: SIGKILL the leader; time until a put sent to a survivor is acknowledged\n";
    out << fmt::format("  {:<14} {:>6} {:>8} {:>8} {:>8}   {}\n", "system", "rounds", "p50 ms", "p99 ms", "max ms",
                       "each round (ms)");
    for (const auto& f : r.failover_runs) {
        auto ms = round_ms(f.result);
        std::string each;
        for (double m : ms) each += fmt::format("{}{:.0f}", each.empty() ? "" : " ", m);
        if (ms.empty())
            out << fmt::format("  {:<14} {:>6}\n", f.system, 0);
        else
            out << fmt::format("  {:<14} {:>6} {:>8.0f} {:>8.0f} {:>8.0f}   {}\n", f.system, ms.size(),
                               percentile(ms, 50), percentile(ms, 99), *std::max_element(ms.begin(), ms.end()), each);
        if (!f.result.error.empty()) out << fmt::format("  {:<14} FAILED: {}\n", "", f.result.error);
    }
}

} // namespace

std::string machine_line() {
    utsname u{};
    uname(&u);
    return fmt::format("{} vCPU {}, Linux {}", std::thread::hardware_concurrency(), cpu_model(), u.release);
}

std::string storage_line(const std::string& dir) {
    struct statfs s {};
    if (::statfs(dir.c_str(), &s) != 0) return fmt::format("{} (file system unknown)", dir);
    switch (static_cast<unsigned long>(s.f_type)) {
    case 0xEF53: return fmt::format("{} (ext4)", dir);
    case 0x58465342: return fmt::format("{} (xfs)", dir);
    case 0x9123683E: return fmt::format("{} (btrfs)", dir);
    case 0x794C7630: return fmt::format("{} (overlayfs)", dir);
    case 0x01021994: return fmt::format("{} (tmpfs: fsync does nothing there; set TMPDIR to a disk)", dir);
    default: return fmt::format("{} (file system 0x{:x})", dir, static_cast<unsigned long>(s.f_type));
    }
}

double percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    auto rank = static_cast<std::size_t>(std::ceil(std::clamp(p, 0.0, 100.0) / 100.0 * static_cast<double>(v.size())));
    return v[rank == 0 ? 0 : rank - 1];
}

void print_report(const report& r, std::ostream& out) {
    out << fmt::format("\ncoronet bench kv: 3-member clusters on loopback, HTTP/1.1 + JSON, 64-byte puts on "
                       "distinct keys, fsync {}\n",
                       r.fsync ? "on" : "off");
    out << fmt::format("  machine: {}\n  data:    {}\n", r.machine, r.storage);
    for (const auto& s : r.systems) {
        out << fmt::format("  {:<14} {}\n", s.name, s.not_runnable.empty() ? s.version : "skipped: " + s.not_runnable);
        if (!s.fsync_note.empty()) out << fmt::format("  {:<14} note: {}\n", "", s.fsync_note);
    }
    print_cells(r, out);
    print_failovers(r, out);
    auto ts = targets(r);
    if (!ts.empty()) {
        out << "\ntargets (from the issue; reported, not asserted)\n";
        for (const auto& t : ts) out << fmt::format("  {:<50} {:<28} {}\n", t.name, t.value, t.verdict());
    }
    out.flush();
}

void write_json(const report& r, std::ostream& out) {
    namespace json = boost::json;
    json::array systems, cells, fails, ts;
    for (const auto& s : r.systems)
        systems.push_back(json::object{{"system", s.name},
                                       {"version", s.version},
                                       {"not_runnable", s.not_runnable},
                                       {"fsync_note", s.fsync_note}});
    for (const auto& c : r.cells) {
        json::object row{{"system", c.system},         {"clients", c.clients},
                         {"foreign_cpus", c.foreign_cpus}, {"load_cpus", c.load_cpus},
                         {"elections", c.elections}};
        if (!c.result) {
            row["error"] = c.error;
        } else {
            const auto& x = *c.result;
            row["puts_per_sec"] = x.puts_per_sec;
            row["puts"] = x.puts;
            row["seconds"] = x.seconds;
            row["p50_us"] = x.p50_us;
            row["p99_us"] = x.p99_us;
            row["max_us"] = x.max_us;
            row["errors"] = x.errors;
            row["redirects"] = x.redirects;
            if (!x.first_error.empty()) row["first_error"] = x.first_error;
            if (auto* e = result_of(r, "etcd", c.clients); e && c.system != "etcd" && x.puts > 0) {
                row["puts_per_sec_vs_etcd"] = x.puts_per_sec / e->puts_per_sec;
                row["p99_vs_etcd"] = x.p99_us / e->p99_us;
            }
        }
        cells.push_back(std::move(row));
    }
    for (const auto& f : r.failover_runs) {
        json::array rounds;
        for (const auto& round : f.result.rounds)
            rounds.push_back(
                json::object{{"killed_member", round.killed + 1}, {"ms", round.ms}, {"puts_sent", round.attempts}});
        auto ms = round_ms(f.result);
        json::object row{{"system", f.system}, {"rounds", std::move(rounds)}};
        if (!ms.empty()) {
            row["p50_ms"] = percentile(ms, 50);
            row["p99_ms"] = percentile(ms, 99);
            row["max_ms"] = *std::max_element(ms.begin(), ms.end());
        }
        if (!f.result.error.empty()) row["error"] = f.result.error;
        fails.push_back(std::move(row));
    }
    for (const auto& t : targets(r)) {
        json::object row{{"target", t.name}, {"measured", t.value}, {"met", t.met}};
        if (!t.not_comparable.empty()) row["not_comparable"] = t.not_comparable;
        ts.push_back(std::move(row));
    }
    json::array clients;
    for (auto c : r.clients) clients.push_back(c);
    json::object doc{{"benchmark", "kv"},
                     {"machine", r.machine},
                     {"cpus", std::thread::hardware_concurrency()},
                     {"cpu_model", cpu_model()},
                     {"storage", r.storage},
                     {"fsync", r.fsync},
                     {"quick", r.quick},
                     {"cell_seconds", r.cell_seconds},
                     {"clients", std::move(clients)},
                     {"failover_rounds", r.failover_rounds},
                     {"value_bytes", 64},
                     {"members", 3},
                     {"protocol", "HTTP/1.1 keep-alive, JSON (coronet: PUT /v1/kv/KEY; etcd: POST /v3/kv/put)"},
                     {"systems", std::move(systems)},
                     {"cells", std::move(cells)},
                     {"failovers", std::move(fails)},
                     {"targets", std::move(ts)}};
    out << json::serialize(doc) << "\n";
}

} // namespace coronet::bench::kv_bench
