#pragma once
// What a leader knows about one follower's log, and how it sends to it
// (the three states follow etcd-raft's tracker.Progress; pipelining is the
// dissertation's §10.2.2).
//
//   probe:     the leader does not know where the follower's log matches its
//              own. It sends one append at a time, then waits for the answer
//              or the next heartbeat response, walking `next` back on
//              rejections.
//   replicate: the logs match up to `match`. The leader streams appends
//              without waiting, optimistically moving `next` past what it
//              sent, up to the in-flight window.
//   snapshot:  the entries the follower needs are compacted; a snapshot is
//              on its way and nothing else is sent until it is reported.

#include <coronet/consensus/raft/inflights.hpp>
#include <coronet/consensus/raft/types.hpp>

#include <cstddef>
#include <string_view>

namespace coronet::consensus::raft {

enum class progress_state : std::uint8_t { probe, replicate, snapshot };

std::string_view to_string(progress_state s);

class progress {
public:
    /// A follower the leader knows nothing about yet: probe from `next`.
    progress(index_t next, std::size_t inflight_messages_max, bool learner);

    /// Highest index known to be replicated on the follower.
    /// Invariant: never decreases while this progress exists; match < next.
    index_t match() const { return _match; }
    /// Index of the next entry to send. Invariant: match < next.
    index_t next() const { return _next; }
    progress_state state() const { return _state; }
    bool is_learner() const { return _learner; }
    void set_learner(bool learner) { _learner = learner; }
    /// The snapshot index being sent; meaningful in the snapshot state only.
    index_t pending_snapshot() const { return _pending_snapshot; }
    const raft::inflights& inflights() const { return _inflights; }

    /// Heard from the follower since the leader last checked its quorum.
    bool recent_active() const { return _recent_active; }
    void set_recent_active(bool active) { _recent_active = active; }

    /// True if the leader must not send it another append now: a probe is
    /// unanswered, the window is full, or a snapshot is on its way.
    bool is_paused() const;

    void become_probe();
    void become_replicate();
    void become_snapshot(index_t snapshot_index);
    /// The snapshot could not be delivered: probe from match + 1 again.
    void abort_snapshot();
    /// Probe state: do not send until the next heartbeat response.
    void pause_probe() { _probe_sent = true; }

    /// The follower acknowledged everything up to `index`. Returns true if
    /// that is news (match grew); resumes probing either way.
    bool maybe_update(index_t index);

    /// The follower rejected the append that followed `rejected`, and the
    /// leader's log suggests `next_hint` as the next index to try. Returns
    /// false (and changes nothing) if the rejection is stale: it answers an
    /// older message than the one the leader is waiting for.
    bool maybe_decrease_to(index_t rejected, index_t next_hint);

    /// The leader sent an append: its entries (possibly none) end at `last`.
    void sent_append(index_t last, std::size_t entry_count);

    /// A heartbeat response arrived: a paused probe may be retried, and a
    /// full window makes room for one message (the oldest may be lost).
    void heard_heartbeat_response();

private:
    index_t _match = 0;
    index_t _next = 1;
    progress_state _state = progress_state::probe;
    /// probe state: an append is unanswered, wait before sending another.
    bool _probe_sent = false;
    index_t _pending_snapshot = 0;
    bool _recent_active = false;
    bool _learner = false;
    /// replicate state only: appends in flight. Empty in the other states.
    raft::inflights _inflights;
};

} // namespace coronet::consensus::raft
