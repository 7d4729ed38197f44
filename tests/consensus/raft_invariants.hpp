#pragma once
// Raft's safety properties, checked from outside the core after every input
// (in the spirit of LogCabin's RaftConsensusInvariants and TigerBeetle's
// state checker). A violation throws std::logic_error naming the node and
// the property, which fails the test that caused it.
//
// Per node, between two observations (checkDelta):
//   - the term never decreases;
//   - within a term, the vote is cast at most once;
//   - the commit index never decreases;
//   - applied <= commit <= last index, and the snapshot is committed;
//   - the last entry's term is not from the future;
//   - a leader's view of a follower never claims entries it does not have.
// Across the cluster:
//   - Election Safety: at most one leader per term (§5.2);
//   - State Machine Safety: no two nodes apply different entries at the
//     same index (§5.4.3).

#include "consensus/raft_support.hpp"

#include <map>
#include <stdexcept>
#include <string>
#include <utility>

namespace raft_test {

class invariant_checker {
public:
    void observe(const raft::core& c) {
        auto id = c.id();
        auto fail = [&](const std::string& what) {
            throw std::logic_error("raft invariant violated on node " + std::to_string(id) + ": " + what);
        };
        auto it = _last.find(id);
        if (it != _last.end()) {
            const auto& before = it->second;
            if (c.term() < before.term) fail("term decreased from " + std::to_string(before.term));
            if (c.term() == before.term && before.vote != raft::no_node && c.vote() != before.vote)
                fail("voted twice in term " + std::to_string(c.term()));
            if (c.commit() < before.commit) fail("commit decreased from " + std::to_string(before.commit));
        }
        _last[id] = c.hard_state();
        if (c.applied() > c.commit()) fail("applied is past commit");
        if (c.commit() > c.log().last_index()) fail("commit is past the last entry");
        if (c.log().snapshot_index() > c.commit()) fail("snapshot is not committed");
        if (c.log().last_term() > c.term()) fail("an entry is from a future term");
        if (c.role() == raft::role::leader) {
            if (c.leader() != id) fail("a leader that does not know it leads");
            auto [leader, inserted] = _leaders.emplace(c.term(), id);
            if (!inserted && leader->second != id)
                fail("second leader in term " + std::to_string(c.term()) + " (first: " +
                     std::to_string(leader->second) + ")");
            for (const auto& [peer, pr] : c.progresses()) {
                if (pr.match() > c.log().last_index()) fail("progress match past the leader's log");
                if (pr.match() >= pr.next()) fail("progress match not below next");
            }
        }
    }

    /// A restarted node starts again from what it persisted.
    void restarted(const raft::core& c) { _last[c.id()] = c.hard_state(); }

    /// Node `id` applied `e` to its state machine.
    void applied(raft::node_id id, const raft::entry& e) {
        auto [it, inserted] = _applied.emplace(e.index, std::make_pair(e.term, e.data));
        if (!inserted && it->second != std::make_pair(e.term, e.data))
            throw std::logic_error("raft invariant violated on node " + std::to_string(id) +
                                   ": applied a different entry at index " + std::to_string(e.index));
    }

    /// Leaders seen so far, by term.
    const std::map<raft::term_t, raft::node_id>& leaders() const { return _leaders; }

private:
    std::map<raft::node_id, raft::hard_state> _last;
    std::map<raft::term_t, raft::node_id> _leaders;
    std::map<raft::index_t, std::pair<raft::term_t, std::string>> _applied;
};

} // namespace raft_test
