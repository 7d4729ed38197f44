#pragma once
// Where a Raft node keeps what must survive a crash: its hard state, its log
// and its latest snapshot. The node calls save() with every ready before it
// sends that ready's messages (ready.hpp says why); restore() is what a
// restarted node starts from.

#include <coronet/consensus/raft/ready.hpp>
#include <coronet/consensus/raft/restored_state.hpp>

#include <cstddef>

namespace coronet::consensus::raft {

class stable_store {
public:
    virtual ~stable_store() = default;
    /// Makes r.snapshot, r.entries and r.hard_state durable (in that order of
    /// effect) before returning. Throws if it cannot: the node must not go on.
    virtual void save(const ready& r) = 0;
    /// Records that the log up to snap.metadata.index is covered by `snap`
    /// (taken by the node from its state machine) and may be dropped.
    virtual void compact(const snapshot& snap) = 0;
    /// What a node restarting from this store begins with.
    virtual restored_state restore() const = 0;
};

/// In memory: survives a node's restart inside one process (the simulator's
/// crash-restart), not the process. For tests and the simulator.
class memory_stable_store final : public stable_store {
public:
    void save(const ready& r) override;
    void compact(const snapshot& snap) override;
    restored_state restore() const override;
    std::size_t saves() const { return _saves; }

private:
    restored_state _state;
    std::size_t _saves = 0;
};

} // namespace coronet::consensus::raft
