#pragma once
// The leader's window of append messages sent to one follower and not yet
// acknowledged (pipelining, dissertation §10.2.2). Each message is
// remembered by the index of its last entry; an acknowledgment of index i
// frees every message that ended at or before i.

#include <coronet/consensus/raft/types.hpp>

#include <cstddef>
#include <deque>

namespace coronet::consensus::raft {

class inflights {
public:
    /// Throws std::invalid_argument if messages_max is 0.
    explicit inflights(std::size_t messages_max);

    /// Records a message whose last entry is `last`.
    /// \pre !full() and `last` is greater than every index recorded
    void add(index_t last);

    /// Forgets the messages that ended at or before `index`.
    void free_to(index_t index);

    /// Forgets the oldest message (after a heartbeat response, so a window
    /// full of lost messages does not block the follower forever).
    void free_first();

    void clear() { _last.clear(); }
    bool full() const { return _last.size() >= _messages_max; }
    std::size_t count() const { return _last.size(); }
    std::size_t messages_max() const { return _messages_max; }

private:
    std::size_t _messages_max;
    /// Last indexes of the messages in flight, oldest first, strictly
    /// increasing; at most _messages_max of them.
    std::deque<index_t> _last;
};

} // namespace coronet::consensus::raft
