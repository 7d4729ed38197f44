// Membership: which configuration is in force (the newest in the log,
// dissertation §4.1), the leader's progress table that follows it, and a
// removed leader stepping down (§4.2.2).
#include <coronet/consensus/raft/core.hpp>

namespace coronet::consensus::raft {

membership core::base_membership() const {
    const auto& snap = _log.latest_snapshot().metadata;
    if (snap.index > 0) return snap.members;
    return make_membership(_config.voters, _config.learners);
}

membership core::membership_at(index_t index) const {
    auto members = base_membership();
    for (auto i = _log.first_index(); i <= index && i <= _log.last_index(); ++i) {
        const auto& e = _log.at(i);
        if (e.type != entry_type::config) continue;
        if (auto ce = decode_config_entry(e.data)) members = std::move(ce->members);
    }
    return members;
}

void core::rebuild_members() {
    _members = base_membership();
    _config_index = 0;
    for (auto i = _log.first_index(); i <= _log.last_index(); ++i) {
        const auto& e = _log.at(i);
        if (e.type != entry_type::config) continue;
        // An entry that does not decode changes nothing, the same way on
        // every node; it is still the newest config entry.
        if (auto ce = decode_config_entry(e.data)) _members = std::move(ce->members);
        _config_index = i;
    }
    members_changed();
}

void core::members_changed() {
    if (_role != raft::role::leader) return;
    for (auto it = _progress.begin(); it != _progress.end();) {
        if (_members.contains(it->first)) {
            it->second.set_learner(_members.is_learner(it->first));
            ++it;
        } else {
            it = _progress.erase(it);
        }
    }
    auto add = [&](node_id id, bool learner) {
        if (id == _config.id || _progress.contains(id)) return;
        _progress.emplace(id, progress(_log.last_index() + 1, _config.inflight_messages_max, learner));
    };
    for (auto id : _members.voters) add(id, false);
    for (auto id : _members.learners) add(id, true);
    if (_transfer_target != no_node && !_members.is_voter(_transfer_target)) _transfer_target = no_node;
    if (_sequential_target != no_node && !_progress.contains(_sequential_target)) _sequential_target = no_node;
}

void core::step_down_if_removed(index_t old_commit) {
    // A leader that removed itself manages the cluster until the change
    // commits (without counting itself), then leaves the others to elect.
    if (_role == raft::role::leader && _config_index > old_commit && _config_index <= _commit &&
        !_members.is_voter(_config.id)) {
        broadcast_heartbeat(); // so the others learn that the change committed
        become_follower(_term, no_node);
    }
}

bool core::committed_in_term() const { return _log.term_at(_commit) == _term; }

} // namespace coronet::consensus::raft
