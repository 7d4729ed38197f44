// coronet bench transports: the transport comparison (bench/transport_bench).
// coronet bench rpc: the RPC comparison (bench/rpc).
// coronet bench pubsub: the pub/sub comparison (bench/pubsub).
// coronet bench kv: the replicated KV store vs etcd (bench/kv).
// coronet bench chord: the Chord paper's simulations on the Chord core (bench/dht).
// coronet bench dht: Chord lookups on a loopback ring of processes (bench/dht_ring).
#include "commands.hpp"

#include "bench_report.hpp"
#include "progress.hpp"
#include "transport_bench.hpp"

// The comparisons with other systems are left out of trees built with
// CORONET_BUILD_BENCH=OFF (the sanitizer tree): they test nothing the
// libraries' own tests do not, and are a fifth of the compile.
#if CORONET_PEER_BENCHES
#include "chord_bench.hpp"
#include "dht_ring_bench.hpp"
#include "kv_bench.hpp"
#include "pubsub_bench.hpp"
#include "rpc_bench.hpp"
#endif

#include <fmt/core.h>

#include <algorithm>
#include <filesystem>
#include <iostream>

namespace coronet::cli {

namespace {

int print_report(const std::vector<std::filesystem::path>& files, const std::filesystem::path& dir) {
    auto r = coronet::bench::report::write_report(files, dir);
    std::cout << "report: " << r.markdown.string() << " (" << r.charts.size() << " charts"
              << (r.note.empty() ? "" : "; " + r.note) << ")\n";
    return 0;
}

/// --report DIR on a bench subcommand: the bench writes its JSON to
/// DIR/bench-NAME.json (unless --json names a file) and, once it has run,
/// DIR/report.md with its tables and charts.
struct report_option {
    CLI::App* sub;
    std::string name;
    std::string* json_path;
    std::shared_ptr<std::string> dir = std::make_shared<std::string>();
};

void add_report_option(std::vector<report_option>& all, CLI::App* sub, std::string name, std::string& json_path) {
    report_option r{sub, std::move(name), &json_path};
    sub->add_option("--report", *r.dir, "also write a Markdown report with charts (gnuplot) to this directory");
    all.push_back(std::move(r));
}

/// Runs after the chosen subcommand's callback has set `run` (CLI11 calls
/// the parent's final callback last), and wraps it.
void wrap_with_report(const std::vector<report_option>& all, std::function<int()>& run) {
    for (const auto& r : all) {
        if (!r.sub->parsed() || r.dir->empty()) continue;
        std::filesystem::create_directories(*r.dir);
        if (r.json_path->empty()) *r.json_path = (std::filesystem::path(*r.dir) / ("bench-" + r.name + ".json")).string();
        auto bench = run;
        run = [bench, dir = r.dir, json = r.json_path] {
            int rc = bench();
            if (rc != 0) return rc;
            return print_report({*json}, *dir);
        };
    }
}

} // namespace

void add_bench_command(CLI::App& app, const global_options& g, std::function<int()>& run) {
    auto* bench = app.add_subcommand("bench", "benchmarks that compare coronet with hand-written peers");
    bench->require_subcommand(1);
    auto reports = std::make_shared<std::vector<report_option>>();
    bench->final_callback([&run, reports] { wrap_with_report(*reports, run); });
    auto o = std::make_shared<coronet::bench::bench_options>();
    auto only = std::make_shared<std::vector<std::string>>();
    auto json = std::make_shared<std::string>();
    auto no_pin = std::make_shared<bool>(false);
    auto* t = bench->add_subcommand("transports", "echo over every transport vs raw epoll and liburing loops");
    t->add_flag("--quick", o->quick, "short cells, one repetition (~15 s)");
    t->add_option("--json", *json, "also write the results as JSON to this file");
    t->add_option("--only", *only, "run only these variants (comma-separated)")->delimiter(',');
    t->add_flag("--no-pin", *no_pin, "do not pin server and load generator to CPUs 1 and 0");
    t->callback([&run, o, only, json, no_pin] {
        run = [o, only, json, no_pin] {
            o->only = *only;
            if (!json->empty()) o->json_path = *json;
            o->pin_cpus = !*no_pin;
            auto variants = coronet::bench::baseline_variants();
            for (auto& v : coronet::bench::coronet_variants()) variants.push_back(std::move(v));
            return coronet::bench::run_transport_bench(variants, *o, std::cout);
        };
    });
    add_report_option(*reports, t, "transports", *json);

    auto report_files = std::make_shared<std::vector<std::string>>();
    auto report_out = std::make_shared<std::string>("coronet-report");
    auto* rep = bench->add_subcommand("report", "a Markdown report with tables and charts from benchmark JSON files");
    rep->add_option("files", *report_files, "JSON files written by coronet bench … --json")->required()->check(CLI::ExistingFile);
    rep->add_option("--out", *report_out, "the report's directory (report.md and SVG charts)")->capture_default_str();
    rep->callback([&run, report_files, report_out] {
        run = [report_files, report_out] {
            std::vector<std::filesystem::path> files(report_files->begin(), report_files->end());
            return print_report(files, *report_out);
        };
    });

#if CORONET_PEER_BENCHES
    namespace rb = coronet::bench::rpc_bench;
    auto ro = std::make_shared<rb::bench_options>();
    auto r_only = std::make_shared<std::vector<std::string>>();
    auto r_workloads = std::make_shared<std::vector<std::string>>();
    auto r_json = std::make_shared<std::string>();
    auto r_no_pin = std::make_shared<bool>(false);
    auto* r = bench->add_subcommand("rpc", "Cap'n Proto RPC echo vs capnp EzRpc, gRPC and a raw TCP floor");
    r->add_flag("--quick", ro->quick, "short cells, one repetition (< 10 s)");
    r->add_option("--json", *r_json, "also write the results as JSON to this file");
    r->add_option("--only", *r_only, "run only these peers (comma-separated)")->delimiter(',');
    r->add_option("--workloads", *r_workloads,
                  "run only these workloads (comma-separated: seq-64B, inflight-128, bulk-1MiB, blocking-64B, "
                  "allocs-64B)")
        ->delimiter(',');
    r->add_flag("--no-pin", *r_no_pin, "do not pin server and client to CPUs 1 and 0");
    r->callback([&run, ro, r_only, r_workloads, r_json, r_no_pin] {
        run = [ro, r_only, r_workloads, r_json, r_no_pin] {
            ro->only = *r_only;
            ro->workloads = *r_workloads;
            if (!r_json->empty()) ro->json_path = *r_json;
            ro->pin_cpus = !*r_no_pin;
            return rb::run_rpc_bench(rb::all_peers(), *ro, std::cout);
        };
    });

    namespace pb = coronet::bench::pubsub_bench;
    auto po = std::make_shared<pb::bench_options>();
    auto p_json = std::make_shared<std::string>();
    auto p_no_pin = std::make_shared<bool>(false);
    auto* p = bench->add_subcommand("pubsub", "the pub/sub broker vs redis-server, nats-server and mosquitto");
    p->add_flag("--quick", po->quick, "small cells, one repetition (< 20 s)");
    p->add_option("--json", *p_json, "also write the results as JSON to this file");
    p->add_option("--only", po->only, "run only these peers (comma-separated: coronet, redis, nats, mosquitto)")
        ->delimiter(',');
    p->add_option("--workloads", po->workloads, "run only these workloads (comma-separated: 1to1, fanout10, latency)")
        ->delimiter(',');
    p->add_flag("--no-pin", *p_no_pin, "do not pin the broker and the clients to CPUs 1 and 0");
    p->callback([&run, po, p_json, p_no_pin] {
        run = [po, p_json, p_no_pin] {
            if (!p_json->empty()) po->json_path = *p_json;
            po->pin_cpus = !*p_no_pin;
            return pb::run_pubsub_bench(*po, std::cout);
        };
    });

    namespace kb = coronet::bench::kv_bench;
    auto ko = std::make_shared<kb::bench_options>();
    auto k_json = std::make_shared<std::string>();
    auto k_seconds = std::make_shared<double>(5);
    auto k_failovers = std::make_shared<unsigned>(5);
    auto k_no_fsync = std::make_shared<bool>(false);
    auto* k = bench->add_subcommand("kv", "the replicated KV store (3 nodes, async and sync replication) vs etcd");
    k->alias("raft");
    auto* k_seconds_opt = k->add_option("--seconds", *k_seconds, "measured seconds per cell (default 5; --quick: 1)");
    k->add_option("--clients", ko->clients, "concurrent clients, one cell each (comma-separated)")
        ->delimiter(',')
        ->capture_default_str();
    auto* k_failovers_opt =
        k->add_option("--failovers", *k_failovers, "leader kills per system (default 5; --quick: 2; 0: none)");
    k->add_flag("--no-fsync", *k_no_fsync, "neither system fsyncs its log (etcd only where its version can)");
    k->add_option("--only", ko->only, "run only these systems (comma-separated: coronet, etcd)")->delimiter(',');
    k->add_flag("--quick", ko->quick, "1 s cells, 2 failovers");
    k->add_option("--json", *k_json, "also write the results as JSON to this file");
    k->callback([&run, ko, k_json, k_seconds, k_failovers, k_no_fsync, k_seconds_opt, k_failovers_opt] {
        run = [ko, k_json, k_seconds, k_failovers, k_no_fsync, k_seconds_opt, k_failovers_opt] {
            if (k_seconds_opt->count()) ko->seconds = *k_seconds;
            if (k_failovers_opt->count()) ko->failovers = *k_failovers;
            ko->fsync = !*k_no_fsync;
            if (!k_json->empty()) ko->json_path = *k_json;
            return kb::run_kv_bench(*ko, std::cout);
        };
    });
    add_report_option(*reports, k, "kv", *k_json);

    namespace cb = coronet::bench::chord_bench;
    auto co = std::make_shared<cb::bench_options>();
    auto* c = bench->add_subcommand("chord", "the Chord paper's simulation results (path length, load balance, "
                                             "failures, churn, lookup styles) on the Chord core");
    c->add_flag("--quick", co->quick, "small rings (N up to 256), fewer lookups (a few seconds)");
    c->add_option("--json", co->json_path, "also write the results as JSON to this file");
    c->add_option("--seed", co->seed, "seed of the whole simulation (same seed, same numbers)")->capture_default_str();
    c->add_option("--max-nodes", co->max_nodes, "largest ring of the path-length sweep (a power of two, >= 16)")
        ->capture_default_str();
    c->callback([&run, co] {
        run = [co] { return cb::run_chord_bench(*co, std::cout); };
    });
    add_report_option(*reports, c, "chord", co->json_path);

    namespace db = coronet::bench::dht_ring;
    auto dopt = std::make_shared<db::options>();
    auto* d = bench->add_subcommand("dht", "Chord lookups on a loopback ring of real processes, iterative vs recursive, "
                                           "udp vs tcp vs uring");
    d->add_option("--nodes", dopt->nodes, "server processes (this process joins as one more)")->capture_default_str();
    d->add_option("--seconds", dopt->seconds, "measured seconds per cell")->capture_default_str();
    d->add_option("--concurrency", dopt->concurrency, "lookups in flight, one cell each (comma-separated)")
        ->delimiter(',')
        ->capture_default_str();
    d->add_option("--tick-ms", dopt->tick_ms, "the nodes' protocol tick")->capture_default_str();
    d->add_option("--transports", dopt->transports,
                  "between the nodes, a ring each (comma-separated: udp, tcp, uring; the first is the ratios' base)")
        ->delimiter(',')
        ->capture_default_str();
    d->add_flag("--quick", dopt->quick, "4 nodes, 1 s cells, 100 keys through the HTTP fronts");
    d->add_flag_function("--no-peers", [dopt](std::int64_t) { dopt->peers = false; },
                "skip the HTTP comparison with OpenDHT's dhtnode");
    d->add_option("--keys", dopt->http_keys, "keys put and read back through each DHT's HTTP front")
        ->capture_default_str();
    d->add_option("--json", dopt->json, "also write the results as JSON to this file");
    d->callback([&run, dopt] {
        run = [dopt] {
            if (dopt->quick) {
                dopt->nodes = std::min(dopt->nodes, 4u);
                dopt->seconds = std::min(dopt->seconds, 1.0);
                dopt->settle_seconds = 1;
                dopt->http_keys = std::min<std::size_t>(dopt->http_keys, 100);
            }
            dopt->program = "/proc/self/exe";
            return db::run(*dopt);
        };
    });

    auto all_quick = std::make_shared<bool>(false);
    auto all_dir = std::make_shared<std::string>("coronet-report");
    auto* all = bench->add_subcommand("all", "every benchmark in turn, then one report of those it has a section for");
    all->add_flag("--quick", *all_quick, "each benchmark's --quick (a few minutes in all)");
    all->add_option("--report", *all_dir, "where the JSON files and the report go")->capture_default_str();
    all->callback([&run, all_quick, all_dir] {
        run = [all_quick, all_dir] {
            namespace fs = std::filesystem;
            fs::create_directories(*all_dir);
            auto json = [&](const char* name) { return (fs::path(*all_dir) / fmt::format("bench-{}.json", name)).string(); };
            int failed = 0;
            coronet::bench::report::progress shown("bench all", 6);
            auto step = [&](const char* name, const std::function<int()>& f) {
                std::cout << "\n=== coronet bench " << name << (*all_quick ? " --quick" : "") << "\n" << std::flush;
                if (int rc = f(); rc != 0) {
                    std::cout << "bench " << name << " failed (exit " << rc << "); going on\n";
                    ++failed;
                }
                shown.advance(name);
            };
            step("transports", [&] {
                coronet::bench::bench_options o;
                o.quick = *all_quick;
                o.json_path = json("transports");
                auto variants = coronet::bench::baseline_variants();
                for (auto& v : coronet::bench::coronet_variants()) variants.push_back(std::move(v));
                return coronet::bench::run_transport_bench(variants, o, std::cout);
            });
            step("rpc", [&] {
                rb::bench_options o;
                o.quick = *all_quick;
                o.json_path = json("rpc");
                return rb::run_rpc_bench(rb::all_peers(), o, std::cout);
            });
            step("pubsub", [&] {
                pb::bench_options o;
                o.quick = *all_quick;
                o.json_path = json("pubsub");
                return pb::run_pubsub_bench(o, std::cout);
            });
            step("kv", [&] {
                kb::bench_options o;
                o.quick = *all_quick;
                o.json_path = json("kv");
                return kb::run_kv_bench(o, std::cout);
            });
            step("chord", [&] {
                cb::bench_options o;
                o.quick = *all_quick;
                o.json_path = json("chord");
                return cb::run_chord_bench(o, std::cout);
            });
            step("dht", [&] {
                db::options o;
                if (*all_quick) {
                    o.nodes = std::min(o.nodes, 4u);
                    o.seconds = std::min(o.seconds, 1.0);
                    o.settle_seconds = 1;
                    o.http_keys = 100;
                }
                o.json = json("dht");
                o.program = "/proc/self/exe";
                return db::run(o);
            });
            std::vector<fs::path> files;
            for (const char* name : {"transports", "rpc", "pubsub", "kv", "chord", "dht"})
                if (fs::exists(json(name))) files.emplace_back(json(name));
            print_report(files, *all_dir);
            return failed ? 1 : 0;
        };
    });
#endif
}

} // namespace coronet::cli
