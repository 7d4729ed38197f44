#pragma once
// The pluggable consensus API. Applications (the replicated KV store, tests)
// are written against `module` only, so any algorithm that orders commands
// can replace Raft: implement these five calls and take a state_machine.
// docs/consensus.md shows how to write one.

#include <coronet/consensus/error.hpp>
#include <coronet/consensus/state_machine.hpp>

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace coronet::consensus {

namespace asio = boost::asio;

using node_id = std::uint64_t;

/// A snapshot of what a module knows about its cluster, for status pages.
struct cluster_status {
    node_id id = 0;
    node_id leader = 0;          ///< 0: none known
    std::uint64_t term = 0;      ///< the module's epoch (Raft's term; 0 if it has none)
    std::string role;            ///< "leader", "follower", ... in the module's words
    std::uint64_t commit = 0;    ///< highest index known committed
    std::uint64_t applied = 0;   ///< highest index applied to the state machine here
    std::vector<node_id> voters;
    std::vector<node_id> learners;
};

struct membership_change {
    enum class kind : std::uint8_t { add_voter, add_learner, promote, remove } what = kind::add_voter;
    node_id node = 0;
    std::string address; ///< how to reach it (a transport URL), for additions
};

class module {
public:
    virtual ~module() = default;

    /// Orders `command`, waits until it is committed and applied on this node,
    /// and returns what state_machine::apply returned for it.
    /// Throws error: not_leader (with a hint), timeout (the command may still
    /// commit: retry with the same client sequence number), stopped.
    virtual asio::awaitable<std::string> propose(std::string command, std::chrono::milliseconds timeout) = 0;

    /// Linearizable read barrier: returns once this node's state machine has
    /// applied every command committed before the call began, so a read of
    /// local state after it sees every acknowledged write. Throws like propose.
    virtual asio::awaitable<void> read_barrier(std::chrono::milliseconds timeout) = 0;

    /// Adds, promotes or removes one member; returns when the change commits.
    virtual asio::awaitable<void> change_membership(membership_change change, std::chrono::milliseconds timeout) = 0;

    virtual cluster_status status() const = 0;
};

} // namespace coronet::consensus
