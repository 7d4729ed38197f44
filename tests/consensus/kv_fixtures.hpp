#pragma once
// The consensus modules the KV suite runs on. Each fixture owns a module, the
// store it applies to and the io_context they run on; the suite sees only
// `module` and `kv::service`, so adding a module here runs every KV test on it.

#include "consensus/raft_local_net.hpp"

#include <coronet/consensus/kv/store.hpp>
#include <coronet/consensus/raft/node.hpp>
#include <coronet/consensus/single_node.hpp>
#include <coronet/manual_clock.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <vector>

namespace coronet::test {

/// Runs `make()` to completion on `ctx`, moving `clock` forward in `step`s
/// while nothing else can run (bounded: 10 virtual minutes).
template <class F>
void run_virtual(boost::asio::io_context& ctx, manual_clock& clock, F&& make,
                 std::chrono::milliseconds step = std::chrono::milliseconds(5)) {
    std::exception_ptr error;
    bool finished = false;
    boost::asio::co_spawn(ctx, make(), [&](std::exception_ptr e) {
        error = e;
        finished = true;
    });
    for (int i = 0; !finished && i < 120'000; ++i) {
        ctx.poll();
        if (!finished) clock.advance(step);
    }
    ctx.poll();
    if (error) std::rethrow_exception(error);
    if (!finished) throw std::logic_error("test coroutine did not finish within 10 virtual minutes");
}

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
    explicit raft_fixture(consensus::kv::store_options o = {}) {
        use_clock(_ctx, _clock);
        for (consensus::raft::node_id id = 1; id <= 3; ++id) {
            _stores.push_back(std::make_unique<consensus::kv::store>(o));
            _stable.push_back(std::make_unique<consensus::raft::memory_stable_store>());
            consensus::raft::node_options opt;
            opt.raft.id = id;
            opt.raft.voters = {1, 2, 3};
            opt.raft.seed = 100 + id;
            _nodes.push_back(std::make_unique<consensus::raft::node>(_ctx.get_executor(), opt, *_stores.back(), _net,
                                                                     *_stable.back()));
            _net.attach(id, *_nodes.back());
        }
        for (auto& n : _nodes) n->start();
        for (int i = 0; i < 10'000 && !_leader; ++i) {
            _ctx.poll();
            for (std::size_t k = 0; k < _nodes.size(); ++k)
                if (_nodes[k]->raft().role() == consensus::raft::role::leader) _leader = k + 1;
            if (!_leader) _clock.advance(std::chrono::milliseconds(5));
        }
        if (!_leader) throw std::logic_error("raft_fixture: no leader after 50 virtual seconds");
    }
    ~raft_fixture() {
        for (auto& n : _nodes) n->stop();
        _ctx.poll();
    }
    consensus::kv::store& store() { return *_stores[_leader - 1]; }
    consensus::module& module() { return *_nodes[_leader - 1]; }
    template <class F>
    void run(F&& make) { run_virtual(_ctx, _clock, std::forward<F>(make)); }

private:
    boost::asio::io_context _ctx;
    manual_clock _clock;
    local_net _net{_ctx};
    std::vector<std::unique_ptr<consensus::kv::store>> _stores;
    std::vector<std::unique_ptr<consensus::raft::memory_stable_store>> _stable;
    std::vector<std::unique_ptr<consensus::raft::node>> _nodes;
    std::size_t _leader = 0;
};

} // namespace coronet::test
