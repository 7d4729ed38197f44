// Client histories recorded on a simulated Raft cluster (virtual time, an
// in-process network) while a nemesis partitions nodes, checked by the
// linearizability checker: the same judgement the multi-process fault run
// (kv_faults_test.py) gets, here seeded and reproducible.
#include "raft_node_cluster.hpp"

#include <coronet/consensus/error.hpp>
#include <coronet/consensus/kv/history.hpp>
#include <coronet/consensus/kv/linearizability.hpp>
#include <coronet/consensus/kv/service.hpp>
#include <coronet/timer.hpp>
#include <coronet/when_all.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <random>

using namespace coronet;
using namespace std::chrono_literals;
namespace kv = coronet::consensus::kv;
namespace raft = coronet::consensus::raft;

namespace {

struct simhist_run {
    explicit simhist_run(test::raft_node_cluster& cluster) : c(cluster) {}
    test::raft_node_cluster& c;
    std::vector<kv::operation> history;
    bool nemesis_done = false;

    std::int64_t now_ns() const { return std::chrono::nanoseconds(c.clock.now().time_since_epoch()).count(); }

    asio::awaitable<void> pause(duration d) {
        timer t(co_await asio::this_coro::executor, c.clock);
        t.expires_after(d, c.clock);
        co_await t.async_wait();
    }

    /// One client: writes carry {client, seq} and are retried on other nodes
    /// (the store applies them once) until answered or given up (unknown);
    /// reads that fail are not recorded.
    asio::awaitable<void> client(std::uint64_t id, std::uint64_t seed, int ops) {
        std::mt19937_64 rng(seed);
        std::uint64_t seq = 0;
        for (int i = 0; i < ops; ++i) {
            kv::operation op;
            op.client = id;
            op.key = "k" + std::to_string(rng() % 3);
            bool write = rng() % 2 == 0;
            op.kind = write ? kv::operation_kind::put : kv::operation_kind::get;
            kv::request_id rid{id, write ? ++seq : 0};
            if (write) op.value = "c" + std::to_string(id) + "-" + std::to_string(seq);
            op.call_ns = now_ns();
            bool answered = false;
            for (int attempt = 0; attempt < 8 && !answered; ++attempt) {
                auto node = rng() % c.nodes.size();
                kv::service svc(*c.nodes[node], *c.stores[node], id, 300ms);
                bool refused = false;
                try {
                    if (write) {
                        const auto& value = *op.value;
                        auto r = co_await svc.put(op.key, value, rid);
                        answered = r.code == kv::status::ok;
                    } else {
                        auto v = co_await svc.get(op.key);
                        if (v) op.value = v->value;
                        answered = true;
                    }
                } catch (const consensus::error&) {
                    refused = true;
                }
                if (refused) {
                    if (!write) break; // a read that failed is simply not recorded
                    co_await pause(20ms);
                }
            }
            op.return_ns = now_ns();
            if (!answered) {
                if (!write) continue;
                op.outcome = kv::outcome::unknown;
            }
            history.push_back(op);
        }
    }

    /// Partitions one node after another from the rest, then heals.
    asio::awaitable<void> nemesis(std::uint64_t seed) {
        std::mt19937_64 rng(seed);
        for (int round = 0; round < 8; ++round) {
            co_await pause(100ms);
            auto victim = static_cast<raft::node_id>(rng() % c.nodes.size() + 1);
            c.net.isolate(victim);
            co_await pause(std::chrono::milliseconds(100 + rng() % 300));
            c.net.heal();
        }
        nemesis_done = true;
    }
};

} // namespace

TEST_CASE("histories of concurrent clients on a simulated Raft cluster with partitions are linearizable",
          "[consensus][kv][linearizability]") {
    for (std::uint64_t seed : {1, 2, 3}) {
        CAPTURE(seed);
        test::raft_node_cluster c(3);
        REQUIRE(c.wait_leader() != nullptr);
        simhist_run h(c);
        c.run([&]() -> asio::awaitable<void> {
            std::vector<asio::awaitable<void>> tasks;
            for (std::uint64_t id = 1; id <= 4; ++id) tasks.push_back(h.client(id, seed * 100 + id, 100));
            tasks.push_back(h.nemesis(seed));
            co_await when_all(std::move(tasks));
        });
        REQUIRE(h.nemesis_done);
        auto acknowledged = std::count_if(h.history.begin(), h.history.end(), [](const kv::operation& o) {
            return o.kind == kv::operation_kind::put && o.outcome == kv::outcome::ok;
        });
        CHECK(acknowledged > 50);
        auto result = kv::check_linearizable(h.history);
        INFO(result.explanation);
        CHECK(result.ok);

        // The checker is not vacuous on these histories: a read moved to a
        // value written only later is caught.
        auto bad = h.history;
        for (auto& op : bad) {
            if (op.kind != kv::operation_kind::get || !op.value) continue;
            auto later = std::find_if(bad.begin(), bad.end(), [&](const kv::operation& w) {
                return w.kind == kv::operation_kind::put && w.key == op.key && w.call_ns > op.return_ns;
            });
            if (later == bad.end()) continue;
            op.value = later->value;
            break;
        }
        CHECK_FALSE(kv::check_linearizable(bad).ok);
    }
}
