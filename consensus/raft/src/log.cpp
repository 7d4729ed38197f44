#include <coronet/consensus/raft/log.hpp>

#include <stdexcept>

namespace coronet::consensus::raft {

raft_log::raft_log(raft::snapshot snap, std::vector<entry> entries) : _snapshot(std::move(snap)) {
    auto expected = _snapshot.metadata.index + 1;
    auto previous_term = _snapshot.metadata.term;
    for (auto& e : entries) {
        if (e.index != expected) throw std::invalid_argument("raft log: restored entries are not consecutive after the snapshot");
        if (e.term < previous_term) throw std::invalid_argument("raft log: restored entry terms decrease");
        ++expected;
        previous_term = e.term;
        _entries.push_back(std::move(e));
    }
    _stable = _handed = last_index();
}

std::optional<term_t> raft_log::term_at(index_t i) const {
    if (i == snapshot_index()) return snapshot_term();
    if (i < snapshot_index() || i > last_index()) return std::nullopt;
    return at(i).term;
}

bool raft_log::matches(index_t i, term_t t) const {
    auto term = term_at(i);
    return term && *term == t;
}

bool raft_log::is_up_to_date(index_t index, term_t term) const {
    return term > last_term() || (term == last_term() && index >= last_index());
}

std::vector<entry> raft_log::slice(index_t from, std::size_t count_max, std::size_t bytes_max) const {
    std::vector<entry> out;
    std::size_t bytes = 0;
    for (auto i = from; i <= last_index() && out.size() < count_max; ++i) {
        const auto& e = at(i);
        if (!out.empty() && bytes + e.data.size() > bytes_max) break;
        bytes += e.data.size();
        out.push_back(e);
    }
    return out;
}

index_t raft_log::find_conflict(std::span<const entry> entries) const {
    for (const auto& e : entries) {
        if (!matches(e.index, e.term)) return e.index;
    }
    return 0;
}

index_t raft_log::find_conflict_by_term(index_t index, term_t term) const {
    if (index > last_index()) index = last_index();
    while (index > snapshot_index()) {
        if (at(index).term <= term) return index;
        --index;
    }
    return snapshot_index();
}

void raft_log::truncate_and_append(std::span<const entry> entries) {
    if (entries.empty()) return;
    auto first = entries.front().index;
    if (first < first_index() || first > last_index() + 1)
        throw std::logic_error("raft log: append out of range"); // core checks; never from the network
    _entries.erase(_entries.begin() + static_cast<std::ptrdiff_t>(first - first_index()), _entries.end());
    for (const auto& e : entries) _entries.push_back(e);
    if (_stable >= first) _stable = first - 1;
    if (_handed >= first) _handed = first - 1;
}

void raft_log::append(entry e) {
    if (e.index != last_index() + 1) throw std::logic_error("raft log: append at the wrong index");
    _entries.push_back(std::move(e));
}

void raft_log::compact(raft::snapshot snap) {
    auto index = snap.metadata.index;
    if (index <= snapshot_index() || index > last_index() || !matches(index, snap.metadata.term))
        throw std::logic_error("raft log: compaction out of range");
    _entries.erase(_entries.begin(), _entries.begin() + static_cast<std::ptrdiff_t>(index - snapshot_index()));
    _snapshot = std::move(snap);
    if (_stable < index) _stable = index;
    if (_handed < index) _handed = index;
}

void raft_log::install(raft::snapshot snap) {
    _entries.clear();
    _snapshot = std::move(snap);
    _stable = _handed = _snapshot.metadata.index;
    _snapshot_unhanded = true;
}

std::vector<entry> raft_log::hand_unstable_entries() {
    std::vector<entry> out;
    for (auto i = _handed + 1; i <= last_index(); ++i) out.push_back(at(i));
    _handed = last_index();
    return out;
}

raft::snapshot raft_log::hand_snapshot() {
    _snapshot_unhanded = false;
    return _snapshot;
}

} // namespace coronet::consensus::raft
