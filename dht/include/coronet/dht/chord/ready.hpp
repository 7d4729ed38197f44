#pragma once
// The output of the core: one batch of work for the driver, taken with
// core::take_ready().
//
// Chord's routing state is soft: a restarted node simply joins again, so
// there is nothing to persist and no ordering between sending and storing to
// enforce. That is why, unlike Raft's ready, there is no advance(): taking
// the ready hands the work over. The driver sends `messages` (in order, to
// each message's `to`), delivers `lookups` to whoever asked, and may watch
// `joined` and `neighbours` (a storage layer moves keys when they change).

#include <coronet/dht/chord/lookup.hpp>
#include <coronet/dht/chord/message.hpp>
#include <coronet/dht/chord/peer.hpp>

#include <optional>
#include <system_error>
#include <vector>

namespace coronet::dht::chord {

/// The nodes on either side of this one.
struct neighbours {
    std::optional<peer> predecessor;
    peer successor; ///< this node itself while it is alone

    friend bool operator==(const neighbours&, const neighbours&) = default;
};

struct ready {
    /// To send, each to its `to` address. Losing some is fine (the core
    /// times out and retries), so is delivering them late or twice.
    std::vector<message> messages;
    /// Lookups that finished (successfully or not) since the last ready.
    std::vector<lookup_result> lookups;
    /// Set once when join() finishes: empty if the node is now in the ring,
    /// else why it gave up (it is idle again and may join once more).
    std::optional<std::error_code> joined;
    /// Set if the predecessor or successor changed since the last ready.
    std::optional<chord::neighbours> neighbours;

    bool empty() const { return messages.empty() && lookups.empty() && !joined && !neighbours; }
};

} // namespace coronet::dht::chord
