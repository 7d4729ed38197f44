#pragma once
// How a core behaves: its identity, the initial membership, timing in ticks,
// the optional protocol extensions and every bound.

#include <coronet/consensus/raft/types.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace coronet::consensus::raft {

/// How the leader hands new entries to its followers. This is the project's
/// "sync vs async" teaching point (DESIGN.md, principle 3):
///
///   concurrent: the leader sends each batch to every follower at once and
///               pipelines further batches behind it (up to
///               inflight_messages_max per follower). An entry commits after
///               one round trip to the fastest majority: latency is that of
///               the median follower, and a slow follower does not slow the
///               others.
///   sequential: the leader talks to one follower at a time, in id order
///               (round robin), and waits for its answer (or for
///               sequential_ack_ticks) before contacting the next. At most
///               one append is outstanding in the whole cluster. An entry
///               commits after floor(n/2) round trips, one per follower
///               needed for the majority, and a slow follower delays
///               everyone behind it. It is simpler to reason about and
///               spares the network, and it shows why real systems
///               replicate concurrently.
///
/// Commitment is the same majority rule in both modes, so safety is too.
/// Heartbeats go to every follower at once in both modes: they carry no
/// entries.
enum class replication_mode : std::uint8_t { concurrent, sequential };

std::string_view to_string(replication_mode m);

struct config {
    /// This node. Must not be 0.
    node_id id = no_node;
    /// The initial membership, used when the restored state carries none
    /// (no snapshot); config entries in the log then change it. A brand-new
    /// node that will be added to a running cluster may start with both
    /// empty: it only follows until the leader's log tells it who is who.
    std::vector<node_id> voters;
    std::vector<node_id> learners;

    /// A follower that hears nothing from a leader for a random number of
    /// ticks in [election_ticks, election_ticks + election_jitter_ticks)
    /// starts an election. A leader with check_quorum steps down after
    /// election_ticks without hearing from a majority. Must be greater than
    /// heartbeat_ticks.
    std::uint32_t election_ticks = 10;
    /// The random part of the election timeout; 0 means election_ticks (the
    /// usual [election_ticks, 2 * election_ticks)), 1 means none at all
    /// (every node waits exactly election_ticks: split votes, as the Raft
    /// paper's Figure 16 shows; `coronet sim raft` measures it).
    std::uint32_t election_jitter_ticks = 0;
    /// The leader sends heartbeats every heartbeat_ticks. Must be >= 1.
    std::uint32_t heartbeat_ticks = 1;
    /// Seeds the election timeout draws, mixed with the id so that nodes
    /// configured alike still draw differently. Same seed, same draws.
    std::uint64_t seed = 0;

    /// PreVote (dissertation §9.6): before raising its term, a node asks
    /// whether it could win, so a node that rejoins from a partition does
    /// not force the cluster into a new term.
    bool pre_vote = true;
    /// CheckQuorum (§6.2 and §9.6): a leader steps down if a majority has
    /// not answered it within election_ticks, and a node that heard from a
    /// leader within election_ticks ignores vote requests (the leader
    /// lease), unless the campaign is a leadership transfer.
    bool check_quorum = true;

    replication_mode replication = replication_mode::concurrent;
    /// Sequential mode: ticks the leader waits for the follower it is
    /// replicating to before it gives up on it and moves to the next one.
    std::uint32_t sequential_ack_ticks = 2;

    /// Append messages in flight to one follower in the replicate state.
    std::size_t inflight_messages_max = 256;
    /// Entries in one append message (at least one is always sent).
    std::size_t entries_per_message_max = 64;
    /// Data bytes in one append message (at least one entry is always sent).
    std::size_t bytes_per_message_max = 1u << 20;
    /// Proposals are refused (too_many_uncommitted) while the leader's log
    /// has this many entries past its commit index.
    std::size_t uncommitted_entries_max = 65'536;
    /// ReadIndex requests the leader queues (waiting for its first commit or
    /// for a heartbeat round) before it refuses new ones.
    std::size_t pending_reads_max = 4'096;
    /// Committed entries handed to the application in one ready.
    std::size_t committed_entries_per_ready_max = 4'096;
    /// Lease-based reads (dissertation §6.4.1): a leader whose entry of its
    /// term is committed answers ReadIndex at once with its commit index,
    /// without a heartbeat round. Safe only because CheckQuorum (required)
    /// makes followers refuse votes for election_ticks after hearing from
    /// the leader and the leader step down after election_ticks without a
    /// majority — which assumes clocks that do not drift apart by more than
    /// that. Off by default: ReadIndex costs a round trip but no assumption.
    bool lease_reads = false;

    /// Throws std::invalid_argument naming the first field out of range.
    void validate() const;
};

} // namespace coronet::consensus::raft
