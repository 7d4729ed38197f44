#pragma once
// The leader's queue of ReadIndex requests (dissertation §6.4). A request
// records the commit index when it arrived, then waits until a majority of
// voters has answered a heartbeat sent after it: at that moment no other
// leader can have committed anything newer, so a read at that index is
// linearizable.
//
// Each request opens a numbered round; heartbeats carry the round number in
// their context and responses echo it. An answer to round r also vouches for
// every earlier round, so the confirmed round is simply the largest r that a
// majority has echoed (quorum.hpp's majority_value), and the queue releases
// every request up to it in order.

#include <coronet/consensus/raft/types.hpp>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <span>
#include <vector>

namespace coronet::consensus::raft {

class read_index_queue {
public:
    struct request {
        node_id requester = no_node;   ///< the leader itself or a follower that forwarded it
        std::uint64_t request_ctx = 0; ///< the requester's own identifier for the read
        index_t index = 0;             ///< commit index when the round opened; 0 while waiting
        std::uint64_t round = 0;       ///< 0 while waiting for the leader's first commit
    };

    std::size_t size() const { return _waiting.size() + _open.size(); }

    /// Queues a request that must wait until the leader commits an entry of
    /// its term (before that, its commit index may be stale).
    void wait_for_commit(node_id requester, std::uint64_t request_ctx);

    /// Moves every waiting request into one new round at `commit`.
    /// Returns the round number, or 0 if nothing was waiting.
    std::uint64_t open_waiting(index_t commit);

    /// Opens a round for one request; returns the round number (>= 1).
    std::uint64_t open(node_id requester, std::uint64_t request_ctx, index_t commit);

    /// The round heartbeats should carry now: the newest one, 0 if none.
    std::uint64_t latest_round() const { return _next_round - 1; }

    /// `from` answered a heartbeat of `round`. Unknown rounds are ignored.
    void acknowledge(node_id from, std::uint64_t round);

    /// Releases, in order, every request whose round a majority of `voters`
    /// has acknowledged; `self` counts as having acknowledged every round.
    std::vector<request> take_confirmed(std::span<const node_id> voters, node_id self);

    /// Releases every request that has a round, confirmed or not: with a
    /// leader lease (config::lease_reads) the lease is the confirmation.
    std::vector<request> take_open();

    /// Drops everything (on losing leadership: requesters retry elsewhere).
    void clear();

private:
    /// Requests before the leader's first commit in its term, in arrival order.
    std::deque<request> _waiting;
    /// Requests with a round, in round order; rounds strictly increase.
    std::deque<request> _open;
    /// Highest round each peer has echoed; only rounds < _next_round.
    std::map<node_id, std::uint64_t> _acked;
    /// Round numbers are never reused within one leadership.
    std::uint64_t _next_round = 1;
};

} // namespace coronet::consensus::raft
