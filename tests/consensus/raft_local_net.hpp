#pragma once
// An in-process network for Raft nodes: send() posts the delivery to the
// io_context, so a node never re-enters another inside its own drain. Links
// can be cut to make partitions.

#include <coronet/consensus/raft/node.hpp>
#include <coronet/consensus/raft/transport.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <map>
#include <set>
#include <utility>

namespace coronet::test {

class local_net final : public consensus::raft::transport {
public:
    explicit local_net(boost::asio::io_context& ctx) : _ctx(ctx) {}
    void attach(consensus::raft::node_id id, consensus::raft::node& n) { _nodes[id] = &n; }
    void detach(consensus::raft::node_id id) { _nodes.erase(id); }
    /// Messages from `a` to `b` and back are lost until heal().
    void cut(consensus::raft::node_id a, consensus::raft::node_id b) {
        _cut.insert({a, b});
        _cut.insert({b, a});
    }
    /// Cuts every link of `id`.
    void isolate(consensus::raft::node_id id) {
        for (auto& [other, n] : _nodes)
            if (other != id) cut(id, other);
    }
    void heal() { _cut.clear(); }
    std::size_t sent() const { return _sent; }

    void send(const consensus::raft::message& m) override {
        ++_sent;
        if (_cut.contains({m.from, m.to})) return;
        boost::asio::post(_ctx, [this, m] {
            if (_cut.contains({m.from, m.to})) return;
            if (auto it = _nodes.find(m.to); it != _nodes.end()) it->second->receive(m);
        });
    }

private:
    boost::asio::io_context& _ctx;
    std::map<consensus::raft::node_id, consensus::raft::node*> _nodes;
    std::set<std::pair<consensus::raft::node_id, consensus::raft::node_id>> _cut;
    std::size_t _sent = 0;
};

} // namespace coronet::test
