// Log replication (§5.3), commitment (§5.4.2, Figure 8), snapshots (§7), and
// the two replication modes.
#include <coronet/consensus/raft/core.hpp>
#include <coronet/consensus/raft/quorum.hpp>

#include <algorithm>

namespace coronet::consensus::raft {

// ---- Leader: appending and sending ------------------------------------------------

void core::append_entry(entry_type type, std::string data) {
    entry e;
    e.term = _term;
    e.index = _log.last_index() + 1;
    e.type = type;
    e.data = std::move(data);
    std::optional<config_entry> ce;
    if (type == entry_type::config) ce = decode_config_entry(e.data);
    _log.append(std::move(e));
    if (type == entry_type::config) {
        // Dissertation §4.1: a server uses the newest configuration in its
        // log, committed or not.
        if (ce) _members = std::move(ce->members);
        _config_index = _log.last_index();
        members_changed();
    }
    // A leader's own entries count for it at once; ready.hpp's ordering
    // (persist before sending or applying) keeps that safe.
    maybe_commit();
}

bool core::send_append(node_id to, bool send_if_empty) {
    auto& pr = _progress.at(to);
    if (pr.is_paused()) return false;
    if (_config.replication == replication_mode::sequential && _sequential_target != no_node &&
        _sequential_target != to)
        return false;
    auto prev = pr.next() - 1;
    auto prev_term = _log.term_at(prev);
    if (!prev_term) {
        if (prev > _log.last_index()) return false; // cannot happen: next <= last_index() + 1
        send_snapshot(to, pr);                       // the entries it needs are compacted
        return true;
    }
    auto m = make(message_type::append, to);
    m.index = prev;
    m.log_term = *prev_term;
    m.entries = _log.slice(pr.next(), _config.entries_per_message_max, _config.bytes_per_message_max);
    if (m.entries.empty() && !send_if_empty) return false;
    m.commit = _commit;
    pr.sent_append(m.entries.empty() ? prev : m.entries.back().index, m.entries.size());
    if (_config.replication == replication_mode::sequential) {
        _sequential_target = to;
        _sequential_elapsed = 0;
    }
    send(std::move(m));
    return true;
}

void core::send_snapshot(node_id to, progress& pr) {
    auto m = make(message_type::snapshot, to);
    m.snapshot = _log.latest_snapshot();
    pr.become_snapshot(_log.snapshot_index());
    if (_config.replication == replication_mode::sequential) {
        _sequential_target = to;
        _sequential_elapsed = 0;
    }
    send(std::move(m));
}

void core::send_heartbeat(node_id to, std::uint64_t read_round) {
    auto m = make(message_type::heartbeat, to);
    // Never more than the follower is known to hold: its entries past match
    // may still differ from the leader's.
    m.commit = std::min(_progress.at(to).match(), _commit);
    m.context = read_round;
    send(std::move(m));
}

void core::broadcast_heartbeat() {
    auto round = _reads.latest_round();
    for (const auto& [id, pr] : _progress) send_heartbeat(id, round);
}

void core::replicate() {
    if (_config.replication == replication_mode::sequential) {
        advance_sequential();
        return;
    }
    for (const auto& [id, pr] : _progress) send_more(id, true);
}

void core::send_more(node_id id, bool retry_first) {
    if (_config.replication == replication_mode::sequential) {
        advance_sequential(retry_first ? id : no_node);
        return;
    }
    // Fill the window: several messages if entries_per_message_max splits
    // the backlog.
    if (retry_first) send_append(id, true);
    while (send_append(id, false)) {
    }
}

void core::advance_sequential(node_id prefer) {
    if (_config.replication != replication_mode::sequential) return;
    if (_role != raft::role::leader || _sequential_target != no_node || _progress.empty()) return;
    auto needs = [&](node_id id) {
        const auto& pr = _progress.at(id);
        return pr.match() < _log.last_index() && !pr.is_paused();
    };
    if (prefer != no_node && _progress.contains(prefer) && needs(prefer) && send_append(prefer, true)) return;
    // Round robin in id order, starting after the follower served last.
    auto start = _progress.upper_bound(_sequential_last);
    for (std::size_t n = 0; n < _progress.size(); ++n, ++start) {
        if (start == _progress.end()) start = _progress.begin();
        auto id = start->first;
        if (needs(id) && send_append(id, true)) {
            _sequential_last = id;
            return;
        }
    }
}

// ---- Leader: answers ---------------------------------------------------------------

index_t core::next_hint(const message& rejection) const {
    // The follower's entry at reject_hint has term log_term, and nothing of
    // its log after reject_hint can match. In the leader's log, nothing
    // after the last entry with a term <= log_term can match either: skip
    // all of it in one step instead of one entry per round trip.
    return _log.find_conflict_by_term(rejection.reject_hint, rejection.log_term) + 1;
}

std::error_code core::handle_append_response(const message& m, progress& pr) {
    if (m.index > _log.last_index()) return errc::malformed_message;
    pr.set_recent_active(true);
    if (_sequential_target == m.from) _sequential_target = no_node;
    auto id = m.from;
    if (m.reject) {
        if (!pr.maybe_decrease_to(m.index, next_hint(m))) {
            advance_sequential();
            return errc::stale_message;
        }
        if (pr.state() == progress_state::replicate) pr.become_probe();
        send_more(id, true);
        return {};
    }
    if (!pr.maybe_update(m.index)) {
        send_more(id, false);
        return {};
    }
    if (pr.state() == progress_state::probe) pr.become_replicate();
    else if (pr.state() == progress_state::snapshot && pr.match() >= pr.pending_snapshot()) pr.become_replicate();
    if (maybe_commit()) {
        if (_role != raft::role::leader) return {}; // the commit removed this leader
        replicate();                                 // tell everyone the new commit index
    }
    send_more(id, false);
    if (id == _transfer_target && _progress.at(id).match() == _log.last_index())
        send(make(message_type::timeout_now, id));
    return {};
}

std::error_code core::handle_heartbeat_response(const message& m, progress& pr) {
    pr.set_recent_active(true);
    pr.heard_heartbeat_response();
    // Something the follower lacks: send it, or (in replicate, where the
    // window may hold lost messages) an append whose rejection restarts probing.
    if (pr.match() < _log.last_index()) send_more(m.from, true);
    if (m.context != 0) {
        _reads.acknowledge(m.from, m.context);
        release_reads();
    }
    return {};
}

// ---- Commitment (§5.4.2) -------------------------------------------------------------

bool core::maybe_commit() {
    auto index = majority_value(_members.voters, [&](node_id id) -> index_t {
        if (id == _config.id) return _log.last_index();
        auto it = _progress.find(id);
        return it == _progress.end() ? 0 : it->second.match();
    });
    // Figure 8: counting replicas only commits entries of the current term;
    // earlier entries are committed indirectly, by the Log Matching Property.
    if (index <= _commit || _log.term_at(index) != _term) return false;
    commit_to(index);
    return true;
}

void core::commit_to(index_t index) {
    if (index <= _commit) return;
    auto old = _commit;
    _commit = index;
    if (_role != raft::role::leader) return;
    // The first commit of the term makes the leader's commit index
    // trustworthy: queued reads can start their rounds.
    if (committed_in_term()) {
        if (_reads.open_waiting(_commit) != 0) {
            if (_config.lease_reads) {
                for (const auto& r : _reads.take_open()) answer_read(r.requester, {r.index, r.request_ctx});
            } else {
                broadcast_heartbeat();
                release_reads();
            }
        }
    }
    step_down_if_removed(old);
}

// ---- Follower -------------------------------------------------------------------------

std::error_code core::handle_append(const message& m) {
    auto reply = make(message_type::append_response, m.from);
    if (m.index < _commit) {
        // Everything up to commit is settled; let the leader continue after it.
        reply.index = _commit;
        send(std::move(reply));
        return {};
    }
    if (!_log.matches(m.index, m.log_term)) {
        auto hint = _log.find_conflict_by_term(std::min(m.index, _log.last_index()), m.log_term);
        reply.reject = true;
        reply.index = m.index;
        reply.reject_hint = hint;
        reply.log_term = _log.term_at(hint).value_or(0);
        send(std::move(reply));
        return {};
    }
    auto conflict = _log.find_conflict(m.entries);
    if (conflict != 0) {
        // Only an uncommitted suffix may be replaced (§5.3); a leader asking
        // for more is broken or forged.
        if (conflict <= _commit) return errc::malformed_message;
        bool truncates_config = _config_index >= conflict && _log.last_index() >= conflict;
        std::span<const entry> fresh(m.entries);
        fresh = fresh.subspan(static_cast<std::size_t>(conflict - (m.index + 1)));
        bool appends_config = std::any_of(fresh.begin(), fresh.end(), [](const entry& e) { return e.type == entry_type::config; });
        _log.truncate_and_append(fresh);
        if (truncates_config || appends_config) rebuild_members();
    }
    auto last_new = m.index + m.entries.size();
    commit_to(std::min(m.commit, last_new));
    reply.index = last_new;
    send(std::move(reply));
    return {};
}

std::error_code core::handle_heartbeat(const message& m) {
    // The leader sends at most what this node holds in common with it; a
    // larger value is nonsense, and committing it could commit a divergent entry.
    if (m.commit <= _log.last_index()) commit_to(m.commit);
    auto reply = make(message_type::heartbeat_response, m.from);
    reply.context = m.context;
    send(std::move(reply));
    return m.commit <= _log.last_index() ? std::error_code{} : errc::malformed_message;
}

std::error_code core::handle_snapshot(const message& m) {
    const auto& snap = *m.snapshot;
    auto index = snap.metadata.index;
    auto reply = make(message_type::append_response, m.from);
    if (index <= _commit) {
        reply.index = _commit;
        send(std::move(reply));
        return {};
    }
    if (_log.matches(index, snap.metadata.term)) {
        // This node already has the entries: keep them, they are committed.
        commit_to(index);
        reply.index = _commit;
        send(std::move(reply));
        return {};
    }
    _log.install(snap);
    _commit = index;
    _applying = std::max(_applying, index);
    rebuild_members();
    reply.index = _log.last_index();
    send(std::move(reply));
    return {};
}

} // namespace coronet::consensus::raft
