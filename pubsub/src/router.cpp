#include <coronet/pubsub/router.hpp>

#include <stdexcept>

namespace coronet::pubsub {

subscription_id router::subscribe(std::string_view pattern, std::string_view queue_group) {
    if (auto error = pattern_error(pattern, _limits)) throw std::invalid_argument(*error);
    auto id = _next_id++;
    subscription s{std::string(pattern), nullptr, std::string(queue_group)};
    if (!queue_group.empty()) {
        auto it = _groups.find(queue_group);
        if (it == _groups.end()) it = _groups.emplace(std::string(queue_group), std::make_unique<group>()).first;
        s.queue = it->second.get();
    }
    // Reserve both places before touching either, so a failed allocation
    // leaves neither a trie entry without a subscription nor the reverse.
    auto entry = _subscriptions.emplace(id, std::move(s)).first;
    try {
        _tree.insert(entry->second.pattern, id);
    } catch (...) {
        _subscriptions.erase(entry);
        if (!queue_group.empty() && _groups.find(queue_group)->second->members == 0) _groups.erase(queue_group);
        throw;
    }
    if (auto* g = entry->second.queue) ++g->members;
    return id;
}

bool router::unsubscribe(subscription_id id) {
    auto it = _subscriptions.find(id);
    if (it == _subscriptions.end()) return false;
    _tree.erase(it->second.pattern, id);
    if (auto* g = it->second.queue; g && --g->members == 0) _groups.erase(it->second.queue_name);
    _subscriptions.erase(it);
    return true;
}

void router::collect(std::string_view topic) {
    _chosen.clear();
    _touched.clear();
    auto epoch = ++_epoch;
    _tree.match(topic, [&](subscription_id id) {
        auto* g = _subscriptions.find(id)->second.queue;
        if (!g) {
            _chosen.push_back(id);
            return;
        }
        if (g->seen_at != epoch) {
            g->seen_at = epoch;
            g->after = 0;
            g->first = 0;
            _touched.push_back(g);
        }
        if (g->first == 0 || id < g->first) g->first = id;
        if (id > g->last && (g->after == 0 || id < g->after)) g->after = id;
    });
    for (auto* g : _touched) {
        g->last = g->after != 0 ? g->after : g->first; // wrap around to the smallest
        _chosen.push_back(g->last);
    }
}

} // namespace coronet::pubsub
