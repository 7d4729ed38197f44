// Roles, terms and elections: §5.1-5.2 and §5.4.1 of the paper, PreVote and
// CheckQuorum from the dissertation (§9.6), and the role-specific dispatch
// of incoming messages.
#include <coronet/consensus/raft/core.hpp>
#include <coronet/consensus/raft/quorum.hpp>

#include <limits>

namespace coronet::consensus::raft {

// ---- Becoming -----------------------------------------------------------------

void core::reset(term_t term) {
    if (_term != term) {
        _term = term;
        _vote = no_node;
    }
    _leader = no_node;
    _election_elapsed = 0;
    _heartbeat_elapsed = 0;
    draw_election_timeout();
    _votes.clear();
    _progress.clear();
    _transfer_target = no_node;
    _reads.clear();
    _sequential_target = no_node;
    _sequential_elapsed = 0;
    _pending_broadcast = false;
}

void core::become_follower(term_t term, node_id leader) {
    reset(term);
    _step = &core::step_follower;
    _role = raft::role::follower;
    _leader = leader;
}

void core::become_pre_candidate() {
    // Neither the term nor the vote changes: that is the point of PreVote.
    _step = &core::step_candidate;
    _role = raft::role::pre_candidate;
    _votes.clear();
    _leader = no_node;
}

void core::become_candidate() {
    reset(_term + 1);
    _step = &core::step_candidate;
    _role = raft::role::candidate;
    _vote = _config.id;
}

void core::become_leader() {
    reset(_term);
    _step = &core::step_leader;
    _role = raft::role::leader;
    _leader = _config.id;
    // Every follower starts in probe at the entry after the leader's log,
    // which the no-op appended below will occupy.
    members_changed();
    // §8: a leader does not know what is committed until it commits an entry
    // of its own term; the no-op does that without waiting for a client.
    append_entry(entry_type::noop, {});
    if (_role == raft::role::leader) replicate();
}

void core::draw_election_timeout() {
    // splitmix64: deterministic for a given seed and id, and tiny.
    _rng_state += 0x9E3779B97F4A7C15ull;
    auto z = _rng_state;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    auto jitter = _config.election_jitter_ticks ? _config.election_jitter_ticks : _config.election_ticks;
    _election_timeout_ticks = _config.election_ticks + static_cast<std::uint32_t>(z % jitter);
}

// ---- Campaigning ---------------------------------------------------------------

bool core::promotable() const {
    // The term guard keeps term + 1 representable (messages carrying the
    // largest term are refused as malformed).
    return _members.is_voter(_config.id) && _term < std::numeric_limits<term_t>::max() - 1;
}

void core::start_election(bool leader_transfer) {
    if (!promotable()) return;
    // A transfer skips PreVote: the old leader asked for this election.
    campaign_as(_config.pre_vote && !leader_transfer, leader_transfer);
}

void core::campaign_as(bool pre, bool leader_transfer) {
    if (pre) become_pre_candidate();
    else become_candidate();
    _votes[_config.id] = true;
    auto result = tally(_members.voters, [&](node_id id) {
        auto it = _votes.find(id);
        return it == _votes.end() ? -1 : (it->second ? 1 : 0);
    });
    if (result == vote_result::won) { // a cluster of one
        if (pre) campaign_as(false, leader_transfer);
        else become_leader();
        return;
    }
    for (auto id : _members.voters) {
        if (id == _config.id) continue;
        auto m = make(pre ? message_type::pre_vote : message_type::vote, id);
        m.term = pre ? _term + 1 : _term;
        m.index = _log.last_index();
        m.log_term = _log.last_term();
        m.leader_transfer = leader_transfer;
        send(std::move(m));
    }
}

bool core::in_lease() const {
    return _config.check_quorum && _leader != no_node && _election_elapsed < _config.election_ticks;
}

// ---- Terms (§5.1) ---------------------------------------------------------------

std::error_code core::step_term(const message& m) {
    if (m.term > _term) {
        bool vote_request = m.type == message_type::vote || m.type == message_type::pre_vote;
        // The leader lease: a node that heard from a live leader recently
        // ignores campaigns, so a node coming back from a partition with a
        // high term cannot depose a healthy leader.
        if (vote_request && !m.leader_transfer && in_lease()) return errc::in_lease;
        // A pre-vote asks about term + 1 without claiming it, and a granted
        // pre-vote response answers at that term: neither raises ours.
        if (m.type == message_type::pre_vote) return {};
        if (m.type == message_type::pre_vote_response && !m.reject) return {};
        bool from_leader = m.type == message_type::append || m.type == message_type::heartbeat ||
                           m.type == message_type::snapshot;
        become_follower(m.term, from_leader ? m.from : no_node);
        return {};
    }
    if (m.term < _term) {
        if ((_config.check_quorum || _config.pre_vote) &&
            (m.type == message_type::heartbeat || m.type == message_type::append)) {
            // A deposed leader whose followers moved on (without answering it,
            // because of the lease or PreVote) would otherwise never learn of
            // the new term: tell it.
            send(make(message_type::append_response, m.from));
        } else if (m.type == message_type::pre_vote) {
            // Tell a lagging pre-candidate about the newer term so it stops.
            auto reply = make(message_type::pre_vote_response, m.from);
            reply.reject = true;
            send(std::move(reply));
        }
        return errc::stale_term;
    }
    return {};
}

// ---- Votes (§5.2, §5.4.1) --------------------------------------------------------

std::error_code core::handle_vote_request(const message& m) {
    bool pre = m.type == message_type::pre_vote;
    // One vote per term: a repeated request from the same candidate is
    // granted again (its first answer may have been lost). A pre-vote for a
    // later term commits to nothing, so it can always be granted.
    bool can_vote = _vote == m.from || (_vote == no_node && _leader == no_node) || (pre && m.term > _term);
    auto reply = make(pre ? message_type::pre_vote_response : message_type::vote_response, m.from);
    if (can_vote && _log.is_up_to_date(m.index, m.log_term)) {
        reply.term = m.term;
        if (!pre) {
            _vote = m.from;
            _election_elapsed = 0;
        }
    } else {
        reply.reject = true;
    }
    send(std::move(reply));
    return {};
}

// ---- Role dispatch ---------------------------------------------------------------

std::error_code core::step_follower(const message& m) {
    switch (m.type) {
    case message_type::append:
    case message_type::heartbeat:
    case message_type::snapshot:
        _election_elapsed = 0;
        _leader = m.from;
        if (m.type == message_type::append) return handle_append(m);
        if (m.type == message_type::heartbeat) return handle_heartbeat(m);
        return handle_snapshot(m);
    case message_type::timeout_now:
        if (!promotable()) return errc::not_a_voter;
        start_election(true);
        return {};
    case message_type::read_index_response:
        if (m.reject) return {};
        _read_states.push_back({m.index, m.context});
        return {};
    case message_type::read_index:
        // Followers do not serve reads for others: the requester will time
        // out and retry with the actual leader.
        return errc::not_leader;
    default: return errc::stale_message;
    }
}

std::error_code core::step_candidate(const message& m) {
    bool pre = _role == raft::role::pre_candidate;
    switch (m.type) {
    case message_type::append:
    case message_type::heartbeat:
    case message_type::snapshot:
        // A leader exists in this term (pre-candidates have not left it).
        become_follower(_term, m.from);
        return step_follower(m);
    case message_type::pre_vote_response:
    case message_type::vote_response: {
        if ((m.type == message_type::pre_vote_response) != pre) return errc::stale_message;
        if (pre && !m.reject && m.term != _term + 1) return errc::stale_message;
        if (!_members.is_voter(m.from)) return errc::unknown_sender;
        _votes.try_emplace(m.from, !m.reject);
        auto result = tally(_members.voters, [&](node_id id) {
            auto it = _votes.find(id);
            return it == _votes.end() ? -1 : (it->second ? 1 : 0);
        });
        if (result == vote_result::won) {
            if (pre) campaign_as(false, false);
            else become_leader();
        } else if (result == vote_result::lost) {
            become_follower(_term, no_node);
        }
        return {};
    }
    default: return errc::stale_message;
    }
}

std::error_code core::step_leader(const message& m) {
    auto it = _progress.find(m.from);
    if (it == _progress.end()) return errc::unknown_sender;
    switch (m.type) {
    case message_type::append_response: return handle_append_response(m, it->second);
    case message_type::heartbeat_response: return handle_heartbeat_response(m, it->second);
    case message_type::read_index:
        it->second.set_recent_active(true);
        if (leader_read(m.from, m.context)) {
            auto reply = make(message_type::read_index_response, m.from);
            reply.context = m.context;
            reply.reject = true;
            send(std::move(reply));
        }
        return {};
    default: return errc::stale_message;
    }
}

// ---- Ticks ---------------------------------------------------------------------------

void core::tick_election() {
    ++_election_elapsed;
    if (promotable() && _election_elapsed >= _election_timeout_ticks) {
        _election_elapsed = 0;
        start_election(false);
    }
}

void core::tick_leader() {
    ++_heartbeat_elapsed;
    ++_election_elapsed;
    if (_election_elapsed >= _config.election_ticks) {
        _election_elapsed = 0;
        if (_config.check_quorum && !quorum_active()) {
            become_follower(_term, no_node);
            return;
        }
        _transfer_target = no_node; // a transfer that took this long has failed
    }
    if (_sequential_target != no_node && ++_sequential_elapsed >= _config.sequential_ack_ticks) {
        auto it = _progress.find(_sequential_target);
        if (it != _progress.end() && it->second.state() == progress_state::replicate) it->second.become_probe();
        _sequential_target = no_node;
        advance_sequential();
    }
    if (_heartbeat_elapsed >= _config.heartbeat_ticks) {
        _heartbeat_elapsed = 0;
        broadcast_heartbeat();
    }
}

bool core::quorum_active() {
    auto active = [&](node_id id) -> index_t {
        if (id == _config.id) return 1;
        auto it = _progress.find(id);
        return it != _progress.end() && it->second.recent_active() ? 1 : 0;
    };
    bool ok = majority_value(_members.voters, active) == 1;
    for (auto& [id, pr] : _progress) pr.set_recent_active(false);
    return ok;
}

} // namespace coronet::consensus::raft
