#pragma once
// A cluster of raft::node on virtual time and an in-process network, each
// node with a kv::store; stable storage from a factory (memory or disk), so a
// test can stop every node and start the cluster again from what it stored.

#include "consensus/raft_local_net.hpp"
#include "consensus/virtual_run.hpp"

#include <coronet/consensus/kv/store.hpp>
#include <coronet/consensus/raft/node.hpp>

#include <functional>
#include <memory>
#include <vector>

namespace coronet::test {

struct raft_node_cluster {
    using store_factory = std::function<std::unique_ptr<consensus::raft::stable_store>(consensus::raft::node_id)>;

    explicit raft_node_cluster(std::size_t n, store_factory make_store = {}, consensus::kv::store_options kv = {}) {
        if (!make_store)
            make_store = [](consensus::raft::node_id) { return std::make_unique<consensus::raft::memory_stable_store>(); };
        use_clock(ctx, clock);
        std::vector<consensus::raft::node_id> voters;
        for (consensus::raft::node_id id = 1; id <= n; ++id) voters.push_back(id);
        for (consensus::raft::node_id id = 1; id <= n; ++id) {
            stores.push_back(std::make_unique<consensus::kv::store>(kv));
            stable.push_back(make_store(id));
            consensus::raft::node_options o;
            o.raft.id = id;
            o.raft.voters = voters;
            o.raft.seed = 7 * id;
            o.snapshot_every = 20;
            nodes.push_back(std::make_unique<consensus::raft::node>(ctx.get_executor(), o, *stores.back(), net, *stable.back()));
            net.attach(id, *nodes.back());
        }
        for (auto& n : nodes) n->start();
    }
    ~raft_node_cluster() {
        for (auto& n : nodes)
            if (n) n->stop();
        ctx.poll();
    }
    /// The leader with the highest term among nodes other than `not_this`,
    /// letting virtual time pass until there is one (at most 100 s).
    consensus::raft::node* wait_leader(consensus::raft::node_id not_this = 0) {
        for (int i = 0; i < 20'000; ++i) {
            ctx.poll();
            consensus::raft::node* best = nullptr;
            for (auto& n : nodes)
                if (n && n->raft().id() != not_this && n->raft().role() == consensus::raft::role::leader &&
                    (!best || n->raft().term() > best->raft().term()))
                    best = n.get();
            if (best) return best;
            clock.advance(std::chrono::milliseconds(5));
        }
        return nullptr;
    }
    template <class F>
    void run(F&& f) { run_virtual(ctx, clock, std::forward<F>(f)); }

    boost::asio::io_context ctx;
    manual_clock clock;
    local_net net{ctx};
    std::vector<std::unique_ptr<consensus::kv::store>> stores;
    std::vector<std::unique_ptr<consensus::raft::stable_store>> stable;
    std::vector<std::unique_ptr<consensus::raft::node>> nodes;
};

} // namespace coronet::test
