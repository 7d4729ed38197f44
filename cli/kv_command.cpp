// coronet kv serve|cluster|get|put|cas|del|list|status: the replicated KV
// store's node program, a local cluster, and a small client.
#include "commands.hpp"
#include "http_call.hpp"
#include <coronet/transports/http_client.hpp>
#include "kv_cluster.hpp"
#include "kv_workload.hpp"

#include <coronet/consensus/kv/server.hpp>
#include <coronet/runtime.hpp>
#include <coronet/until_cancelled.hpp>

#include <boost/json.hpp>
#include <fmt/core.h>

#include <iostream>
#include <random>

namespace coronet::cli {

namespace {

namespace kv = consensus::kv;
namespace raft = consensus::raft;
using boost::beast::http::verb;

constexpr const char* default_url = "http://127.0.0.1:8101";

struct serve_flags {
    std::uint64_t id = 0;
    std::vector<std::string> peers;
    std::string data_dir;
    bool no_fsync = false;
    std::string replication = "concurrent";
    unsigned tick_ms = 15;
    std::uint64_t snapshot_every = 10'000;
    unsigned timeout_ms = 5'000;
    bool fault_injection = false;
    bool lease_reads = false;
    bool join = false;
};

struct client_flags {
    std::string url = default_url;
    std::string key;
    std::string value;
    std::optional<std::uint64_t> version;
    std::string prefix;
    std::size_t limit = 100;
    unsigned timeout_ms = 10'000;
    std::uint64_t member = 0;
    std::string raft_url;
    std::string http;
    bool learner = false;
};

raft::replication_mode replication_of(const std::string& s) {
    if (s == "concurrent" || s == "async") return raft::replication_mode::concurrent;
    if (s == "sequential" || s == "sync") return raft::replication_mode::sequential;
    throw std::invalid_argument("--replication is concurrent (async) or sequential (sync), not '" + s + "'");
}

int serve(const serve_flags& f, const global_options& g) {
    kv::server_options o;
    o.id = f.id;
    for (const auto& p : f.peers) o.members.insert(kv::parse_member(p));
    if (!o.members.contains(o.id))
        throw std::invalid_argument(fmt::format("--id {} has no --peer {}=RAFT_URL=HOST:PORT entry", f.id, f.id));
    o.data_dir = f.data_dir;
    o.sync = f.no_fsync ? raft::sync_mode::none : raft::sync_mode::fsync;
    o.node.raft.replication = replication_of(f.replication);
    o.node.tick = std::chrono::milliseconds(f.tick_ms);
    o.node.snapshot_every = f.snapshot_every;
    o.api.timeout = std::chrono::milliseconds(f.timeout_ms);
    o.fault_injection = f.fault_injection;
    o.node.raft.lease_reads = f.lease_reads;
    o.join = f.join;
    runtime_options ro;
    ro.log = make_logger("kv", parse_log_level(g.log_level));
    runtime rt(ro);
    rt.spawn([](runtime& rt, kv::server_options o) -> asio::awaitable<void> {
        kv::server s(co_await asio::this_coro::executor, o, rt.log());
        s.start();
        co_await until_cancelled();
        co_await s.stop();
        rt.log()->info("kv node {} stopped", o.id);
    }(rt, std::move(o)));
    rt.run();
    return 0;
}

/// Runs one request through http_call (retried while the cluster has no
/// leader or the node is unreachable).
int call(const client_flags& f, verb method, const std::string& target, const std::string& body = {}) {
    return http_call(f.url, std::chrono::milliseconds(f.timeout_ms), method, target, body);
}

std::string key_target(const std::string& key) { return "/v1/kv/" + http::url_encode(key); }

/// A write's exactly-once identity: call() retries after failovers, and the
/// cluster must apply the write once however many copies reach it.
std::string once() {
    std::random_device rd;
    auto client = (std::uint64_t{rd()} << 31 ^ rd()) | 1;
    return fmt::format("client={}&seq=1", client);
}

void add_serve(CLI::App& kvc, const global_options& g, std::function<int()>& run) {
    auto f = std::make_shared<serve_flags>();
    auto* s = kvc.add_subcommand("serve", "run one node of a replicated KV cluster (Raft + HTTP API)");
    s->add_option("--id", f->id, "this node's id (a member below)")->required();
    s->add_option("--peer", f->peers, "every member, this one included: ID=RAFT_URL=HOST:PORT "
                                      "(e.g. 1=tcp://127.0.0.1:7101=127.0.0.1:8101)")
        ->required();
    s->add_option("--data-dir", f->data_dir, "WAL and snapshots (empty: in memory, lost on exit)");
    s->add_flag("--no-fsync", f->no_fsync, "do not fsync the WAL (survives a process crash, not a power cut)");
    s->add_option("--replication", f->replication, "concurrent (async, default) or sequential (sync)")
        ->capture_default_str();
    s->add_option("--tick-ms", f->tick_ms, "Raft tick; elections time out after 10-20 ticks")->capture_default_str();
    s->add_option("--snapshot-every", f->snapshot_every, "entries between snapshots")->capture_default_str();
    s->add_option("--timeout-ms", f->timeout_ms, "how long a request may wait for the cluster")
        ->capture_default_str();
    s->add_flag("--lease-reads", f->lease_reads,
                "serve reads on the leader's lease instead of a heartbeat round (assumes bounded clock drift)");
    s->add_flag("--fault-injection", f->fault_injection,
                "serve /v1/faults/partition so a test can cut this node off from peers (tests only)");
    s->add_flag("--join", f->join,
                "join a running cluster: start as no member, and wait for `kv member add` on its leader");
    s->callback([&run, &g, f] { run = [&g, f] { return serve(*f, g); }; });
}

void add_client(CLI::App& kvc, std::function<int()>& run) {
    auto f = std::make_shared<client_flags>();
    auto url = [f](CLI::App* c) {
        c->add_option("--url", f->url, "any node's HTTP API")->capture_default_str();
        c->add_option("--timeout-ms", f->timeout_ms, "give up after this long")->capture_default_str();
    };
    auto* get = kvc.add_subcommand("get", "read a key (linearizable)");
    get->add_option("key", f->key)->required();
    url(get);
    get->callback([&run, f] { run = [f] { return call(*f, verb::get, key_target(f->key)); }; });

    auto* put = kvc.add_subcommand("put", "write a key (compare-and-swap with --version)");
    put->add_option("key", f->key)->required();
    put->add_option("value", f->value)->required();
    put->add_option("--version", f->version, "write only if the key has this version (0: only if absent)");
    url(put);
    put->callback([&run, f] {
        run = [f] {
            auto target = key_target(f->key) + "?" + once();
            if (f->version) target += "&version=" + std::to_string(*f->version);
            return call(*f, verb::put, target, f->value);
        };
    });

    auto* del = kvc.add_subcommand("del", "delete a key");
    del->add_option("key", f->key)->required();
    url(del);
    del->callback([&run, f] { run = [f] { return call(*f, verb::delete_, key_target(f->key) + "?" + once()); }; });

    auto* list = kvc.add_subcommand("list", "keys with a prefix, in order");
    list->add_option("prefix", f->prefix);
    list->add_option("--limit", f->limit)->capture_default_str();
    url(list);
    list->callback([&run, f] {
        run = [f] {
            return call(*f, verb::get,
                        "/v1/kv?prefix=" + http::url_encode(f->prefix, false) + "&limit=" + std::to_string(f->limit));
        };
    });

    auto* status = kvc.add_subcommand("status", "a node's view of the cluster: role, term, leader, indexes");
    url(status);
    status->callback([&run, f] { run = [f] { return call(*f, verb::get, "/v1/status"); }; });

    auto* member = kvc.add_subcommand("member", "list, add, promote or remove members of a running cluster");
    member->require_subcommand(1);
    auto* mlist = member->add_subcommand("list", "voters and learners, with their addresses");
    url(mlist);
    mlist->callback([&run, f] { run = [f] { return call(*f, verb::get, "/v1/members"); }; });
    auto* madd = member->add_subcommand("add", "add a node started with `kv serve --join` (its addresses go in the log)");
    madd->add_option("id", f->member, "the new node's --id")->required()->check(CLI::Range(std::uint64_t{1}, UINT64_MAX));
    madd->add_option("raft_url", f->raft_url, "where its Raft transport listens, e.g. tcp://127.0.0.1:7104")->required();
    madd->add_option("http", f->http, "where its HTTP API listens, e.g. 127.0.0.1:8104")->required();
    madd->add_flag("--learner", f->learner, "add it as a learner (it catches up without voting; promote it next)");
    url(madd);
    madd->callback([&run, f] {
        run = [f] {
            boost::json::object body{{"id", f->member}, {"raft", f->raft_url}, {"http", f->http}, {"learner", f->learner}};
            return call(*f, verb::post, "/v1/members", boost::json::serialize(body));
        };
    });
    auto* mpromote = member->add_subcommand("promote", "make a caught-up learner a voter");
    mpromote->add_option("id", f->member)->required();
    url(mpromote);
    mpromote->callback([&run, f] {
        run = [f] { return call(*f, verb::post, "/v1/members/" + std::to_string(f->member) + "/promote"); };
    });
    auto* mremove = member->add_subcommand("remove", "remove a member (then its addresses)");
    mremove->add_option("id", f->member)->required();
    url(mremove);
    mremove->callback([&run, f] {
        run = [f] { return call(*f, verb::delete_, "/v1/members/" + std::to_string(f->member)); };
    });
}

} // namespace

void add_kv_command(CLI::App& app, const global_options& g, std::function<int()>& run) {
    auto* kvc = app.add_subcommand("kv", "the replicated key-value store (Raft): run nodes, a local cluster, a client");
    kvc->require_subcommand(1);
    add_serve(*kvc, g, run);
    add_kv_cluster(*kvc, g, run);
    add_client(*kvc, run);
    add_kv_workload(*kvc, g, run);
}

} // namespace coronet::cli
