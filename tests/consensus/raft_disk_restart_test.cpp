// Raft nodes on disk (disk_stable_store: WAL + snapshot files): a whole
// cluster stopped and started again from its directories keeps every
// acknowledged write, and its term never goes back.
#include "consensus/raft_node_cluster.hpp"
#include "consensus/storage_support.hpp"

#include <coronet/consensus/kv/service.hpp>
#include <coronet/consensus/raft/disk_stable_store.hpp>

#include <catch2/catch.hpp>

using namespace coronet::consensus;

TEST_CASE("a Raft cluster restarted from its WAL and snapshots keeps every acknowledged write", "[consensus][raft]") {
    coronet::test::temp_dir dir("raft-restart");
    auto on_disk = [&](raft::node_id id) -> std::unique_ptr<raft::stable_store> {
        return std::make_unique<raft::disk_stable_store>(dir.path() / ("node" + std::to_string(id)));
    };
    raft::term_t term_before = 0;
    {
        coronet::test::raft_node_cluster c(3, on_disk);
        auto* leader = c.wait_leader();
        REQUIRE(leader);
        kv::service svc(*leader, *c.stores[leader->raft().id() - 1], 1);
        c.run([&]() -> boost::asio::awaitable<void> {
            for (int i = 0; i < 45; ++i) {
                auto key = "k" + std::to_string(i);
                auto r = co_await svc.put(key, std::to_string(i));
                REQUIRE(r.code == kv::status::ok);
            }
        });
        term_before = leader->raft().term();
        // Snapshots every 20 entries: the WAL was compacted under them.
        CHECK(leader->raft().log().snapshot_index() >= 20);
    } // every node stops; only the directories remain

    coronet::test::raft_node_cluster again(3, on_disk);
    for (auto& s : again.stable) {
        auto* disk = static_cast<raft::disk_stable_store*>(s.get());
        CHECK(disk->restore().hard_state.term >= term_before);
        CHECK(disk->restore().snapshot.metadata.index >= 20);
    }
    auto* leader = again.wait_leader();
    REQUIRE(leader);
    CHECK(leader->raft().term() > term_before);
    kv::service svc(*leader, *again.stores[leader->raft().id() - 1], 2);
    again.run([&]() -> boost::asio::awaitable<void> {
        for (int i = 0; i < 45; ++i) {
            auto key = "k" + std::to_string(i);
            auto v = co_await svc.get(key);
            REQUIRE(v);
            CHECK(v->value == std::to_string(i));
        }
    });
}
