#include "kv_cluster.hpp"
#include "child_process.hpp"
#include "cluster_probe.hpp"

#include <fmt/core.h>

#include <filesystem>
#include <iostream>
#include <thread>

namespace coronet::cli {

namespace {

struct cluster_flags {
    unsigned nodes = 3;
    unsigned raft_port = 7101;
    unsigned http_port = 8101;
    std::string transport = "tcp";
    std::string data_dir = "coronet-kv";
    bool fresh = false;
    bool no_fsync = false;
    std::string replication = "concurrent";
    unsigned seconds = 0;
};

struct node_process {
    unsigned id;
    std::string raft_url;
    std::string http;
    pid_t pid = 0;
    bool running = true;
};

int cluster(const cluster_flags& f, const global_options& g) {
    if (f.nodes < 1 || f.nodes > 9) throw std::invalid_argument("--nodes is 1..9");
    if (f.transport != "tcp" && f.transport != "uring")
        throw std::invalid_argument("--transport is tcp or uring, not '" + f.transport + "'");
    std::filesystem::path dir = f.data_dir;
    if (f.fresh) std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);

    std::vector<node_process> nodes;
    for (unsigned i = 1; i <= f.nodes; ++i)
        nodes.push_back({i, fmt::format("{}://127.0.0.1:{}", f.transport, f.raft_port + i - 1),
                         fmt::format("127.0.0.1:{}", f.http_port + i - 1)});
    std::vector<std::string> common{"--log-level", g.log_level, "kv", "serve", "--replication", f.replication};
    if (f.no_fsync) common.push_back("--no-fsync");
    for (const auto& n : nodes) {
        common.push_back("--peer");
        common.push_back(fmt::format("{}={}={}", n.id, n.raft_url, n.http));
    }

    // Wait for Ctrl-C synchronously; children get the default handlers back.
    auto stop_signals = block_stop_signals();

    auto stop_all = [&] {
        for (auto& n : nodes)
            if (n.running && n.pid > 0) {
                stop_child(n.pid);
                n.running = false;
            }
    };
    try {
        for (auto& n : nodes) {
            auto args = common;
            auto node_dir = dir / fmt::format("node-{}", n.id);
            for (auto extra : {std::string("--id"), std::to_string(n.id), std::string("--data-dir"), node_dir.string()})
                args.push_back(extra);
            n.pid = spawn_self(args, dir / fmt::format("node-{}.log", n.id));
        }
    } catch (...) {
        stop_all();
        throw;
    }

    std::vector<std::string> https;
    for (const auto& n : nodes) https.push_back(n.http);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    std::uint64_t leader = 0;
    while (!(leader = kv_agreed_leader(https)) && std::chrono::steady_clock::now() < deadline) {
        for (auto& n : nodes)
            if (auto s = exited(n.pid)) {
                n.running = false;
                stop_all();
                throw std::runtime_error(fmt::format("node {} {} at start-up; see {}", n.id, describe_wait_status(*s),
                                                     (dir / fmt::format("node-{}.log", n.id)).string()));
            }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (!leader) {
        stop_all();
        throw std::runtime_error("no leader elected within 20 s; see the logs in " + dir.string());
    }

    fmt::print("coronet kv cluster: {} nodes, leader is node {} (data and logs in {})\n\n", f.nodes, leader,
               dir.string());
    fmt::print("{:<6}{:<8}{:<26}{:<26}{}\n", "node", "pid", "raft", "HTTP API", "role");
    for (const auto& n : nodes)
        fmt::print("{:<6}{:<8}{:<26}{:<26}{}\n", n.id, n.pid, n.raft_url, "http://" + n.http,
                   n.id == leader ? "leader" : "follower");
    fmt::print("\nTry:\n"
               "  curl -L -X PUT --data-binary hello http://{0}/v1/kv/greeting\n"
               "  curl http://{1}/v1/kv/greeting\n"
               "  curl http://{1}/v1/status\n"
               "  coronet kv put colour blue --url http://{1}   (followers redirect writes to the leader)\n"
               "  kill -9 <the leader's pid>   and watch another take over\n\n",
               nodes[leader - 1].http, nodes[leader % nodes.size()].http);
    fmt::print("{}\n", f.seconds ? fmt::format("Stopping in {} s.", f.seconds) : std::string("Ctrl-C stops every node."));
    std::cout.flush();

    std::vector<pid_t> pids;
    for (const auto& n : nodes) pids.push_back(n.running ? n.pid : 0);
    supervise(stop_signals, pids, f.seconds, [&](std::size_t i, int status) {
        nodes[i].running = false;
        fmt::print("node {} (pid {}) {}\n", nodes[i].id, nodes[i].pid, describe_wait_status(status));
        std::cout.flush();
    });
    fmt::print("stopping {} nodes\n", f.nodes);
    stop_all();
    return 0;
}

} // namespace

void add_kv_cluster(CLI::App& kv, const global_options& g, std::function<int()>& run) {
    auto f = std::make_shared<cluster_flags>();
    auto* c = kv.add_subcommand("cluster", "start a local cluster (one process per node, loopback) until Ctrl-C");
    c->add_option("--nodes", f->nodes, "how many nodes (1..9)")->capture_default_str();
    c->add_option("--raft-port", f->raft_port, "node i's Raft port is this + i - 1")->capture_default_str();
    c->add_option("--http-port", f->http_port, "node i's HTTP port is this + i - 1")->capture_default_str();
    c->add_option("--transport", f->transport, "tcp or uring, between the nodes")->capture_default_str();
    c->add_option("--data-dir", f->data_dir, "each node's WAL in DIR/node-i, its log in DIR/node-i.log")
        ->capture_default_str();
    c->add_flag("--fresh", f->fresh, "delete the data directory first");
    c->add_flag("--no-fsync", f->no_fsync, "nodes do not fsync their WAL");
    c->add_option("--replication", f->replication, "concurrent (async) or sequential (sync)")->capture_default_str();
    c->add_option("--for", f->seconds, "stop after this many seconds (0: at Ctrl-C)")->capture_default_str();
    c->callback([&run, &g, f] { run = [&g, f] { return cluster(*f, g); }; });
}

} // namespace coronet::cli
