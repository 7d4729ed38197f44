#pragma once
// The subscription trie: patterns are paths of levels, with a separate child
// slot per node for `*` and for `>`, so matching a topic walks at most the
// branches its own levels select. Its cost depends on the topic's depth and
// on the number of matches, never on how many subscriptions exist.

#include <coronet/pubsub/topic.hpp>
#include <coronet/pubsub/text_hash.hpp>

#include <boost/unordered/unordered_flat_map.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace coronet::pubsub {

using subscription_id = std::uint64_t;

class topic_tree {
public:
    topic_tree();
    ~topic_tree();
    topic_tree(topic_tree&&) noexcept;
    topic_tree& operator=(topic_tree&&) noexcept;

    /// Adds `id` under `pattern`; the same id under the same pattern is kept
    /// once. \pre pattern_error(pattern) is empty.
    void insert(std::string_view pattern, subscription_id id);

    /// Removes `id` from under `pattern` and prunes the nodes that leaves
    /// empty; false if it was not there.
    bool erase(std::string_view pattern, subscription_id id);

    /// Calls visit(id) once per (pattern, id) entry whose pattern matches
    /// `topic`. An id inserted under two patterns that both match is visited
    /// twice: removing duplicates is the caller's job (the router gives every
    /// id one pattern, so it has none). Does not allocate.
    /// \pre topic_error(topic) is empty (an invalid topic is safe: the walk
    /// never goes deeper than the tree, but the result means nothing).
    /// \warning visit must not insert or erase on this tree.
    template <class F>
    void match(std::string_view topic, F&& visit) const {
        match_from(_root, level_cursor(topic), visit);
    }

    /// Nodes in the trie, root included: 1 when empty.
    std::size_t node_count() const { return _nodes; }
    /// (pattern, id) entries.
    std::size_t size() const { return _entries; }
    bool empty() const { return _entries == 0; }

private:

    struct node {
        // Children are held by pointer: the flat map moves its elements as it
        // grows, and node is incomplete here.
        boost::unordered_flat_map<std::string, std::unique_ptr<node>, text_hash, text_equal> children;
        std::unique_ptr<node> star; ///< the level `*`
        std::unique_ptr<node> tail; ///< the level `>`: always a leaf
        std::vector<subscription_id> ids; ///< of patterns that end here; few per node
        bool bare() const { return ids.empty() && children.empty() && !star && !tail; }
    };

    template <class F>
    static void match_from(const node& n, level_cursor levels, F& visit) {
        if (levels.done()) {
            for (auto id : n.ids) visit(id);
            return;
        }
        auto level = levels.next();
        if (n.tail) // `>` takes this level and everything after it
            for (auto id : n.tail->ids) visit(id);
        if (auto it = n.children.find(level); it != n.children.end()) match_from(*it->second, levels, visit);
        if (n.star) match_from(*n.star, levels, visit);
    }

    node& child(node& n, std::string_view level);
    bool erase_from(node& n, level_cursor levels, subscription_id id);

    node _root;
    std::size_t _nodes = 1;
    std::size_t _entries = 0;
};

} // namespace coronet::pubsub
