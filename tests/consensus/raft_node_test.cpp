// The Raft driver (raft::node) as a consensus::module: proposals commit and
// come back with the state machine's result, followers refuse with a hint,
// a failed leader is replaced without losing acknowledged writes, and stop
// ends every wait. Virtual time, an in-process network.
#include "consensus/raft_node_cluster.hpp"

#include <coronet/consensus/kv/service.hpp>

#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>

#include <catch2/catch.hpp>

using namespace coronet::consensus;
using node_cluster = coronet::test::raft_node_cluster;


TEST_CASE("a proposal to a Raft follower is refused as not_leader, naming the leader", "[consensus][raft]") {
    node_cluster c(3);
    auto* leader = c.wait_leader();
    REQUIRE(leader);
    raft::node* follower = nullptr;
    for (auto& n : c.nodes)
        if (n.get() != leader) follower = n.get();
    c.ctx.poll();
    c.clock.advance(std::chrono::milliseconds(50)); // heartbeats tell followers who leads
    c.ctx.poll();
    errc code{};
    std::uint64_t hint = 0;
    c.run([&]() -> boost::asio::awaitable<void> {
        try {
            co_await follower->propose(kv::encode(kv::make_put("k", "v")), std::chrono::seconds(1));
        } catch (const error& e) {
            code = e.code();
            hint = e.leader_hint();
        }
    });
    CHECK(code == errc::not_leader);
    CHECK(hint == leader->raft().id());
}

TEST_CASE("writes acknowledged by a Raft leader survive its failure and the next leader serves them",
          "[consensus][raft]") {
    node_cluster c(3);
    auto* first = c.wait_leader();
    REQUIRE(first);
    auto first_id = first->raft().id();
    kv::service before(*first, *c.stores[first_id - 1], 1);
    c.run([&]() -> boost::asio::awaitable<void> {
        for (int i = 0; i < 50; ++i) {
            auto key = "k" + std::to_string(i);
            auto r = co_await before.put(key, std::to_string(i));
            REQUIRE(r.code == kv::status::ok);
        }
    });
    // The leader fails: cut off and stopped.
    c.net.isolate(first_id);
    first->stop();
    auto* second = c.wait_leader(first_id);
    REQUIRE(second);
    CHECK(second->raft().term() > first->raft().term());
    auto second_id = second->raft().id();
    kv::service after(*second, *c.stores[second_id - 1], 2);
    c.run([&]() -> boost::asio::awaitable<void> {
        for (int i = 0; i < 50; ++i) {
            auto v = co_await after.get("k" + std::to_string(i));
            REQUIRE(v);
            CHECK(v->value == std::to_string(i));
        }
        auto w = co_await after.put("after", "failover");
        CHECK(w.code == kv::status::ok);
    });
    // Snapshots were taken along the way (every 20 entries) and the log compacted.
    CHECK(second->raft().log().snapshot_index() > 0);
}

TEST_CASE("a Raft node that is stopped fails its waiting calls and refuses new ones", "[consensus][raft]") {
    node_cluster c(3);
    auto* leader = c.wait_leader();
    REQUIRE(leader);
    // Cut the leader off: its proposal cannot commit and waits.
    c.net.isolate(leader->raft().id());
    errc waiting{}, later{};
    c.run([&]() -> boost::asio::awaitable<void> {
        auto ex = co_await boost::asio::this_coro::executor;
        boost::asio::co_spawn(ex, [&]() -> boost::asio::awaitable<void> {
            try {
                co_await leader->propose(kv::encode(kv::make_put("k", "v")), std::chrono::seconds(30));
            } catch (const error& e) {
                waiting = e.code();
            }
        }, boost::asio::detached);
        coronet::timer t(ex, coronet::clock_of(ex));
        t.expires_at(coronet::clock_of(ex).now() + std::chrono::milliseconds(100));
        co_await t.async_wait();
        leader->stop();
        co_await t.async_wait(); // let the waiter run (the timer already expired)
        try {
            co_await leader->read_barrier(std::chrono::seconds(1));
        } catch (const error& e) {
            later = e.code();
        }
    });
    CHECK(waiting == errc::stopped);
    CHECK(later == errc::stopped);
}

TEST_CASE("a Raft proposal that cannot reach a majority times out", "[consensus][raft]") {
    node_cluster c(3);
    auto* leader = c.wait_leader();
    REQUIRE(leader);
    c.net.isolate(leader->raft().id());
    errc code{};
    c.run([&]() -> boost::asio::awaitable<void> {
        try {
            co_await leader->propose(kv::encode(kv::make_put("k", "v")), std::chrono::milliseconds(500));
        } catch (const error& e) {
            code = e.code();
        }
    });
    // CheckQuorum may depose it first (not_leader); either way it is not acknowledged.
    CHECK((code == errc::timeout || code == errc::not_leader));
    CHECK_FALSE(c.stores[leader->raft().id() - 1]->get("k"));
}

namespace {

/// Memory storage that fails, as a full disk would, once told to.
struct failing_store final : raft::stable_store {
    void save(const raft::ready& r) override {
        if (fail) throw std::runtime_error("no space left on device");
        inner.save(r);
    }
    void compact(const raft::snapshot& s) override { inner.compact(s); }
    raft::restored_state restore() const override { return inner.restore(); }
    raft::memory_stable_store inner;
    bool fail = false;
};

} // namespace

TEST_CASE("a Raft node whose storage fails stops and tells its callers why, instead of acknowledging",
          "[consensus][raft]") {
    failing_store* disk = nullptr;
    node_cluster c(1, [&](raft::node_id) {
        auto s = std::make_unique<failing_store>();
        disk = s.get();
        return s;
    });
    auto* leader = c.wait_leader();
    REQUIRE(leader);
    disk->fail = true;
    errc code{};
    std::string why;
    c.run([&]() -> boost::asio::awaitable<void> {
        try {
            co_await leader->propose(kv::encode(kv::make_put("k", "v")), std::chrono::seconds(5));
        } catch (const error& e) {
            code = e.code();
            why = e.what();
        }
    });
    CHECK(code == errc::stopped);
    CHECK(why.find("no space left on device") != std::string::npos);
    CHECK(leader->failure() == "no space left on device");
    CHECK(leader->status().role == "stopped");
    CHECK_FALSE(c.stores[0]->get("k")); // never applied: it was never stored
}
