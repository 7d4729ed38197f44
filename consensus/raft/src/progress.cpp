#include <coronet/consensus/raft/progress.hpp>

#include <algorithm>

namespace coronet::consensus::raft {

std::string_view to_string(progress_state s) {
    switch (s) {
    case progress_state::probe: return "probe";
    case progress_state::replicate: return "replicate";
    case progress_state::snapshot: return "snapshot";
    }
    return "unknown";
}

progress::progress(index_t next, std::size_t inflight_messages_max, bool learner)
    : _next(std::max<index_t>(next, 1)), _learner(learner), _inflights(inflight_messages_max) {}

bool progress::is_paused() const {
    switch (_state) {
    case progress_state::probe: return _probe_sent;
    case progress_state::replicate: return _inflights.full();
    case progress_state::snapshot: return true;
    }
    return true;
}

void progress::become_probe() {
    // After a snapshot, the follower has at least the snapshot: resume after it.
    if (_state == progress_state::snapshot) _next = std::max(_match + 1, _pending_snapshot + 1);
    else _next = _match + 1;
    _state = progress_state::probe;
    _probe_sent = false;
    _pending_snapshot = 0;
    _inflights.clear();
}

void progress::become_replicate() {
    _state = progress_state::replicate;
    _next = _match + 1;
    _probe_sent = false;
    _pending_snapshot = 0;
    _inflights.clear();
}

void progress::become_snapshot(index_t snapshot_index) {
    _state = progress_state::snapshot;
    _pending_snapshot = snapshot_index;
    _probe_sent = false;
    _inflights.clear();
}

void progress::abort_snapshot() {
    _pending_snapshot = 0;
    become_probe();
}

bool progress::maybe_update(index_t index) {
    bool updated = false;
    if (_match < index) {
        _match = index;
        updated = true;
    }
    _next = std::max(_next, index + 1);
    _probe_sent = false;
    if (_state == progress_state::replicate) _inflights.free_to(index);
    return updated;
}

bool progress::maybe_decrease_to(index_t rejected, index_t next_hint) {
    if (_state == progress_state::replicate) {
        // Everything up to match is known to match: a rejection at or below
        // it answers an older message. Otherwise restart from match + 1.
        if (rejected <= _match) return false;
        _next = _match + 1;
        return true;
    }
    // In probe, only the answer to the one outstanding probe counts.
    if (_next == 0 || _next - 1 != rejected) return false;
    _next = std::max(std::min(rejected, next_hint), _match + 1);
    _probe_sent = false;
    return true;
}

void progress::sent_append(index_t last, std::size_t entry_count) {
    switch (_state) {
    case progress_state::replicate:
        if (entry_count > 0) {
            _next = last + 1;
            _inflights.add(last);
        }
        break;
    case progress_state::probe: _probe_sent = true; break;
    case progress_state::snapshot: break;
    }
}

void progress::heard_heartbeat_response() {
    _probe_sent = false;
    if (_state == progress_state::replicate && _inflights.full()) _inflights.free_first();
}

} // namespace coronet::consensus::raft
