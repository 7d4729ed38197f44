#pragma once
// The simplest consensus module: one replica, which orders commands in the
// order they are proposed. No fault tolerance and no replication — a baseline
// that shows what `module` asks of an implementation, and what Raft adds:
// the KV test suite runs unchanged on both.

#include <coronet/consensus/module.hpp>

namespace coronet::consensus {

class single_node final : public module {
public:
    /// `sm` is borrowed and must outlive this module.
    explicit single_node(state_machine& sm, node_id id = 1) : _sm(sm), _id(id) {}

    /// Applies at once: a single replica is its own majority.
    asio::awaitable<std::string> propose(std::string command, std::chrono::milliseconds timeout) override;
    /// Returns at once: every committed command is already applied.
    asio::awaitable<void> read_barrier(std::chrono::milliseconds timeout) override;
    /// Throws error(unsupported): a single node has no one to add.
    asio::awaitable<void> change_membership(membership_change change, std::chrono::milliseconds timeout) override;
    cluster_status status() const override;

    /// After this, every call throws error(stopped).
    void stop() { _stopped = true; }

private:
    state_machine& _sm;
    node_id _id;
    std::uint64_t _index = 0; ///< of the last command applied
    bool _stopped = false;
};

} // namespace coronet::consensus
