#pragma once
// How a Raft node's messages reach its peers. Raft needs no more than
// fire-and-forget delivery: it retries what is lost, so send() never waits
// and never reports failure (report_unreachable on the node is the hint).

#include <coronet/consensus/raft/message.hpp>

#include <string>

namespace coronet::consensus::raft {

class transport {
public:
    virtual ~transport() = default;
    /// Hands `m` over for delivery to m.to; may drop it.
    virtual void send(const message& m) = 0;
    /// A member joins: how to reach it (a transport URL). Default: nothing.
    virtual void add_peer(node_id id, const std::string& address) {}
    virtual void remove_peer(node_id id) {}
};

} // namespace coronet::consensus::raft
