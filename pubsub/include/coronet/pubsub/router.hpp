#pragma once
// Who gets a message: every matching subscription outside a queue group, and
// one member of each queue group that has a matching member (load-balanced
// workers, as in NATS). The router owns subscription ids and the topic trie;
// queues, sockets and clients live above it.

#include <coronet/pubsub/topic.hpp>
#include <coronet/pubsub/text_hash.hpp>
#include <coronet/pubsub/topic_tree.hpp>

#include <boost/unordered/unordered_flat_map.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace coronet::pubsub {

class router {
public:
    explicit router(topic_limits limits = {}) : _limits(limits) {}

    /// A fresh id (never 0, never reused) for a subscription to `pattern`,
    /// in `queue_group` if it is not empty. Throws std::invalid_argument with
    /// pattern_error()'s message if the pattern is invalid.
    subscription_id subscribe(std::string_view pattern, std::string_view queue_group = {});

    /// Removes the subscription and whatever of the trie it alone used;
    /// false if `id` is not subscribed.
    bool unsubscribe(subscription_id id);

    /// Calls deliver(id) once for every matching subscription without a
    /// queue group, and once for one matching member of each queue group.
    /// Within a group, members take turns in id order: the member chosen is
    /// the next matching one after the group's previous choice, so N messages
    /// that all k members match reach each member N/k times (exactly, when k
    /// divides N). Does not allocate once its scratch space has grown to the
    /// largest fan-out seen.
    /// \pre topic_error(topic) is empty.
    /// \warning deliver must not call back into this router: collect changes
    /// (an unsubscribe on disconnect, say) and apply them after route returns.
    template <class F>
    void route(std::string_view topic, F&& deliver) {
        collect(topic);
        for (auto id : _chosen) deliver(id);
    }

    std::size_t subscriptions() const { return _subscriptions.size(); }
    /// The queue groups with at least one member.
    std::size_t groups() const { return _groups.size(); }
    const topic_tree& tree() const { return _tree; }
    const topic_limits& limits() const { return _limits; }

private:
    struct group {
        std::size_t members = 0;
        subscription_id last = 0;  ///< chosen for the previous message; 0: none yet
        // Scratch for the message being routed; meaningful only while
        // seen_at == the router's _epoch.
        std::uint64_t seen_at = 0;
        subscription_id after = 0; ///< smallest matching id > last, 0 if none
        subscription_id first = 0; ///< smallest matching id
    };
    struct subscription {
        std::string pattern;
        group* queue = nullptr; ///< owned by _groups; null: not in a group
        std::string queue_name;
    };

    /// Fills _chosen with the ids to deliver to.
    void collect(std::string_view topic);

    topic_limits _limits;
    topic_tree _tree;
    boost::unordered_flat_map<subscription_id, subscription> _subscriptions;
    // Groups by pointer: subscriptions point at them, and the flat map moves
    // its elements as it grows.
    boost::unordered_flat_map<std::string, std::unique_ptr<group>, text_hash, text_equal> _groups;
    subscription_id _next_id = 1;
    std::uint64_t _epoch = 0;
    std::vector<subscription_id> _chosen;  ///< scratch: this message's recipients
    std::vector<group*> _touched;         ///< scratch: groups with a match
};

} // namespace coronet::pubsub
