// The core's entry points: construction, the inputs that are not about
// elections or replication in particular, and ready/advance.
#include <coronet/consensus/raft/core.hpp>

#include <algorithm>
#include <limits>
#include <stdexcept>

namespace coronet::consensus::raft {
namespace {

/// The splitmix64 finalizer: nearby inputs map far apart.
std::uint64_t spread(std::uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

raft::config validated(raft::config config) {
    config.validate();
    return config;
}

bool valid_ids(const std::vector<node_id>& ids) {
    for (std::size_t i = 0; i < ids.size(); ++i) {
        if (ids[i] == no_node) return false;
        if (i > 0 && ids[i - 1] >= ids[i]) return false;
    }
    return true;
}

bool valid_membership(const membership& m) {
    if (!valid_ids(m.voters) || !valid_ids(m.learners)) return false;
    for (auto id : m.learners)
        if (m.is_voter(id)) return false;
    return true;
}

/// The checks that do not depend on the receiver's state: a message failing
/// them is nonsense whoever receives it.
bool well_formed(const message& m) {
    if (static_cast<std::uint8_t>(m.type) >= message_type_count) return false;
    // Only a node still in term 0 refusing a pre-vote speaks from term 0; the
    // largest term would leave no room for term + 1.
    if (m.term == 0 && m.type != message_type::pre_vote_response) return false;
    if (m.term == std::numeric_limits<term_t>::max()) return false;
    if (m.type == message_type::append) {
        if (m.log_term > m.term) return false;
        // last_index() + 1 must stay representable.
        if (m.entries.size() >= std::numeric_limits<index_t>::max() - m.index) return false;
        auto previous_term = m.log_term;
        auto expected = m.index + 1;
        for (const auto& e : m.entries) {
            if (e.index != expected++ || e.term < previous_term || e.term > m.term) return false;
            if (static_cast<std::uint8_t>(e.type) > static_cast<std::uint8_t>(entry_type::noop)) return false;
            previous_term = e.term;
        }
    }
    if (m.type == message_type::snapshot) {
        if (!m.snapshot) return false;
        const auto& meta = m.snapshot->metadata;
        if (meta.index == 0 || meta.index == std::numeric_limits<index_t>::max()) return false;
        if (meta.term == 0 || meta.term > m.term) return false;
        if (!valid_membership(meta.members) || meta.members.voters.empty()) return false;
    }
    return true;
}

} // namespace

core::core(raft::config config, restored_state restored)
    : _config(validated(std::move(config))), _log(std::move(restored.snapshot), std::move(restored.entries)) {
    const auto& hs = restored.hard_state;
    if (hs.commit > _log.last_index()) throw std::invalid_argument("raft core: restored commit is past the last entry");
    if (_log.last_term() > hs.term) throw std::invalid_argument("raft core: restored log has entries from a future term");
    if (hs.term == std::numeric_limits<term_t>::max()) throw std::invalid_argument("raft core: restored term overflows");
    _term = hs.term;
    _vote = hs.vote;
    _commit = std::max(hs.commit, _log.snapshot_index());
    _applied = std::clamp(restored.applied, _log.snapshot_index(), _commit);
    _applying = _applied;
    // Mix the id in so identically configured nodes draw different timeouts.
    // Every node walks the same sequence (draw_election_timeout() adds a
    // fixed step), so only where it starts tells nodes apart: the id goes
    // through the finalizer to start each node far from every other.
    // (seed ^ id * step started node id + 1 exactly one draw behind node
    // id; once their draw counts lined up, two candidates timed out on the
    // same tick and split the vote forever.)
    _rng_state = _config.seed ^ spread(_config.id);
    make_membership(_config.voters, _config.learners); // throws if invalid
    rebuild_members();
    become_follower(_term, no_node);
    _reported_hard_state = hard_state();
    _reported_soft_state = soft_state();
}

message core::make(message_type type, node_id to) const {
    message m;
    m.type = type;
    m.from = _config.id;
    m.to = to;
    m.term = _term;
    return m;
}

void core::send(message m) { _outbox.push_back(std::move(m)); }

// ---- Inputs -----------------------------------------------------------------

void core::tick() {
    if (_role == raft::role::leader) tick_leader();
    else tick_election();
}

std::error_code core::step(const message& m) {
    if (m.to != _config.id) return errc::wrong_recipient;
    if (m.from == no_node || m.from == _config.id || !well_formed(m)) return errc::malformed_message;
    if (auto ec = step_term(m)) return ec;
    if (m.type == message_type::vote || m.type == message_type::pre_vote) return handle_vote_request(m);
    return (this->*_step)(m);
}

proposal core::propose(std::string data) {
    if (_role != raft::role::leader) return {errc::not_leader};
    if (_transfer_target != no_node) return {errc::leader_transfer_in_progress};
    if (_log.last_index() - _commit >= _config.uncommitted_entries_max) return {errc::too_many_uncommitted};
    append_entry(entry_type::normal, std::move(data));
    _pending_broadcast = true;
    return {{}, _log.last_index(), _term};
}

proposal core::propose_config_change(const config_change& change) {
    if (_role != raft::role::leader) return {errc::not_leader};
    if (_transfer_target != no_node) return {errc::leader_transfer_in_progress};
    // Until the leader commits in its term, an uncommitted change from an
    // earlier term may still be in force somewhere: two overlapping changes
    // could then form disjoint majorities.
    if (!committed_in_term()) return {errc::term_not_committed};
    if (pending_config_index() != 0) return {errc::config_change_pending};
    if (auto ec = validate(_members, change)) return {ec};
    if (_log.last_index() - _commit >= _config.uncommitted_entries_max) return {errc::too_many_uncommitted};
    config_entry ce;
    ce.change = change;
    ce.members = apply(_members, change);
    append_entry(entry_type::config, encode(ce));
    if (_role == raft::role::leader) _pending_broadcast = true;
    return {{}, _config_index, _term};
}

std::error_code core::transfer_leadership(node_id target) {
    if (_role != raft::role::leader) return errc::not_leader;
    if (target == _config.id || !_members.is_voter(target)) return errc::invalid_target;
    if (_transfer_target == target) return {};
    _transfer_target = target;
    _election_elapsed = 0; // the transfer is abandoned after election_ticks
    auto& pr = _progress.at(target);
    if (pr.match() == _log.last_index()) send(make(message_type::timeout_now, target));
    else send_more(target, true);
    return {};
}

std::error_code core::campaign() {
    if (_role == raft::role::leader) return {};
    if (!promotable()) return errc::not_a_voter;
    start_election(false);
    return {};
}

void core::report_unreachable(node_id id) {
    if (_role != raft::role::leader) return;
    auto it = _progress.find(id);
    if (it == _progress.end()) return;
    if (it->second.state() == progress_state::replicate) it->second.become_probe();
    if (_sequential_target == id) {
        _sequential_target = no_node;
        advance_sequential();
    }
}

void core::report_snapshot(node_id id, bool ok) {
    if (_role != raft::role::leader) return;
    auto it = _progress.find(id);
    if (it == _progress.end() || it->second.state() != progress_state::snapshot) return;
    if (ok) it->second.become_probe();
    else it->second.abort_snapshot();
    // Wait for the follower's answer or the next heartbeat response before
    // sending again.
    it->second.pause_probe();
    if (_sequential_target == id) {
        _sequential_target = no_node;
        advance_sequential();
    }
}

std::error_code core::compact(index_t index, std::string data) {
    if (index <= _log.snapshot_index()) return errc::compacted;
    if (index > _applied) return errc::not_applied;
    raft::snapshot snap;
    snap.metadata.index = index;
    snap.metadata.term = *_log.term_at(index);
    snap.metadata.members = membership_at(index);
    snap.data = std::move(data);
    _log.compact(std::move(snap));
    return {};
}

// ---- Output -----------------------------------------------------------------

bool core::has_ready() const {
    if (_ready_outstanding) return false;
    return _pending_broadcast || hard_state() != _reported_hard_state || soft_state() != _reported_soft_state ||
           _log.has_unhanded_entries() || _log.has_unhanded_snapshot() || !_outbox.empty() ||
           !_read_states.empty() || _commit > _applying;
}

ready core::take_ready() {
    if (_ready_outstanding) throw std::logic_error("raft core: take_ready() before advance() of the previous ready");
    if (_pending_broadcast) {
        _pending_broadcast = false;
        if (_role == raft::role::leader) replicate();
    }
    ready rd;
    rd.number = ++_ready_number;
    if (hard_state() != _reported_hard_state) rd.hard_state = _reported_hard_state = hard_state();
    if (soft_state() != _reported_soft_state) rd.soft_state = _reported_soft_state = soft_state();
    if (_log.has_unhanded_snapshot()) rd.snapshot = _log.hand_snapshot();
    rd.entries = _log.hand_unstable_entries();
    auto last = std::min<index_t>(_commit, _applying + _config.committed_entries_per_ready_max);
    for (auto i = _applying + 1; i <= last; ++i) rd.committed_entries.push_back(_log.at(i));
    _applying = std::max(_applying, last);
    rd.messages = std::move(_outbox);
    _outbox.clear();
    rd.read_states = std::move(_read_states);
    _read_states.clear();
    _ready_outstanding = true;
    _ready_applied_to = _applying;
    return rd;
}

void core::advance() {
    if (!_ready_outstanding) throw std::logic_error("raft core: advance() without a ready taken");
    _ready_outstanding = false;
    _log.mark_handed_stable();
    _applied = std::max(_applied, _ready_applied_to);
}

void core::advance(const ready& r) {
    if (_ready_outstanding && r.number != _ready_number)
        throw std::logic_error("raft core: advance() with a ready other than the last one taken");
    advance();
}

} // namespace coronet::consensus::raft
