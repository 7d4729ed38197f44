#pragma once
// What a subscriber's full queue does with one more message. A slow consumer
// costs the broker a bounded queue and nothing more: it loses messages (and
// the counters say how many) or it loses its connection.

#include <optional>
#include <string_view>

namespace coronet::pubsub {

enum class overflow_policy {
    drop_oldest, ///< evict from the front until the new message fits: fresh data wins
    drop_newest, ///< refuse the new message: what was queued is delivered in full
    disconnect,  ///< refuse it and tell the caller to disconnect the subscriber
};

/// "drop-oldest", "drop-newest" or "disconnect": the spelling configuration uses.
std::string_view to_string(overflow_policy p);
std::optional<overflow_policy> parse_overflow_policy(std::string_view s);

} // namespace coronet::pubsub
