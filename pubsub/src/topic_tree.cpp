#include <coronet/pubsub/topic_tree.hpp>

#include <algorithm>
#include <utility>

namespace coronet::pubsub {

topic_tree::topic_tree() = default;
topic_tree::~topic_tree() = default;

// The counters go with the nodes, so the moved-from tree is a true empty one.
topic_tree::topic_tree(topic_tree&& other) noexcept
    : _root(std::move(other._root)), _nodes(std::exchange(other._nodes, 1)),
      _entries(std::exchange(other._entries, 0)) {}

topic_tree& topic_tree::operator=(topic_tree&& other) noexcept {
    if (this != &other) {
        _root = std::move(other._root);
        _nodes = std::exchange(other._nodes, 1);
        _entries = std::exchange(other._entries, 0);
    }
    return *this;
}

void topic_tree::insert(std::string_view pattern, subscription_id id) {
    node* n = &_root;
    for (level_cursor levels(pattern); !levels.done();) n = &child(*n, levels.next());
    if (std::find(n->ids.begin(), n->ids.end(), id) != n->ids.end()) return;
    n->ids.push_back(id);
    ++_entries;
}

bool topic_tree::erase(std::string_view pattern, subscription_id id) {
    return erase_from(_root, level_cursor(pattern), id);
}

// The child for `level`, created if missing. The node is built before it is
// linked in, so a failed allocation never leaves a null child behind.
topic_tree::node& topic_tree::child(node& n, std::string_view level) {
    if (level == "*" || level == ">") {
        auto& slot = level == "*" ? n.star : n.tail;
        if (!slot) {
            slot = std::make_unique<node>();
            ++_nodes;
        }
        return *slot;
    }
    if (auto it = n.children.find(level); it != n.children.end()) return *it->second;
    auto fresh = std::make_unique<node>();
    auto& result = *fresh;
    n.children.emplace(std::string(level), std::move(fresh));
    ++_nodes;
    return result;
}

bool topic_tree::erase_from(node& n, level_cursor levels, subscription_id id) {
    if (levels.done()) {
        auto it = std::find(n.ids.begin(), n.ids.end(), id);
        if (it == n.ids.end()) return false;
        *it = n.ids.back(); // order among ids carries no meaning
        n.ids.pop_back();
        --_entries;
        return true;
    }
    auto level = levels.next();
    if (level == "*" || level == ">") {
        auto& slot = level == "*" ? n.star : n.tail;
        if (!slot || !erase_from(*slot, levels, id)) return false;
        if (slot->bare()) {
            slot.reset();
            --_nodes;
        }
        return true;
    }
    auto it = n.children.find(level);
    if (it == n.children.end() || !erase_from(*it->second, levels, id)) return false;
    if (it->second->bare()) {
        n.children.erase(it);
        --_nodes;
    }
    return true;
}

} // namespace coronet::pubsub
