// coronet demo: the README's main job. Starts on loopback, as separate
// processes, a 3-node Raft KV cluster, an 8-node Chord ring and a broker;
// measures each part sync (one request at a time, waiting for each answer)
// and async (many in flight, or fanned out); kills and restarts a node of the
// cluster and of the ring to show fail-over; prints a summary, then keeps
// everything up (endpoints printed) until Ctrl-C or --for, and stops every
// process it started by PID.
#include "commands.hpp"

#include "child_process.hpp"
#include "cluster_probe.hpp"
#include "demo_dashboard.hpp"
#include "demo_echo.hpp"
#include "demo_layout.hpp"
#include "demo_rpc.hpp"
#include "demo_state.hpp"
#include "demo_workload.hpp"
#include "process_fleet.hpp"

#include <coronet/pubsub/blocking_client.hpp>
#include <coronet/transports/http_client.hpp>

#include <boost/json.hpp>
#include <fmt/core.h>

#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <set>
#include <functional>
#include <iostream>
#include <thread>

namespace coronet::cli {

namespace {

using boost::beast::http::verb;
using clock_type = std::chrono::steady_clock;

struct demo_flags {
    std::string dir;        ///< empty: a new directory under the system's temp dir
    unsigned seconds = 0;   ///< stay up this long after the summary (0: until Ctrl-C)
    bool quick = false;     ///< smaller workloads (tests)
    unsigned dashboard_port = 8900; ///< 0: any free port
};

std::string loopback(unsigned port) { return fmt::format("127.0.0.1:{}", port); }

void say(const std::string& line) {
    fmt::print("{}\n", line);
    std::cout.flush();
}

kv_cluster_procs start_kv(process_fleet& fleet, port_picker& ports, const std::filesystem::path& dir,
                          const std::string& name, const std::string& replication, const std::string& log_level) {
    kv_cluster_procs c;
    std::vector<std::string> peers;
    for (unsigned id = 1; id <= 3; ++id) {
        c.https.push_back(loopback(ports.next()));
        peers.push_back(fmt::format("{}=tcp://{}={}", id, loopback(ports.next()), c.https.back()));
    }
    for (unsigned id = 1; id <= 3; ++id) {
        std::vector<std::string> args{"--log-level", log_level,     "kv",   "serve",
                                      "--id",        std::to_string(id), "--replication", replication,
                                      "--data-dir",  (dir / fmt::format("{}-{}", name, id)).string()};
        for (const auto& p : peers) args.insert(args.end(), {"--peer", p});
        c.index.push_back(fleet.start(fmt::format("{}-{}", name, id), args));
    }
    return c;
}

dht_ring_procs start_dht(process_fleet& fleet, port_picker& ports, unsigned nodes, const std::string& log_level) {
    dht_ring_procs r;
    std::string bootstrap;
    for (unsigned i = 1; i <= nodes; ++i) {
        auto udp = loopback(ports.next());
        r.udp.push_back(udp);
        r.https.push_back(loopback(ports.next()));
        std::vector<std::string> args{"--log-level", log_level, "dht",   "serve", "--listen", "udp://" + udp,
                                      "--http",      r.https.back(), "--tick-ms", "50"};
        if (bootstrap.empty()) bootstrap = udp;
        else args.insert(args.end(), {"--join", bootstrap});
        r.index.push_back(fleet.start(fmt::format("chord-{}", i), args));
        // The first node must be up before the others ask it to let them in.
        if (i == 1) std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
    return r;
}

broker_procs start_broker(process_fleet& fleet, port_picker& ports, const std::string& log_level) {
    broker_procs b;
    b.url = "tcp://" + loopback(ports.next());
    b.http = loopback(ports.next());
    b.index = fleet.start("broker", {"--log-level", log_level, "broker", "serve", "--url", b.url, "--http", b.http});
    return b;
}

/// Polls `ready` every 100 ms until it holds; throws naming `what` after
/// `limit`, or as soon as a process of the fleet has died.
void wait_for(process_fleet& fleet, const std::string& what, std::chrono::seconds limit,
              const std::function<bool()>& ready) {
    auto deadline = clock_type::now() + limit;
    while (!ready()) {
        fleet.check_running();
        if (clock_type::now() >= deadline)
            throw std::runtime_error(fmt::format("{} not ready within {} s", what, limit.count()));
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
}

bool answers(const std::string& http, const std::string& target) {
    try {
        return http::blocking_client("http://" + http, std::chrono::milliseconds(500)).request(verb::get, target)
                   .status == 200;
    } catch (const std::exception&) {
        return false;
    }
}

boost::json::object kv_status(const std::string& http) {
    auto r = http::blocking_client("http://" + http, std::chrono::milliseconds(500)).request(verb::get, "/v1/status");
    return boost::json::parse(r.body).as_object();
}

double ms_since(clock_type::time_point t) {
    return std::chrono::duration<double, std::milli>(clock_type::now() - t).count();
}

struct failover_result {
    std::uint64_t killed = 0, new_leader = 0;
    double write_again_ms = 0;  ///< SIGKILL of the leader -> a write acknowledged by the new one
    double caught_up_ms = 0;    ///< restart -> the node has applied what the leader had committed
};

/// SIGKILLs the leader, times until a write succeeds again, restarts the node
/// and times until it has caught up.
failover_result kv_failover(process_fleet& fleet, const kv_cluster_procs& c) {
    failover_result out;
    out.killed = kv_agreed_leader(c.https);
    if (!out.killed) throw std::runtime_error("demo: the cluster has no leader before the fail-over");
    fleet.kill(c.index[out.killed - 1]);
    auto t0 = clock_type::now();
    for (std::size_t attempt = 0;; ++attempt) {
        if (ms_since(t0) > 20'000) throw std::runtime_error("demo: no write succeeded within 20 s of the leader's death");
        auto& via = c.https[(out.killed + attempt % 2) % 3]; // the two survivors in turn
        try {
            http::blocking_client client("http://" + via, std::chrono::milliseconds(1000));
            auto r = client.request(verb::put, "/v1/kv/demo/failover", "written after the leader died");
            if (r.status == 200) {
                out.write_again_ms = ms_since(t0);
                out.new_leader = kv_status(client.base().substr(7)).at("id").to_number<std::uint64_t>();
                break;
            }
        } catch (const std::exception&) {
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    auto commit = kv_status(c.https[out.new_leader - 1]).at("commit").to_number<std::uint64_t>();
    fleet.restart(c.index[out.killed - 1]);
    auto t1 = clock_type::now();
    wait_for(fleet, "the restarted KV node", std::chrono::seconds(30), [&] {
        try {
            return kv_status(c.https[out.killed - 1]).at("applied").to_number<std::uint64_t>() >= commit;
        } catch (const std::exception&) {
            return false;
        }
    });
    out.caught_up_ms = ms_since(t1);
    return out;
}

struct dht_failover_result {
    std::size_t keys = 0, readable = 0;
    double all_readable_ms = 0; ///< SIGKILL -> every key read back through another node
    double rejoined_ms = 0;     ///< restart -> the ring is whole again
};

dht_failover_result dht_failover(process_fleet& fleet, const dht_ring_procs& r, std::size_t keys) {
    dht_failover_result out;
    out.keys = keys;
    http::blocking_client writer("http://" + r.https[0]);
    for (std::size_t i = 0; i < keys; ++i) {
        auto put = writer.request(verb::put, fmt::format("/v1/kv/demo-key-{}", i), fmt::format("value {}", i));
        if (put.status != 200) throw std::runtime_error("demo: a DHT put failed: " + put.body);
    }
    auto victim = r.index.size() / 2;
    fleet.kill(r.index[victim]);
    auto t0 = clock_type::now();
    std::vector<bool> got(keys, false);
    http::blocking_client reader("http://" + r.https[0], std::chrono::milliseconds(2000));
    while (out.readable < keys && ms_since(t0) < 20'000) {
        for (std::size_t i = 0; i < keys; ++i) {
            if (got[i]) continue;
            try {
                auto g = reader.request(verb::get, fmt::format("/v1/kv/demo-key-{}?raw=1", i));
                if (g.status == 200 && g.body == fmt::format("value {}", i)) {
                    got[i] = true;
                    ++out.readable;
                }
            } catch (const std::exception&) {
            }
        }
    }
    out.all_readable_ms = ms_since(t0);
    fleet.restart(r.index[victim]);
    auto t1 = clock_type::now();
    wait_for(fleet, "the restarted Chord node", std::chrono::seconds(30), [&] { return dht_ring_formed(r.https); });
    out.rejoined_ms = ms_since(t1);
    return out;
}

std::string per_sec(double v) { return fmt::format("{:.0f}/s", v); }

void row(const std::string& what, const std::string& sync, const std::string& async, const std::string& note = {}) {
    fmt::print("  {:<28} {:<34} {:<36} {}\n", what, sync, async, note);
}

/// Carries out the dashboard's kills and restarts. A restarted first Chord
/// node joins through another: with its first arguments it would found a
/// ring of its own.
void carry_out(process_fleet& fleet, const dashboard_command& c, const dht_ring_procs& ring) {
    for (std::size_t i = 0; i < fleet.size(); ++i) {
        if (fleet.name(i) != c.name) continue;
        if (c.action == "kill") {
            fleet.kill(i);
        } else if (!fleet.running(i)) {
            if (!ring.index.empty() && i == ring.index[0] && ring.udp.size() > 1) {
                auto args = fleet.args(i);
                args.insert(args.end(), {"--join", ring.udp[1]});
                fleet.set_args(i, args);
            }
            fleet.restart(i);
        }
        say(fmt::format("dashboard: {} {}", c.action, c.name));
    }
}

/// Until Ctrl-C (or `seconds`): twice a second, carries out the dashboard's
/// commands, reports processes that died on their own, and publishes a
/// snapshot to the dashboard and on the broker (`coronet.demo.state`). A
/// process that dies is reported and can be restarted from the dashboard.
void live_until_stopped(const sigset_t& stop, unsigned seconds, process_fleet& fleet, demo_dashboard& board,
                        const kv_cluster_procs& kv, const dht_ring_procs& ring, const broker_procs& broker) {
    auto until = clock_type::now() + std::chrono::seconds(seconds);
    std::unique_ptr<pubsub::blocking_client> publisher;
    for (;;) {
        for (const auto& c : board.take_commands()) carry_out(fleet, c, ring);
        for (auto [i, status] : fleet.reap_exited()) {
            say(fmt::format("{} {}; see {}", fleet.name(i), describe_wait_status(status), fleet.log(i).string()));
        }
        auto state = collect_demo_state(fleet, kv, ring, broker);
        board.set_state(state);
        try {
            if (!publisher && fleet.running(broker.index))
                publisher = std::make_unique<pubsub::blocking_client>(broker.url);
            if (publisher) {
                publisher->publish("coronet.demo.state", state);
                publisher->flush();
            }
        } catch (const std::exception&) {
            publisher.reset(); // the broker was killed: reconnect once it is back
        }
        timespec tick{0, 500'000'000};
        if (sigtimedwait(&stop, nullptr, &tick) > 0) return;
        if (seconds && clock_type::now() >= until) return;
    }
}

int demo(const global_options& g, const demo_flags& f) {
    std::filesystem::path dir = f.dir.empty() ? std::filesystem::temp_directory_path() /
                                                    fmt::format("coronet-demo-{}", ::getpid())
                                              : std::filesystem::path(f.dir);
    std::filesystem::create_directories(dir);
    auto child_log_level = g.log_level == "info" ? std::string("warn") : g.log_level;
    auto stop_signals = block_stop_signals();

    say("coronet demo: a Raft KV cluster, a Chord ring and a broker on loopback, sync vs async side by side");
    say(fmt::format("(processes' logs and data in {})\n", dir.string()));
    process_fleet fleet(dir);
    port_picker ports;
    auto kv = start_kv(fleet, ports, dir, "kv", "concurrent", child_log_level);
    auto kv_seq = start_kv(fleet, ports, dir, "kv-seq", "sequential", child_log_level);
    auto ring = start_dht(fleet, ports, 8, child_log_level);
    auto broker = start_broker(fleet, ports, child_log_level);
    wait_for(fleet, "the KV cluster", std::chrono::seconds(20), [&] { return kv_agreed_leader(kv.https) != 0; });
    wait_for(fleet, "the sequential KV cluster", std::chrono::seconds(20),
             [&] { return kv_agreed_leader(kv_seq.https) != 0; });
    wait_for(fleet, "the Chord ring", std::chrono::seconds(30), [&] { return dht_ring_formed(ring.https); });
    wait_for(fleet, "the broker", std::chrono::seconds(10), [&] { return answers(broker.http, "/status"); });
    say(fmt::format("started {} processes: KV nodes (Raft) 3 + 3 sequential, Chord nodes 8, broker 1",
                    fleet.running_count()));
    std::set<std::string> names{"broker"};
    for (auto i : kv.index) names.insert(fleet.name(i));
    for (auto i : ring.index) names.insert(fleet.name(i));
    std::unique_ptr<demo_dashboard> dashboard;
    try {
        dashboard = std::make_unique<demo_dashboard>(f.dashboard_port, names);
    } catch (const std::exception&) {
        if (f.dashboard_port == 0) throw;
        dashboard = std::make_unique<demo_dashboard>(0, names); // the usual port is taken: any other will do
    }
    auto& board = *dashboard;
    board.set_state(collect_demo_state(fleet, kv, ring, broker));
    say(fmt::format("dashboard: {}/  (live while the demo runs)\n", board.url()));

    std::size_t scale = f.quick ? 1 : 5;
    say("measuring: echo over tcp:// and uring://");
    auto echo = measure_echo_transports();
    say("measuring: Cap'n Proto RPC, blocking vs awaitable calls");
    auto rpc = compare_rpc_calls(800 * scale);
    say("measuring: KV writes, sequential vs concurrent Raft replication");
    auto seq_leader = kv_agreed_leader(kv_seq.https);
    auto seq_writes = measure_kv_writes(kv_seq.https[seq_leader - 1], 40 * scale, 8, 10 * scale);
    auto con_leader = kv_agreed_leader(kv.https);
    auto con_writes = measure_kv_writes(kv.https[con_leader - 1], 40 * scale, 8, 10 * scale);
    for (auto i : kv_seq.index) fleet.stop(i); // its part is done
    say("measuring: Chord lookups, iterative vs recursive");
    auto iterative = measure_lookups(ring.https, "iterative", 40 * scale);
    auto recursive = measure_lookups(ring.https, "recursive", 40 * scale);
    say("measuring: broker publishes, confirmed vs pipelined");
    auto pub = measure_publish(broker.url, 400 * scale);
    say("fail-over: SIGKILL of the KV leader, then of a Chord node; both restarted");
    auto kv_fo = kv_failover(fleet, kv);
    auto dht_fo = dht_failover(fleet, ring, 20 * scale);

    fmt::print("\nSummary (sync: one at a time, each waits for its answer; async: many in flight)\n\n");
    row("", "sync", "async", "async/sync");
    for (const auto& m : echo)
        row("echo " + m.url.substr(0, m.url.find(':')) + ", round trips",
            fmt::format("{} (p50 {:.0f} µs)", per_sec(m.sequential_per_sec), m.sequential_rtt.p50() / 1e3),
            fmt::format("{} ({} conns)", per_sec(m.concurrent_per_sec), echo_concurrent_clients),
            fmt::format("{:.1f}x", m.concurrent_per_sec / m.sequential_per_sec));
    row("RPC calls (Cap'n Proto)", fmt::format("{} blocking (p50 {:.0f} µs)", per_sec(rpc.blocking_per_sec),
                                                rpc.blocking_p50_us),
        fmt::format("{} awaitable ({} in flight)", per_sec(rpc.awaitable_per_sec), rpc.in_flight),
        fmt::format("{:.1f}x", rpc.awaitable_per_sec / rpc.blocking_per_sec));
    row("Raft: 1 writer, commit p50", fmt::format("{:.2f} ms sequential repl.", seq_writes.one_client_p50_ms),
        fmt::format("{:.2f} ms concurrent repl.", con_writes.one_client_p50_ms),
        fmt::format("{:.1f}x", seq_writes.one_client_p50_ms / con_writes.one_client_p50_ms));
    row(fmt::format("Raft: {} writers", con_writes.clients), per_sec(seq_writes.many_clients_per_sec) + " sequential",
        per_sec(con_writes.many_clients_per_sec) + " concurrent",
        fmt::format("{:.1f}x", con_writes.many_clients_per_sec / seq_writes.many_clients_per_sec));
    row("Chord lookup (8 nodes)",
        fmt::format("iterative p50 {:.0f} µs, {:.1f} hops", iterative.p50_us, iterative.mean_hops),
        fmt::format("recursive p50 {:.0f} µs, {:.1f} hops", recursive.p50_us, recursive.mean_hops),
        fmt::format("{} failed", iterative.failed + recursive.failed));
    row("broker publish", per_sec(pub.confirmed_per_sec) + " confirmed", per_sec(pub.pipelined_per_sec) + " pipelined",
        fmt::format("{:.1f}x, {}/{} delivered", pub.pipelined_per_sec / pub.confirmed_per_sec, pub.delivered,
                    2 * pub.messages));
    fmt::print("\nFail-over\n\n");
    fmt::print("  KV leader (node {}) SIGKILLed: node {} took over, writes accepted again after {:.0f} ms;\n"
               "    node {} restarted from its data directory, caught up in {:.0f} ms\n",
               kv_fo.killed, kv_fo.new_leader, kv_fo.write_again_ms, kv_fo.killed, kv_fo.caught_up_ms);
    fmt::print("  Chord node SIGKILLed: {}/{} keys read back through the ring after {:.0f} ms (replicas);\n"
               "    restarted, the ring was whole again after {:.0f} ms\n",
               dht_fo.readable, dht_fo.keys, dht_fo.all_readable_ms, dht_fo.rejoined_ms);

    fmt::print("\nStill running (curl them; Prometheus can scrape each /metrics):\n\n");
    for (std::size_t id = 1; id <= 3; ++id)
        fmt::print("  kv node {}     pid {:<8} http://{}/v1/status   /metrics   /v1/kv/KEY\n", id,
                   fleet.pid(kv.index[id - 1]), kv.https[id - 1]);
    for (std::size_t i = 0; i < ring.https.size(); ++i)
        fmt::print("  chord node {}  pid {:<8} http://{}/v1/status   /metrics   /v1/kv/KEY  /v1/lookup/KEY\n", i + 1,
                   fleet.pid(ring.index[i]), ring.https[i]);
    fmt::print("  broker        pid {:<8} {}   gateway http://{}/  (WebSocket /ws, POST /publish/TOPIC, /metrics)\n",
               fleet.pid(broker.index), broker.url, broker.http);
    say(fmt::format("\nDashboard: {}/  (kill and restart nodes there, or kill -9 a pid above)", board.url()));
    say(f.seconds ? fmt::format("Stopping in {} s.", f.seconds)
                  : std::string("Ctrl-C stops every process the demo started."));

    live_until_stopped(stop_signals, f.seconds, fleet, board, kv, ring, broker);
    say(fmt::format("stopping {} processes", fleet.running_count()));
    fleet.stop_all();
    bool all_held = kv_fo.new_leader != 0 && dht_fo.readable == dht_fo.keys && iterative.failed + recursive.failed == 0;
    return all_held ? 0 : 1;
}

} // namespace

void add_demo_command(CLI::App& app, const global_options& g, std::function<int()>& run) {
    auto* d = app.add_subcommand("demo",
                                 "a Raft KV cluster, a Chord ring and a broker on loopback: sync vs async, fail-over");
    auto f = std::make_shared<demo_flags>();
    d->add_option("--dir", f->dir, "where the processes' logs and data go (default: a new temp directory)");
    d->add_option("--for", f->seconds, "stop after this many seconds once the summary is out (0: at Ctrl-C)")
        ->capture_default_str();
    d->add_flag("--quick", f->quick, "smaller workloads");
    d->add_option("--dashboard-port", f->dashboard_port, "the dashboard's port on 127.0.0.1 (0: any free port)")
        ->capture_default_str();
    d->callback([&run, &g, f] { run = [&g, f] { return demo(g, *f); }; });
}

} // namespace coronet::cli
