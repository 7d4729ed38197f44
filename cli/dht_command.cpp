// coronet dht serve|ring|get|put|del|lookup|status: a Chord node program, a
// local ring of them, and a small client of their HTTP API.
#include "commands.hpp"
#include "http_endpoint.hpp"
#include "child_process.hpp"
#include "cluster_probe.hpp"
#include "http_call.hpp"

#include <coronet/dht/chord/http_api.hpp>
#include <coronet/dht/chord/node_metrics.hpp>
#include <coronet/dht/chord/node.hpp>
#include <coronet/runtime.hpp>
#include <coronet/transports/http_client.hpp>
#include <coronet/until_cancelled.hpp>

#include <boost/json.hpp>

#include <fmt/core.h>

#include <filesystem>
#include <iostream>
#include <thread>

namespace coronet::cli {

namespace {

namespace chord = dht::chord;
using boost::beast::http::verb;

struct serve_flags {
    std::string listen = "udp://127.0.0.1:7400";
    std::string http = "127.0.0.1:8400";
    std::string join;
    unsigned tick_ms = 100;
    unsigned bits = 160;
    std::size_t successors = 8;
    std::size_t replicas = 3;
    std::string style = "recursive";
    unsigned virtual_nodes = 1;
};

/// The listen URL of virtual node `i`: the same host, the port plus i.
std::string virtual_listen(const std::string& listen, unsigned i) {
    if (i == 0) return listen;
    auto colon = listen.rfind(':');
    unsigned long port = 0;
    try {
        port = colon == std::string::npos ? 0 : std::stoul(listen.substr(colon + 1));
    } catch (const std::exception&) {
    }
    if (port == 0 || port + i > 65535)
        throw std::invalid_argument("--virtual-nodes needs --listen with a fixed port (virtual node i takes port + i), not '" +
                                    listen + "'");
    return listen.substr(0, colon + 1) + std::to_string(port + i);
}

chord::lookup_style style_of(const std::string& s) {
    if (s == "recursive" || s == "async") return chord::lookup_style::recursive;
    if (s == "iterative" || s == "sync") return chord::lookup_style::iterative;
    throw std::invalid_argument("--style is recursive (async) or iterative (sync), not '" + s + "'");
}

int serve(const serve_flags& f, const global_options& g) {
    if (f.virtual_nodes < 1 || f.virtual_nodes > 16) throw std::invalid_argument("--virtual-nodes is 1..16");
    std::vector<chord::node_options> options;
    for (unsigned i = 0; i < f.virtual_nodes; ++i) {
        chord::node_options o;
        o.listen = virtual_listen(f.listen, i);
        o.tick = std::chrono::milliseconds(f.tick_ms);
        o.id_bits = f.bits;
        o.successors = f.successors;
        o.replicas = f.replicas;
        o.style = style_of(f.style);
        o.seed = i + 1;
        options.push_back(std::move(o));
    }
    auto ep = http_endpoint(f.http);
    runtime_options ro;
    ro.log = make_logger("dht", parse_log_level(g.log_level));
    runtime rt(ro);
    int status = 0;
    rt.spawn([](runtime& rt, std::vector<chord::node_options> options, asio::ip::tcp::endpoint ep, std::string join,
                int& status) -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        // Virtual nodes (the Chord paper's §6.2): this process takes several
        // places on the ring, each with its own id (the hash of its own
        // address) and socket, so its share of the keys is the sum of several
        // arcs and closer to the mean. The HTTP API and /metrics are node 0's;
        // any node answers for any key.
        std::vector<std::unique_ptr<chord::node>> nodes;
        for (const auto& o : options) nodes.push_back(std::make_unique<chord::node>(ex, o, rt.log()));
        auto& n = *nodes.front();
        chord::http_api api(n);
        metrics_registry metrics;
        chord::register_metrics(metrics, n);
        http::server_options ho;
        ho.metrics = &metrics;
        http::server server(ex, ep, [&api](const http::request& r) { return api.handle(r); }, ho, rt.log());
        for (auto& v : nodes) v->start();
        server.start();
        std::string why;
        for (std::size_t i = 0; i < nodes.size() && why.empty(); ++i) {
            auto& v = *nodes[i];
            // The first node creates the ring or joins through --join; the
            // others join through the first.
            auto through = i == 0 ? join : nodes.front()->self().address;
            if (through.empty()) {
                v.create();
                rt.log()->info("dht node {} at {} created a ring; API at {}", v.self().id.to_hex(), v.self().address,
                               server.url());
                continue;
            }
            try {
                co_await v.join(through, std::chrono::seconds(30));
            } catch (const chord::request_error& e) {
                why = fmt::format("dht node at {} could not join through {}: {}", v.self().address, through, e.what());
            }
            if (why.empty())
                rt.log()->info("dht node {} at {} joined through {}; API at {}", v.self().id.to_hex(),
                               v.self().address, through, server.url());
        }
        if (why.empty()) {
            co_await until_cancelled();
        } else {
            rt.log()->error("{}", why);
            status = 1;
        }
        co_await server.stop();
        for (auto& v : nodes) {
            co_await v->stop(); // hands its keys to its successor
            rt.log()->info("dht node {} left", v->self().address);
        }
    }(rt, std::move(options), ep, f.join, status));
    rt.run();
    return status;
}

struct ring_flags {
    unsigned nodes = 8;
    unsigned port = 7400;
    unsigned http_port = 8400;
    std::string dir = "coronet-dht";
    unsigned tick_ms = 100;
    unsigned seconds = 0;
    unsigned virtual_nodes = 1;
    std::string transport = "udp";
};

int ring(const ring_flags& f, const global_options& g) {
    if (f.nodes < 1 || f.nodes > 64) throw std::invalid_argument("--nodes is 1..64");
    if (f.virtual_nodes < 1 || f.virtual_nodes > 16) throw std::invalid_argument("--virtual-nodes is 1..16");
    if (f.transport != "udp" && f.transport != "tcp" && f.transport != "uring")
        throw std::invalid_argument("--transport is udp, tcp or uring, not '" + f.transport + "'");
    std::filesystem::path dir = f.dir;
    std::filesystem::create_directories(dir);
    auto stop_signals = block_stop_signals();

    std::vector<pid_t> pids;
    std::vector<std::string> chord_addresses, https;
    auto stop_all = [&] {
        for (auto& p : pids)
            if (p > 0) stop_child(p);
        pids.clear();
    };
    try {
        for (unsigned i = 0; i < f.nodes; ++i) {
            // Each process's virtual nodes take the ports after its own.
            chord_addresses.push_back(fmt::format("127.0.0.1:{}", f.port + i * f.virtual_nodes));
            https.push_back(fmt::format("127.0.0.1:{}", f.http_port + i));
            std::vector<std::string> args{"--log-level", g.log_level, "dht", "serve",
                                          "--listen", f.transport + "://" + chord_addresses.back(),
                                          "--http", https.back(), "--tick-ms", std::to_string(f.tick_ms),
                                          "--virtual-nodes", std::to_string(f.virtual_nodes)};
            if (i > 0) {
                args.push_back("--join");
                args.push_back(chord_addresses.front());
            }
            pids.push_back(spawn_self(args, dir / fmt::format("node-{}.log", i + 1)));
            // The first node must be up before the others ask it to let them in.
            if (i == 0) std::this_thread::sleep_for(std::chrono::milliseconds(300));
        }
    } catch (...) {
        stop_all();
        throw;
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!dht_ring_formed(https)) {
        for (std::size_t i = 0; i < pids.size(); ++i)
            if (auto s = exited(pids[i])) {
                pids[i] = 0;
                stop_all();
                throw std::runtime_error(fmt::format("node {} {} at start-up; see {}", i + 1, describe_wait_status(*s),
                                                     (dir / fmt::format("node-{}.log", i + 1)).string()));
            }
        if (std::chrono::steady_clock::now() >= deadline) {
            stop_all();
            throw std::runtime_error("the ring did not form within 30 s; see the logs in " + dir.string());
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    fmt::print("coronet dht ring: {} Chord nodes on loopback (logs in {})\n\n", f.nodes, dir.string());
    fmt::print("{:<6}{:<8}{:<22}{}\n", "node", "pid", "chord (" + f.transport + ")", "HTTP API");
    for (std::size_t i = 0; i < pids.size(); ++i)
        fmt::print("{:<6}{:<8}{:<22}{}\n", i + 1, pids[i], chord_addresses[i], "http://" + https[i]);
    fmt::print("\nTry:\n"
               "  curl -X PUT --data-binary hello http://{0}/v1/kv/greeting\n"
               "  curl http://{1}/v1/kv/greeting\n"
               "  curl 'http://{1}/v1/lookup/greeting?style=iterative'\n"
               "  curl http://{1}/v1/status\n"
               "  kill -9 <a pid>   and the keys it owned are still there\n\n",
               https.front(), https.back());
    fmt::print("{}\n", f.seconds ? fmt::format("Stopping in {} s.", f.seconds) : std::string("Ctrl-C stops every node."));
    std::cout.flush();
    supervise(stop_signals, pids, f.seconds, [&](std::size_t i, int status) {
        fmt::print("node {} (pid {}) {}\n", i + 1, pids[i], describe_wait_status(status));
        std::cout.flush();
    });
    fmt::print("stopping {} nodes\n", f.nodes);
    stop_all();
    return 0;
}

struct client_flags {
    std::string url = "http://127.0.0.1:8400";
    std::string key;
    std::string value;
    std::string style = "recursive";
    unsigned timeout_ms = 10'000;
};

std::string key_target(const std::string& prefix, const std::string& key) { return prefix + http::url_encode(key); }

void add_client(CLI::App& d, std::function<int()>& run) {
    auto f = std::make_shared<client_flags>();
    auto common = [f](CLI::App* c) {
        c->add_option("--url", f->url, "any node's HTTP API")->capture_default_str();
        c->add_option("--timeout-ms", f->timeout_ms, "give up after this long")->capture_default_str();
    };
    auto go = [f](verb v, std::string target, std::string body = {}) {
        return http_call(f->url, std::chrono::milliseconds(f->timeout_ms), v, target, body);
    };
    auto* get = d.add_subcommand("get", "read a key (routed to its owner)");
    get->add_option("key", f->key)->required();
    common(get);
    get->callback([&run, f, go] { run = [f, go] { return go(verb::get, key_target("/v1/kv/", f->key)); }; });
    auto* put = d.add_subcommand("put", "write a key");
    put->add_option("key", f->key)->required();
    put->add_option("value", f->value)->required();
    common(put);
    put->callback([&run, f, go] { run = [f, go] { return go(verb::put, key_target("/v1/kv/", f->key), f->value); }; });
    auto* del = d.add_subcommand("del", "delete a key");
    del->add_option("key", f->key)->required();
    common(del);
    del->callback([&run, f, go] { run = [f, go] { return go(verb::delete_, key_target("/v1/kv/", f->key)); }; });
    auto* look = d.add_subcommand("lookup", "which node owns a key, and in how many hops");
    look->add_option("key", f->key)->required();
    look->add_option("--style", f->style, "recursive or iterative")->capture_default_str();
    common(look);
    look->callback([&run, f, go] {
        run = [f, go] { return go(verb::get, key_target("/v1/lookup/", f->key) + "?style=" + f->style); };
    });
    auto* status = d.add_subcommand("status", "a node's id, neighbours, fingers and counters");
    common(status);
    status->callback([&run, go] { run = [go] { return go(verb::get, "/v1/status"); }; });
}

} // namespace

void add_dht_command(CLI::App& app, const global_options& g, std::function<int()>& run) {
    auto* d = app.add_subcommand("dht", "the Chord DHT: run a node, a local ring, a client");
    d->require_subcommand(1);

    auto sf = std::make_shared<serve_flags>();
    auto* s = d->add_subcommand("serve", "run one Chord node (UDP or connections between nodes, HTTP/JSON API)");
    s->add_option("--listen", sf->listen,
                  "the node's URL: udp:// (or fault+udp://), or tcp:// / uring:// for messages over connections; "
                  "every node of a ring uses the same kind")
        ->capture_default_str();
    s->add_option("--http", sf->http, "HOST:PORT of the HTTP API")->capture_default_str();
    s->add_option("--join", sf->join, "IP:PORT of any ring member (none: create a new ring)");
    s->add_option("--tick-ms", sf->tick_ms, "the protocol's time unit (stabilize every 5 ticks)")->capture_default_str();
    s->add_option("--bits", sf->bits, "m: ids on a ring of 2^m (1..160)")->capture_default_str();
    s->add_option("--successors", sf->successors, "r: successor-list length")->capture_default_str();
    s->add_option("--replicas", sf->replicas, "copies of each key (owner + successors)")->capture_default_str();
    s->add_option("--style", sf->style, "how get/put find a key's owner: recursive (async) or iterative (sync)")
        ->capture_default_str();
    s->add_option("--virtual-nodes", sf->virtual_nodes,
                  "places on the ring this process takes (1..16), on the --listen port and the ones after it")
        ->capture_default_str();
    s->callback([&run, &g, sf] { run = [&g, sf] { return serve(*sf, g); }; });

    auto rf = std::make_shared<ring_flags>();
    auto* r = d->add_subcommand("ring", "start a local ring (one process per node, loopback) until Ctrl-C");
    r->add_option("--nodes", rf->nodes, "how many nodes (1..64)")->capture_default_str();
    r->add_option("--port", rf->port, "node i's Chord port is this + i - 1")->capture_default_str();
    r->add_option("--transport", rf->transport, "between the nodes: udp, tcp or uring")->capture_default_str();
    r->add_option("--http-port", rf->http_port, "node i's HTTP port is this + i - 1")->capture_default_str();
    r->add_option("--dir", rf->dir, "where the nodes' logs go")->capture_default_str();
    r->add_option("--tick-ms", rf->tick_ms, "the protocol's time unit")->capture_default_str();
    r->add_option("--for", rf->seconds, "stop after this many seconds (0: at Ctrl-C)")->capture_default_str();
    r->add_option("--virtual-nodes", rf->virtual_nodes, "virtual nodes per process (1..16)")->capture_default_str();
    r->callback([&run, &g, rf] { run = [&g, rf] { return ring(*rf, g); }; });

    add_client(*d, run);
}

} // namespace coronet::cli
