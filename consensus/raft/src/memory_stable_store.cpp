#include <coronet/consensus/raft/stable_store.hpp>

#include <algorithm>

namespace coronet::consensus::raft {

void memory_stable_store::save(const ready& r) {
    ++_saves;
    if (r.snapshot) {
        _state.snapshot = *r.snapshot;
        std::erase_if(_state.entries, [&](const entry& e) { return e.index <= r.snapshot->metadata.index; });
    }
    if (!r.entries.empty()) {
        // The first new entry may overwrite a stored suffix (§5.3).
        auto first = r.entries.front().index;
        std::erase_if(_state.entries, [&](const entry& e) { return e.index >= first; });
        _state.entries.insert(_state.entries.end(), r.entries.begin(), r.entries.end());
    }
    if (r.hard_state) _state.hard_state = *r.hard_state;
}

void memory_stable_store::compact(const snapshot& snap) {
    if (snap.metadata.index <= _state.snapshot.metadata.index) return;
    _state.snapshot = snap;
    std::erase_if(_state.entries, [&](const entry& e) { return e.index <= snap.metadata.index; });
}

restored_state memory_stable_store::restore() const { return _state; }

} // namespace coronet::consensus::raft
