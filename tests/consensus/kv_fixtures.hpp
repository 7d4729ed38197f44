#pragma once
// The consensus modules the KV suite runs on. Each fixture owns a module, the
// store it applies to and the io_context they run on; the suite sees only
// `module` and `kv::service`, so adding a module here runs every KV test on it.

#include "consensus/raft_node_cluster.hpp"
#include "consensus/virtual_run.hpp"

#include <coronet/consensus/kv/store.hpp>
#include <coronet/consensus/single_node.hpp>
#include <coronet/manual_clock.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <vector>

namespace coronet::test {

struct single_node_fixture {
    explicit single_node_fixture(consensus::kv::store_options o = {}) : _store(o), _module(_store) {
        use_clock(_ctx, _clock);
    }
    consensus::kv::store& store() { return _store; }
    consensus::module& module() { return _module; }
    template <class F>
    void run(F&& make) { run_virtual(_ctx, _clock, std::forward<F>(make)); }

private:
    boost::asio::io_context _ctx;
    manual_clock _clock;
    consensus::kv::store _store;
    consensus::single_node _module;
};

/// Three Raft nodes on a local, loss-free network; the suite talks to the
/// leader elected first.
struct raft_fixture {
    explicit raft_fixture(consensus::kv::store_options o = {}) : _cluster(3, {}, o) {
        _leader = _cluster.wait_leader();
        if (!_leader) throw std::logic_error("raft_fixture: no leader after 100 virtual seconds");
    }
    consensus::kv::store& store() { return *_cluster.stores[_leader->raft().id() - 1]; }
    consensus::module& module() { return *_leader; }
    template <class F>
    void run(F&& make) { _cluster.run(std::forward<F>(make)); }

private:
    raft_node_cluster _cluster;
    consensus::raft::node* _leader = nullptr;
};

} // namespace coronet::test
