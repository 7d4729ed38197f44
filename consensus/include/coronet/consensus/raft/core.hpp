#pragma once
// The Raft state machine of one node, with no I/O of its own (etcd-raft's
// RawNode model, DESIGN.md principle 1). It has no sockets, clocks, threads,
// coroutines or files: a driver feeds it
//
//   tick()                 every fixed interval of its own clock,
//   step(message)          for every message that arrives,
//   propose(...), read_index(...), ...   for the application's requests,
//
// and repeatedly collects the resulting work:
//
//   while (core.has_ready()) {
//       auto rd = core.take_ready();
//       storage.persist(rd.snapshot, rd.entries, rd.hard_state); // BEFORE sending
//       network.send(rd.messages);
//       app.apply(rd.snapshot, rd.committed_entries, rd.read_states);
//       core.advance(rd);
//   }
//
// (ready.hpp states the ordering rules in full.) A core is single-threaded:
// its owner serializes every call.
//
// What it implements: leader election with randomized timeouts (§5.2),
// PreVote and CheckQuorum with the leader lease (dissertation §9.6), log
// replication with probe/replicate/snapshot progress, pipelined appends and
// fast backtracking (§5.3, §10.2), the commitment rule of Figure 8 (§5.4.2),
// a no-op entry on election (§8), snapshots and InstallSnapshot (§7),
// single-server membership changes with learners (dissertation §4.1-4.2),
// leadership transfer (§3.10), ReadIndex (§6.4), and a choice of concurrent
// or sequential replication (config.hpp).
//
// Section numbers without "dissertation" are from the Raft paper (Ongaro and
// Ousterhout, "In Search of an Understandable Consensus Algorithm",
// extended version); the others are from Ongaro's dissertation
// ("Consensus: Bridging Theory and Practice", 2014).
//
// Errors: nothing that arrives from the network or the application aborts or
// corrupts the core. Inputs that cannot be honoured return an errc (see
// error.hpp); messages that are stale, malformed or from unknown senders are
// ignored and step() says why. Only a config that fails config::validate()
// or a restored_state that is not a log throws (std::invalid_argument), and
// take_ready()/advance() throw std::logic_error if called out of turn.
//
// Unknown senders: answers (vote and append responses, heartbeat responses,
// read requests) count only from members the node tracks. Requests (appends,
// heartbeats, snapshots, votes) are judged by their term whoever sends them,
// as the dissertation prescribes (§4.1): a leader being removed keeps
// replicating until its removal commits, a new node hears from a leader it
// has never been told about, and a vote from outside the membership simply
// does not count at the candidate.

#include <coronet/consensus/raft/config.hpp>
#include <coronet/consensus/raft/error.hpp>
#include <coronet/consensus/raft/log.hpp>
#include <coronet/consensus/raft/membership.hpp>
#include <coronet/consensus/raft/message.hpp>
#include <coronet/consensus/raft/progress.hpp>
#include <coronet/consensus/raft/read_index.hpp>
#include <coronet/consensus/raft/ready.hpp>
#include <coronet/consensus/raft/restored_state.hpp>
#include <coronet/consensus/raft/types.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <system_error>
#include <vector>

namespace coronet::consensus::raft {

/// Where a proposal went: the entry's index and term if the leader appended
/// it. It is committed once commit() reaches index and the entry at index
/// still has this term (a new leader may have replaced it).
struct proposal {
    std::error_code error;
    index_t index = 0;
    term_t term = 0;

    explicit operator bool() const { return !error; }
};

class core {
public:
    /// Starts as a follower in restored.hard_state.term, with the membership
    /// of restored.snapshot (or config.voters/learners if there is none)
    /// updated by the config entries in restored.entries. Throws
    /// std::invalid_argument if config.validate() fails, the entries do not
    /// follow the snapshot, or the hard state's commit is past the last entry.
    explicit core(raft::config config, restored_state restored = {});

    // ---- Inputs -----------------------------------------------------------

    /// One unit of logical time. Followers and candidates count towards an
    /// election timeout; the leader towards heartbeats, its quorum check and
    /// the leadership-transfer deadline.
    void tick();

    /// Processes one message addressed to this node. Returns empty if the
    /// message was acted on, else why it was ignored, wholly or in part (a
    /// higher term is always adopted first, and a leader's message still
    /// proves it alive).
    std::error_code step(const message& m);

    /// Appends `data` as a normal entry and starts replicating it.
    /// Errors: not_leader, leader_transfer_in_progress, too_many_uncommitted.
    /// A follower does not forward proposals: the driver redirects the
    /// client to leader().
    proposal propose(std::string data);

    /// Appends a single-server membership change. The new membership is in
    /// force on every node as soon as the entry is in its log (dissertation
    /// §4.1). Errors: not_leader, leader_transfer_in_progress,
    /// term_not_committed (a new leader must commit an entry of its term
    /// first: the fix Ongaro posted to raft-dev in 2015 for a bug in
    /// single-server changes across leader changes),
    /// config_change_pending (one change at a time), invalid_config_change.
    /// A leader that removes itself keeps leading, without counting itself,
    /// until the change commits, then steps down (§4.2.2).
    proposal propose_config_change(const config_change& change);

    /// Asks for a linearizable read point. A read_state {index, request_ctx}
    /// appears in a later ready once the leader has (1) committed an entry of
    /// its term and (2) heard from a majority after the request; the read is
    /// safe once applied() >= index. A follower forwards the request to its
    /// leader. Errors: no_leader, too_many_pending_reads. A request is
    /// dropped silently if leadership changes before it completes: retry on
    /// a timeout.
    std::error_code read_index(std::uint64_t request_ctx);

    /// Leader only: brings `target` up to date, then sends it timeout_now so
    /// it starts an election at once. Proposals are refused meanwhile; the
    /// transfer is abandoned after election_ticks. Errors: not_leader,
    /// invalid_target (target is not another voter).
    std::error_code transfer_leadership(node_id target);

    /// Starts an election now (a PreVote round first if configured).
    /// Errors: not_a_voter; a leader ignores it and returns empty.
    std::error_code campaign();

    /// The driver could not deliver to `id`: stop streaming to it and probe.
    void report_unreachable(node_id id);

    /// The driver finished sending a snapshot to `id`, successfully or not.
    void report_snapshot(node_id id, bool ok);

    /// The application took a snapshot `data` of its state machine after
    /// applying `index`: the core forgets the entries up to `index` and will
    /// send `data` to followers that need them. The driver must also compact
    /// its stored log (and store the snapshot) itself. Errors: compacted
    /// (index <= the current snapshot), not_applied (index > applied()).
    std::error_code compact(index_t index, std::string data);

    // ---- Output -----------------------------------------------------------

    /// True if take_ready() would return something. False while a ready is
    /// taken and not yet advanced.
    bool has_ready() const;

    /// The pending work (see ready.hpp). Throws std::logic_error if the
    /// previous ready has not been advanced.
    ready take_ready();

    /// The driver handled the last ready taken. Throws std::logic_error if
    /// there is none, or (second form) if `r` is not that ready.
    void advance();
    void advance(const ready& r);

    // ---- State, for drivers and status views ------------------------------

    node_id id() const { return _config.id; }
    raft::role role() const { return _role; }
    term_t term() const { return _term; }
    node_id vote() const { return _vote; }
    /// The leader of term(), or no_node if unknown.
    node_id leader() const { return _leader; }
    index_t commit() const { return _commit; }
    /// The last index handed to the application and acknowledged by advance().
    index_t applied() const { return _applied; }
    raft::hard_state hard_state() const { return {_term, _vote, _commit}; }
    raft::soft_state soft_state() const { return {_role, _leader}; }
    const membership& members() const { return _members; }
    const raft_log& log() const { return _log; }
    const raft::config& config() const { return _config; }
    /// The leader's view of each other member; empty on other roles.
    const std::map<node_id, progress>& progresses() const { return _progress; }
    /// Leader only: the transfer in progress, or no_node.
    node_id transfer_target() const { return _transfer_target; }
    /// The index of the newest config entry if it is not committed yet, else 0.
    index_t pending_config_index() const { return _config_index > _commit ? _config_index : 0; }
    /// The election timeout drawn for the current term, in ticks.
    std::uint32_t election_timeout_ticks() const { return _election_timeout_ticks; }
    /// Sequential replication: the follower whose answer the leader awaits,
    /// or no_node.
    node_id sequential_target() const { return _sequential_target; }
    /// The leader's pending ReadIndex requests.
    std::size_t pending_reads() const { return _reads.size(); }

private:
    using step_function = std::error_code (core::*)(const message&);

    // Roles and elections (core_election.cpp)
    void become_follower(term_t term, node_id leader);
    void become_pre_candidate();
    void become_candidate();
    void become_leader();
    void reset(term_t term);
    void start_election(bool leader_transfer);
    void campaign_as(bool pre, bool leader_transfer);
    void draw_election_timeout();
    bool promotable() const;
    bool in_lease() const;
    std::error_code step_term(const message& m);
    std::error_code handle_vote_request(const message& m);
    std::error_code step_follower(const message& m);
    std::error_code step_candidate(const message& m);
    std::error_code step_leader(const message& m);
    void tick_election();
    void tick_leader();

    // Replication (core_replication.cpp)
    std::error_code handle_append(const message& m);
    std::error_code handle_heartbeat(const message& m);
    std::error_code handle_snapshot(const message& m);
    std::error_code handle_append_response(const message& m, progress& pr);
    std::error_code handle_heartbeat_response(const message& m, progress& pr);
    void append_entry(entry_type type, std::string data);
    bool send_append(node_id to, bool send_if_empty = true);
    void send_snapshot(node_id to, progress& pr);
    void send_heartbeat(node_id to, std::uint64_t read_round);
    void broadcast_heartbeat();
    void replicate();
    void send_more(node_id id, bool retry_first);
    void advance_sequential(node_id prefer = no_node);
    bool maybe_commit();
    void commit_to(index_t index);
    index_t next_hint(const message& rejection) const;
    message make(message_type type, node_id to) const;
    void send(message m);
    std::error_code leader_read(node_id requester, std::uint64_t request_ctx);

    // Membership (core_membership.cpp)
    membership base_membership() const;
    membership membership_at(index_t index) const;
    void rebuild_members();
    void members_changed();
    void step_down_if_removed(index_t old_commit);
    bool committed_in_term() const;
    bool quorum_active();

    // Reads (core_read.cpp)
    void release_reads();
    /// Hands a read point to the local application or to the follower that asked.
    void answer_read(node_id requester, const read_state& rs);

    /// Immutable after construction.
    raft::config _config;

    /// The log. Invariant: _log.last_index() >= _commit, and no entry at or
    /// below _commit is ever truncated (State Machine Safety, §5.4.3).
    raft_log _log;

    /// Latest term this node has seen. Invariant: never decreases; persisted
    /// (via ready.hard_state) before any message of this term is sent.
    term_t _term = 0;
    /// Candidate this node voted for in _term, or no_node. Invariant: set at
    /// most once per term (one vote per term, §5.2).
    node_id _vote = no_node;
    /// Highest index known committed. Invariant: never decreases;
    /// _applied <= _commit <= _log.last_index().
    index_t _commit = 0;
    /// Last index the application acknowledged applying (advance()).
    /// Invariant: _log.snapshot_index() <= _applied after a snapshot is
    /// advanced; _applied <= _commit.
    index_t _applied = 0;
    /// Last index handed to the application in committed_entries (or the
    /// snapshot index). Invariant: _applied <= _applying <= _commit.
    index_t _applying = 0;

    raft::role _role = raft::role::follower;
    /// The leader of _term, once known. Invariant: a leader's _leader is its id.
    node_id _leader = no_node;
    step_function _step = &core::step_follower;

    /// The membership in force: the snapshot's, changed by every config
    /// entry in _log. Recomputed whenever a config entry is appended or
    /// truncated (rebuild_members()).
    membership _members;
    /// Index of the newest config entry in _log, or 0 if the snapshot holds
    /// the newest membership.
    index_t _config_index = 0;

    // Timers, in ticks.
    /// Followers/candidates: ticks since the last valid message from a
    /// leader or the last vote granted. Leader: ticks since the last quorum
    /// check. Invariant: reset on every role change.
    std::uint32_t _election_elapsed = 0;
    /// Leader only: ticks since the last heartbeat broadcast.
    std::uint32_t _heartbeat_elapsed = 0;
    /// In [election_ticks, election_ticks + jitter) (jitter: election_jitter_ticks, or election_ticks if 0), drawn on every reset.
    std::uint32_t _election_timeout_ticks = 0;
    /// State of the splitmix64 generator behind the draws.
    std::uint64_t _rng_state = 0;

    /// Candidates: the answers so far (true = granted), voters only.
    std::map<node_id, bool> _votes;

    /// Leader only: one entry per member other than this node.
    /// Invariant: keys == _members' voters and learners, minus _config.id.
    std::map<node_id, progress> _progress;
    /// Leader only: the voter being handed leadership, or no_node.
    node_id _transfer_target = no_node;
    /// Leader only: pending ReadIndex requests.
    read_index_queue _reads;
    /// Sequential mode, leader only: the follower with an outstanding
    /// append (at most one in the cluster), the ticks spent waiting for it,
    /// and the last follower served (the round robin resumes after it).
    node_id _sequential_target = no_node;
    std::uint32_t _sequential_elapsed = 0;
    node_id _sequential_last = no_node;

    // Output bookkeeping.
    /// Leader: proposals were appended since the last ready; take_ready()
    /// replicates them all at once, which batches proposals made between
    /// two readies into one append per follower.
    bool _pending_broadcast = false;
    std::vector<message> _outbox;
    std::vector<read_state> _read_states;
    /// What the previous ready reported (so unchanged states are not resent).
    raft::hard_state _reported_hard_state;
    raft::soft_state _reported_soft_state;
    /// Between take_ready() and advance(): the ready's number, and the index
    /// applied() becomes on advance().
    bool _ready_outstanding = false;
    std::uint64_t _ready_number = 0;
    index_t _ready_applied_to = 0;
};

} // namespace coronet::consensus::raft
