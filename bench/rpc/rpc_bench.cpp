// The driver: every peer on every workload it supports, one cell at a time
// (a fresh server and connection per cell), the median of the repetitions,
// then the tables, the ratios and the targets.
#include "measure.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include <pthread.h>
#include <sched.h>
#include <sys/utsname.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>

namespace coronet::bench::rpc_bench {

namespace {

using namespace std::chrono_literals;

struct workload {
    workload_kind kind;
    std::string name;
    std::string title;
    std::size_t payload_bytes;
    int inflight;
    std::chrono::milliseconds warmup, measure;
    std::uint64_t calls_max;
    bool lower_is_better;
    double metric(const cell_result& r) const {
        switch (kind) {
        case workload_kind::sequential:
        case workload_kind::blocking: return r.p50_us;
        case workload_kind::inflight: return r.calls_per_sec;
        case workload_kind::bulk: return r.mb_per_sec;
        case workload_kind::allocations: return r.allocs_per_call;
        }
        return 0;
    }
};

std::vector<workload> workloads(bool quick) {
    auto ms = [quick](int full, int q) { return std::chrono::milliseconds(quick ? q : full); };
    return {
        {workload_kind::sequential, "seq-64B", "sequential echo, 64 B, one call at a time", 64, 1, ms(200, 30),
         ms(1500, 200), 500'000, true},
        {workload_kind::inflight, "inflight-128", "128 calls in flight on one connection, 64 B", 64, 128, ms(200, 50),
         ms(1500, 250), 50'000'000, false},
        {workload_kind::bulk, "bulk-1MiB", "1 MiB echo, one call at a time", 1u << 20, 1, ms(200, 50), ms(1500, 250),
         1'000'000, false},
        {workload_kind::blocking, "blocking-64B",
         "coronet's blocking client (echo_blocking from a plain thread), 64 B, one call at a time", 64, 1,
         ms(200, 30), ms(1500, 200), 500'000, true},
        {workload_kind::allocations, "allocs-64B",
         "heap allocations per call, client and server together, 64 B, after warm-up", 64, 1, 0ms, 0ms,
         quick ? 1'000u : 20'000u, true},
    };
}

/// Ends the program (status 2, saying which cell) if a cell hangs: a smoke
/// test must fail, not wait for CI's timeout. Sleeps until a deadline.
class watchdog {
public:
    watchdog()
        : _thread([this] {
              std::unique_lock lock(_mutex);
              while (!_done) {
                  if (!_deadline) {
                      _wake.wait(lock);
                      continue;
                  }
                  if (_wake.wait_until(lock, *_deadline) == std::cv_status::timeout && _deadline &&
                      clock::now() >= *_deadline) {
                      std::fprintf(stderr, "bench rpc: %s did not finish in time; giving up\n", _what.c_str());
                      std::_Exit(2);
                  }
              }
          }) {}
    ~watchdog() {
        {
            std::lock_guard lock(_mutex);
            _done = true;
        }
        _wake.notify_all();
        _thread.join();
    }
    void arm(std::string what, clock::duration d) {
        {
            std::lock_guard lock(_mutex);
            _what = std::move(what);
            _deadline = clock::now() + d;
        }
        _wake.notify_all();
    }
    void disarm() {
        {
            std::lock_guard lock(_mutex);
            _deadline.reset();
        }
        _wake.notify_all();
    }

private:
    std::mutex _mutex;
    std::condition_variable _wake;
    bool _done = false;
    std::optional<clock::time_point> _deadline;
    std::string _what;
    std::thread _thread; // last: starts once the rest exists
};

struct cell {
    std::string peer, workload;
    std::optional<cell_result> result; // empty: failed
    std::string error;
    int repetitions = 0;
    int reruns = 0; // repetitions run again because other processes disturbed them
};

/// Other processes using more than this many CPUs during a repetition disturb it.
constexpr double disturbed_cpus = 0.1;

/// Waits (at most `max`) for a second in which other processes stay under disturbed_cpus.
void wait_for_quiet(std::chrono::seconds max) {
    auto until = clock::now() + max;
    while (clock::now() < until) {
        auto before = sample_cpu();
        std::this_thread::sleep_for(1s);
        if (foreign_cpus(before, sample_cpu()) < disturbed_cpus) return;
    }
}

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

std::string kernel() {
    utsname u{};
    uname(&u);
    return u.release;
}

std::string machine_line() {
    return fmt::format("{} vCPU {}, Linux {}", std::thread::hardware_concurrency(), cpu_model(), kernel());
}

bool supports(const peer& p, workload_kind k) {
    return std::find(p.supports.begin(), p.supports.end(), k) != p.supports.end();
}

class results {
public:
    void add(cell c) {
        _order.push_back({c.peer, c.workload});
        _cells[{c.peer, c.workload}] = std::move(c);
    }
    const cell* find(const std::string& peer, const std::string& workload) const {
        auto it = _cells.find({peer, workload});
        return it == _cells.end() ? nullptr : &it->second;
    }
    const cell_result* result(const std::string& peer, const std::string& workload) const {
        auto* c = find(peer, workload);
        return c && c->result ? &*c->result : nullptr;
    }
    const std::vector<std::pair<std::string, std::string>>& order() const { return _order; }
    bool any_failed() const {
        for (auto& [k, c] : _cells)
            if (!c.result) return true;
        return false;
    }

private:
    std::map<std::pair<std::string, std::string>, cell> _cells;
    std::vector<std::pair<std::string, std::string>> _order;
};

/// The better of the "peer" rows of a workload (not coronet, not the floor).
std::optional<std::pair<std::string, double>> best_peer(const std::vector<peer>& peers, const results& rs,
                                                        const workload& w) {
    std::optional<std::pair<std::string, double>> best;
    for (auto& p : peers) {
        if (p.role != "peer") continue;
        auto* r = rs.result(p.name, w.name);
        if (!r) continue;
        auto m = w.metric(*r);
        if (m <= 0) continue;
        if (!best || (w.lower_is_better ? m < best->second : m > best->second)) best = {p.name, m};
    }
    return best;
}

std::optional<double> floor_metric(const std::vector<peer>& peers, const results& rs, const workload& w) {
    for (auto& p : peers)
        if (p.role == "floor")
            if (auto* r = rs.result(p.name, w.name); r && w.metric(*r) > 0) return w.metric(*r);
    return std::nullopt;
}

std::string fixed(double v, int digits) { return v < 0 ? "-" : fmt::format("{:.{}f}", v, digits); }

struct target {
    std::string name, subject, against;
    double ratio = 0;
    bool lower_is_better = false;
    double bound = 0;
    bool met() const { return lower_is_better ? ratio <= bound : ratio >= bound; }
};

std::vector<target> targets(const std::vector<peer>& peers, const results& rs, const std::vector<workload>& ws) {
    std::vector<target> out;
    auto find_w = [&](workload_kind k) -> const workload* {
        auto it = std::find_if(ws.begin(), ws.end(), [k](auto& w) { return w.kind == k; });
        return it == ws.end() ? nullptr : &*it;
    };
    for (auto& p : peers) {
        if (p.role != "coronet") continue;
        if (auto* infl = find_w(workload_kind::inflight))
            if (auto best = best_peer(peers, rs, *infl))
                if (auto* r = rs.result(p.name, infl->name))
                    out.push_back({"128 in flight, calls/s vs the better peer", p.name, best->first,
                                   infl->metric(*r) / best->second, false, 1.5});
        if (auto* seq = find_w(workload_kind::sequential))
            if (auto floor = floor_metric(peers, rs, *seq))
                if (auto* r = rs.result(p.name, seq->name))
                    out.push_back(
                        {"sequential 64 B p50 vs raw TCP", p.name, "raw-tcp", seq->metric(*r) / *floor, true, 1.15});
        if (auto* bulk = find_w(workload_kind::bulk))
            if (auto floor = floor_metric(peers, rs, *bulk))
                if (auto* r = rs.result(p.name, bulk->name))
                    out.push_back(
                        {"1 MiB MB/s vs raw TCP", p.name, "raw-tcp", bulk->metric(*r) / *floor, false, 0.85});
    }
    return out;
}

void print_tables(const std::vector<peer>& peers, const results& rs, const std::vector<workload>& ws,
                  const bench_options& o, int repetitions, std::ostream& out) {
    out << fmt::format("\ncoronet RPC benchmark ({}; {}; median of {} run(s) per cell, {} ms measured each)\n",
                       machine_line(), o.pin_cpus ? "server on CPU 1, client on CPU 0" : "unpinned", repetitions,
                       ws.front().measure.count());
    bool disturbed = false;
    auto mark = [&](const std::string& name, const cell_result& r) {
        if (r.foreign_cpu <= disturbed_cpus) return name;
        disturbed = true;
        return name + " *";
    };
    auto not_built = [&](const peer& p, const workload& w) {
        if (p.not_built.empty() || !supports(p, w.kind)) return false;
        out << fmt::format("  {:<16} not built: {}\n", p.name, p.not_built);
        return true;
    };
    auto failed = [&](const peer& p, const workload& w) {
        auto* c = rs.find(p.name, w.name);
        if (!c || c->result) return false;
        out << fmt::format("  {:<16} FAILED: {}\n", p.name, c->error);
        return true;
    };
    for (auto& w : ws) {
        if (w.kind == workload_kind::allocations && !alloc::installed()) {
            out << fmt::format("\n{}: {}\n  not counted: this program lacks the counting allocator hooks "
                               "(bench/rpc/alloc_hook.cpp; left out of sanitizer builds)\n", w.name, w.title);
            continue;
        }
        out << fmt::format("\n{}: {} ({} is better)\n", w.name, w.title, w.lower_is_better ? "lower" : "higher");
        auto floor = floor_metric(peers, rs, w);
        auto best = best_peer(peers, rs, w);
        auto vs = [&](const peer& p, const cell_result& r) {
            std::string s;
            auto m = w.metric(r);
            if (m <= 0) return s;
            if (floor && p.role != "floor") s += fmt::format("{:.2f}× raw-tcp", m / *floor);
            if (best && p.role == "coronet")
                s += fmt::format("{}{:.2f}× {}", s.empty() ? "" : ", ", m / best->second, best->first);
            return s;
        };
        switch (w.kind) {
        case workload_kind::sequential:
        case workload_kind::blocking: {
            out << fmt::format("  {:<22} {:>10} {:>9} {:>9}   {}\n", "peer", "calls/s", "p50 µs", "p99 µs",
                               "p50 vs");
            if (w.kind == workload_kind::blocking) {
                // The awaitable client's row from the sequential workload, for comparison.
                if (auto* r = rs.result("coronet-tcp", "seq-64B"))
                    out << fmt::format("  {:<22} {:>10.0f} {:>9.1f} {:>9.1f}   (seq-64B)\n", "coronet-tcp awaitable",
                                       r->calls_per_sec, r->p50_us, r->p99_us);
            }
            for (auto& p : peers) {
                if (!supports(p, w.kind) || not_built(p, w) || failed(p, w)) continue;
                auto* r = rs.result(p.name, w.name);
                if (!r) continue;
                std::string ratio = vs(p, *r);
                std::string label = p.name;
                if (w.kind == workload_kind::blocking) {
                    label += " blocking";
                    if (auto* a = rs.result(p.name, "seq-64B"); a && a->p50_us > 0)
                        ratio = fmt::format("{:.2f}× awaitable", r->p50_us / a->p50_us);
                }
                out << fmt::format("  {:<22} {:>10.0f} {:>9.1f} {:>9.1f}   {}\n", mark(label, *r), r->calls_per_sec,
                                   r->p50_us, r->p99_us, ratio);
            }
            break;
        }
        case workload_kind::inflight: {
            out << fmt::format("  {:<22} {:>10} {:>14} {:>14}   {}\n", "peer", "calls/s", "writes/call c",
                               "writes/call s", "vs");
            for (auto& p : peers) {
                if (!supports(p, w.kind) || not_built(p, w) || failed(p, w)) continue;
                auto* r = rs.result(p.name, w.name);
                if (!r) continue;
                out << fmt::format("  {:<22} {:>10.0f} {:>14} {:>14}   {}\n", mark(p.name, *r), r->calls_per_sec,
                                   fixed(r->client_writes_per_call, 3), fixed(r->server_writes_per_call, 3),
                                   vs(p, *r));
            }
            break;
        }
        case workload_kind::bulk: {
            out << fmt::format("  {:<22} {:>10} {:>9} {:>9}   {}\n", "peer", "MB/s", "p50 ms", "p99 ms", "MB/s vs");
            for (auto& p : peers) {
                if (!supports(p, w.kind) || not_built(p, w) || failed(p, w)) continue;
                auto* r = rs.result(p.name, w.name);
                if (!r) continue;
                out << fmt::format("  {:<22} {:>10.0f} {:>9.3f} {:>9.3f}   {}\n", mark(p.name, *r), r->mb_per_sec,
                                   r->p50_us / 1000, r->p99_us / 1000, vs(p, *r));
            }
            break;
        }
        case workload_kind::allocations: {
            out << "  new: operator new calls; malloc: every C allocator call (operator new's included; also\n"
                   "  Asio's aligned_alloc, capnp's calloc, gRPC core's malloc), split by the thread that made it\n";
            out << fmt::format("  {:<22} {:>9} {:>11} {:>11} {:>9} {:>9} {:>9}\n", "peer", "new/call", "malloc/call",
                               "bytes/call", "client", "server", "other");
            for (auto& p : peers) {
                if (!supports(p, w.kind) || not_built(p, w) || failed(p, w)) continue;
                auto* r = rs.result(p.name, w.name);
                if (!r) continue;
                out << fmt::format("  {:<22} {:>9.2f} {:>11.2f} {:>11.0f} {:>9.2f} {:>9.2f} {:>9.2f}\n", mark(p.name, *r),
                                   r->news_per_call, r->allocs_per_call, r->alloc_bytes_per_call, r->client_allocs_per_call,
                                   r->server_allocs_per_call, r->other_allocs_per_call);
            }
            break;
        }
        }
    }
    if (disturbed)
        out << fmt::format("\n* other processes used more than {} CPUs while this cell ran{}: treat it with care\n",
                           disturbed_cpus, o.quick ? "" : ", even after reruns");
    auto ts = targets(peers, rs, ws);
    if (!ts.empty()) {
        out << "\ntargets (from the issue; reported, not asserted)\n";
        for (auto& t : ts)
            out << fmt::format("  {:<44} {:<14} {:>6.2f}× {:<12} target {} {:.2f}×  {}\n", t.name, t.subject,
                               t.ratio, t.against, t.lower_is_better ? "≤" : "≥", t.bound,
                               t.met() ? "met" : "NOT met");
    }
    out.flush();
}

void write_json(const std::vector<peer>& peers, const results& rs, const std::vector<workload>& ws,
                const bench_options& o, int repetitions, std::ostream& out) {
    boost::json::array rows;
    for (auto& [peer_name, workload_name] : rs.order()) {
        auto* c = rs.find(peer_name, workload_name);
        boost::json::object row{{"peer", peer_name}, {"workload", workload_name}};
        if (!c->result) {
            row["error"] = c->error;
            rows.push_back(std::move(row));
            continue;
        }
        auto& r = *c->result;
        row["calls"] = r.calls;
        row["seconds"] = r.seconds;
        auto put = [&](const char* k, double v) {
            if (v >= 0) row[k] = v;
        };
        put("calls_per_sec", r.calls_per_sec);
        put("mb_per_sec", r.mb_per_sec);
        if (r.p50_us > 0) {
            row["p50_us"] = r.p50_us;
            row["p99_us"] = r.p99_us;
        }
        put("news_per_call", r.news_per_call);
        put("allocs_per_call", r.allocs_per_call);
        put("alloc_bytes_per_call", r.alloc_bytes_per_call);
        put("client_allocs_per_call", r.client_allocs_per_call);
        put("server_allocs_per_call", r.server_allocs_per_call);
        put("other_allocs_per_call", r.other_allocs_per_call);
        put("client_writes_per_call", r.client_writes_per_call);
        put("server_writes_per_call", r.server_writes_per_call);
        put("client_reads_per_call", r.client_reads_per_call);
        put("server_reads_per_call", r.server_reads_per_call);
        row["repetitions"] = c->repetitions;
        row["reruns"] = c->reruns;
        row["foreign_cpu"] = r.foreign_cpu;
        rows.push_back(std::move(row));
    }
    boost::json::array not_built;
    for (auto& p : peers)
        if (!p.not_built.empty()) not_built.push_back(boost::json::object{{"peer", p.name}, {"why", p.not_built}});
    boost::json::array ts;
    for (auto& t : targets(peers, rs, ws))
        ts.push_back(boost::json::object{{"target", t.name},
                                         {"subject", t.subject},
                                         {"against", t.against},
                                         {"ratio", t.ratio},
                                         {"bound", t.bound},
                                         {"lower_is_better", t.lower_is_better},
                                         {"met", t.met()}});
    boost::json::object doc{{"benchmark", "rpc"},
                            {"machine", machine_line()},
                            {"cpus", std::thread::hardware_concurrency()},
                            {"cpu_model", cpu_model()},
                            {"kernel", kernel()},
                            {"quick", o.quick},
                            {"repetitions", repetitions},
                            {"measure_ms", ws.front().measure.count()},
                            {"pinned", o.pin_cpus},
                            {"allocations_counted", alloc::installed()},
                            {"not_built", std::move(not_built)},
                            {"cells", std::move(rows)},
                            {"targets", std::move(ts)}};
    out << boost::json::serialize(doc) << "\n";
}

} // namespace

std::vector<peer> all_peers() {
    std::vector<peer> ps{raw_tcp_peer(), capnp_peer(), grpc_peer()};
    for (auto& p : coronet_peers()) ps.push_back(std::move(p));
    return ps;
}

int run_rpc_bench(const std::vector<peer>& all, const bench_options& o, std::ostream& out) {
    std::vector<peer> peers;
    for (auto& p : all)
        if (o.only.empty() || std::find(o.only.begin(), o.only.end(), p.name) != o.only.end()) peers.push_back(p);
    if (peers.empty()) throw std::invalid_argument("bench rpc: --only matched no peer");
    (void)alloc::installed(); // probe before any thread starts

    auto ws = workloads(o.quick);
    if (!o.workloads.empty()) {
        std::erase_if(ws, [&](auto& w) {
            return std::find(o.workloads.begin(), o.workloads.end(), w.name) == o.workloads.end();
        });
        if (ws.empty()) throw std::invalid_argument("bench rpc: --workloads matched no workload");
    }
    std::ofstream json; // opened first: a bad path fails now, not after the run
    if (o.json_path) {
        json.open(*o.json_path);
        if (!json) throw std::runtime_error("cannot write " + *o.json_path);
    }
    int repetitions = o.quick ? 1 : 3;
    std::size_t total = 0, step = 0;
    for (auto& w : ws)
        for (auto& p : peers)
            if (supports(p, w.kind) && p.run && (w.kind != workload_kind::allocations || alloc::installed())) ++total;

    int client_cpu = o.pin_cpus ? 0 : -1, server_cpu = o.pin_cpus ? 1 : -1;
    cpu_set_t saved;
    CPU_ZERO(&saved);
    pthread_getaffinity_np(pthread_self(), sizeof saved, &saved);
    pin_this_thread(client_cpu); // the clients run on this thread (or threads it starts)
    alloc::set_thread_role(alloc::role::client);

    results rs;
    watchdog dog;
    for (auto& w : ws) {
        if (w.kind == workload_kind::allocations && !alloc::installed()) continue;
        for (auto& p : peers) {
            if (!supports(p, w.kind) || !p.run) continue;
            std::cerr << fmt::format("[{}/{}] {} {}\n", ++step, total, p.name, w.name);
            cell_spec s{w.kind, w.payload_bytes, w.inflight, w.warmup, w.measure, w.calls_max, server_cpu, client_cpu};
            int reps = w.kind == workload_kind::allocations ? 1 : repetitions;
            cell c{p.name, w.name, {}, {}, reps, 0};
            std::vector<cell_result> runs;
            // Generous: an attempt takes warm-up + window, or ~0.1 ms per counted call.
            auto counted = w.kind == workload_kind::allocations ? std::chrono::milliseconds(w.calls_max) : 0ms;
            auto attempt = [&] {
                dog.arm(p.name + " " + w.name, w.warmup + w.measure + counted + 30s);
                auto before = sample_cpu();
                auto r = p.run(s);
                r.foreign_cpu = foreign_cpus(before, sample_cpu());
                dog.disarm();
                return r;
            };
            try {
                for (int i = 0; i < reps; ++i) {
                    auto r = attempt();
                    // On a shared machine: a repetition other processes disturbed
                    // is rerun once they are quiet (not in --quick: it must stay short).
                    for (int retry = 0; !o.quick && r.foreign_cpu > disturbed_cpus && retry < 4; ++retry) {
                        std::cerr << fmt::format("  disturbed (other processes used {:.2f} CPUs); rerunning when quiet\n",
                                                 r.foreign_cpu);
                        wait_for_quiet(60s);
                        r = attempt();
                        ++c.reruns;
                    }
                    runs.push_back(r);
                }
                std::sort(runs.begin(), runs.end(), [&](auto& a, auto& b) {
                    return w.lower_is_better ? w.metric(a) < w.metric(b) : w.metric(a) > w.metric(b);
                });
                c.result = runs[runs.size() / 2];
            } catch (const std::exception& e) {
                c.error = e.what();
                std::cerr << fmt::format("  {} {} failed: {}\n", p.name, w.name, e.what());
            }
            dog.disarm();
            rs.add(std::move(c));
        }
    }
    pthread_setaffinity_np(pthread_self(), sizeof saved, &saved);
    alloc::set_thread_role(alloc::role::other);

    print_tables(peers, rs, ws, o, repetitions, out);
    if (o.json_path) {
        write_json(peers, rs, ws, o, repetitions, json);
        json.close();
        if (!json) throw std::runtime_error("cannot write " + *o.json_path);
        out << "\nJSON written to " << *o.json_path << "\n";
    }
    return rs.any_failed() ? 1 : 0;
}

} // namespace coronet::bench::rpc_bench
