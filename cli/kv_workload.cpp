#include "kv_workload.hpp"

#include <coronet/consensus/kv/history.hpp>
#include <coronet/consensus/kv/linearizability.hpp>
#include <coronet/transports/http_client.hpp>

#include <boost/json.hpp>

#include <fmt/core.h>

#include <atomic>
#include <iostream>
#include <random>
#include <thread>

namespace coronet::cli {

namespace {

namespace kv = consensus::kv;
using boost::beast::http::verb;

struct workload_flags {
    std::vector<std::string> urls{"http://127.0.0.1:8101", "http://127.0.0.1:8102", "http://127.0.0.1:8103"};
    std::string history;
    unsigned clients = 8;
    double seconds = 10;
    std::size_t ops_max = 100'000;
    unsigned keys = 5;
    double writes = 0.5;
    unsigned attempt_timeout_ms = 1'000;
    unsigned op_timeout_ms = 5'000;
    std::uint64_t seed = 0;
};

struct check_flags {
    std::string history;
    double seconds = 60;
};

struct tally {
    std::atomic<std::size_t> ok{0}, failed{0}, unknown{0}, reads_dropped{0}, retries{0};
};

/// One client: operations one after another, each recorded with when it was
/// called and when it returned. A write is retried (same client and seq, so
/// the cluster applies it once) on other nodes until it is answered or its
/// time is up; then it is `unknown` — it may still take effect.
void run_client(const workload_flags& f, std::uint64_t client, std::uint64_t seed, kv::history_writer& out,
                tally& t, std::atomic<long long>& budget, std::chrono::steady_clock::time_point until) {
    std::mt19937_64 rng(seed);
    std::vector<std::unique_ptr<http::blocking_client>> nodes;
    for (const auto& u : f.urls)
        nodes.push_back(std::make_unique<http::blocking_client>(u, std::chrono::milliseconds(f.attempt_timeout_ms)));
    std::size_t node = rng() % nodes.size();
    std::uint64_t seq = 0;
    while (std::chrono::steady_clock::now() < until && budget.fetch_sub(1) > 0) {
        kv::operation op;
        op.client = client;
        op.key = fmt::format("k{}", rng() % f.keys);
        double dice = std::uniform_real_distribution<>(0, 1)(rng);
        op.kind = dice < f.writes * 0.9 ? kv::operation_kind::put
                  : dice < f.writes     ? kv::operation_kind::del
                                        : kv::operation_kind::get;
        auto target = "/v1/kv/" + op.key;
        std::string body;
        verb method = verb::get;
        if (op.kind != kv::operation_kind::get) {
            ++seq;
            target += fmt::format("?client={}&seq={}", client, seq);
            method = op.kind == kv::operation_kind::put ? verb::put : verb::delete_;
            if (op.kind == kv::operation_kind::put) op.value = body = fmt::format("c{}-{}", client, seq);
        }
        op.call_ns = kv::history_now_ns();
        auto give_up = std::chrono::steady_clock::now() + std::chrono::milliseconds(f.op_timeout_ms);
        std::optional<http::reply> answer;
        for (bool first = true; !answer && std::chrono::steady_clock::now() < give_up; first = false) {
            if (!first) {
                ++t.retries;
                node = (node + 1) % nodes.size();
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
            }
            try {
                auto r = nodes[node]->request(method, target, body);
                if (r.status < 500) answer = std::move(r);
            } catch (const std::exception&) {
                nodes[node] = std::make_unique<http::blocking_client>(f.urls[node],
                                                                      std::chrono::milliseconds(f.attempt_timeout_ms));
            }
            if (op.kind == kv::operation_kind::get) break; // a read that failed is simply not recorded
        }
        op.return_ns = kv::history_now_ns();
        if (op.kind == kv::operation_kind::get) {
            if (!answer || (answer->status != 200 && answer->status != 404)) {
                ++t.reads_dropped;
                continue;
            }
            if (answer->status == 200)
                op.value = std::string(boost::json::parse(answer->body).at("value").as_string());
            op.outcome = kv::outcome::ok;
        } else if (!answer) {
            op.outcome = kv::outcome::unknown;
        } else if (answer->status == 200 || (op.kind == kv::operation_kind::del && answer->status == 404)) {
            op.outcome = kv::outcome::ok;
        } else {
            op.outcome = kv::outcome::fail; // refused (4xx) before it was proposed
        }
        if (op.kind == kv::operation_kind::del) op.value.reset();
        (op.outcome == kv::outcome::ok ? t.ok : op.outcome == kv::outcome::fail ? t.failed : t.unknown)++;
        out.append(op);
    }
}

int workload(const workload_flags& f) {
    if (f.clients == 0 || f.keys == 0) throw std::invalid_argument("--clients and --keys must be at least 1");
    if (f.history.empty()) throw std::invalid_argument("--history FILE is required");
    kv::history_writer out(f.history);
    std::random_device rd;
    auto seed = f.seed ? f.seed : (std::uint64_t{rd()} << 32 | rd());
    // Distinct client ids per run, so that runs appending to one file never
    // share an exactly-once session.
    auto base = (seed & 0xffff'ffffULL) << 16;
    tally t;
    std::atomic<long long> budget{static_cast<long long>(f.ops_max)};
    auto start = std::chrono::steady_clock::now();
    auto until = start + std::chrono::milliseconds(static_cast<long>(f.seconds * 1000));
    std::vector<std::thread> threads;
    for (unsigned i = 0; i < f.clients; ++i)
        threads.emplace_back([&, i] { run_client(f, base + i + 1, seed + i, out, t, budget, until); });
    for (auto& th : threads) th.join();
    double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    auto total = t.ok + t.failed + t.unknown;
    fmt::print("{} operations recorded in {:.1f} s ({:.0f}/s): {} ok, {} refused, {} unknown (timed out); "
               "{} retries, {} failed reads not recorded -> {}\n",
               total, elapsed, total / elapsed, t.ok.load(), t.failed.load(), t.unknown.load(), t.retries.load(),
               t.reads_dropped.load(), f.history);
    return 0;
}

int check(const check_flags& f) {
    auto history = kv::read_history(f.history);
    kv::check_options o;
    o.deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(static_cast<long>(f.seconds * 1000));
    auto r = kv::check_linearizable(history, o);
    if (r.ok) {
        fmt::print("linearizable: {} operations ({} search states)\n", history.size(), r.states_explored);
        return 0;
    }
    if (r.timed_out) {
        fmt::print("undecided: the search budget ran out on key '{}' after {} states\n", r.key, r.states_explored);
        return 2;
    }
    fmt::print("NOT linearizable: key '{}': {}\n", r.key, r.explanation);
    for (auto i : r.operations) fmt::print("  {}\n", kv::format_history_line(history.at(i)));
    return 1;
}

} // namespace

void add_kv_workload(CLI::App& kvc, const global_options&, std::function<int()>& run) {
    auto w = std::make_shared<workload_flags>();
    auto* wc = kvc.add_subcommand("workload", "concurrent clients doing gets, puts and deletes; records a history");
    wc->add_option("--url", w->urls, "every node's HTTP API (clients spread over them and fail over)")
        ->delimiter(',')
        ->capture_default_str();
    wc->add_option("--history", w->history, "append each operation to this JSON-lines file")->required();
    wc->add_option("--clients", w->clients, "concurrent clients (threads)")->capture_default_str();
    wc->add_option("--seconds", w->seconds, "how long to run")->capture_default_str();
    wc->add_option("--ops", w->ops_max, "stop after this many operations in all")->capture_default_str();
    wc->add_option("--keys", w->keys, "distinct keys (fewer: more contention)")->capture_default_str();
    wc->add_option("--writes", w->writes, "fraction of writes (puts and some deletes)")->capture_default_str();
    wc->add_option("--attempt-timeout-ms", w->attempt_timeout_ms, "one request to one node")->capture_default_str();
    wc->add_option("--op-timeout-ms", w->op_timeout_ms, "a write is retried until this, then recorded unknown")
        ->capture_default_str();
    wc->add_option("--seed", w->seed, "0: random");
    wc->callback([&run, w] { run = [w] { return workload(*w); }; });

    auto c = std::make_shared<check_flags>();
    auto* cc = kvc.add_subcommand("check", "check that a recorded history is linearizable (exit 0 yes, 1 no, 2 undecided)");
    cc->add_option("history", c->history, "the JSON-lines history")->required();
    cc->add_option("--seconds", c->seconds, "search time limit")->capture_default_str();
    cc->callback([&run, c] { run = [c] { return check(*c); }; });
}

} // namespace coronet::cli
