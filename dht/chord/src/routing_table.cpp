#include <coronet/dht/chord/routing_table.hpp>

#include <algorithm>
#include <stdexcept>

namespace coronet::dht::chord {

routing_table::routing_table(chord::ring ring, peer self, std::size_t successors_max)
    : _ring(ring), _self(std::move(self)), _successors_max(successors_max), _fingers(ring.bits()) {
    if (!_ring.contains(_self.id)) throw std::invalid_argument("chord routing table: self id is not on the ring");
    if (successors_max == 0) throw std::invalid_argument("chord routing table: successors_max must be at least 1");
}

void routing_table::set_predecessor(std::optional<peer> p) {
    if (p && p->id == _self.id) p.reset();
    _predecessor = std::move(p);
}

void routing_table::set_successors(const peer& first, std::span<const peer> rest) {
    std::vector<peer> list;
    list.reserve(_successors_max);
    // Reaching this node means the list has gone round the ring: stop.
    // Otherwise keep an entry only if it lies further clockwise than the one
    // before, which drops repeats and anything out of order.
    id last_distance{};
    auto consider = [&](const peer& p) {
        if (p.id == _self.id) return false;
        auto d = _ring.distance(_self.id, p.id);
        if (d > last_distance) {
            last_distance = d;
            list.push_back(p);
        }
        return list.size() < _successors_max;
    };
    if (consider(first))
        for (const auto& p : rest)
            if (!consider(p)) break;
    _successors = std::move(list);
}

void routing_table::set_finger(unsigned i, std::optional<peer> p) {
    if (i >= _fingers.size()) throw std::out_of_range("chord routing table: no finger " + std::to_string(i));
    if (p && p->id == _self.id) p.reset();
    auto& f = _fingers[i];
    if (f.has_value() == p.has_value() && (!f || *f == *p)) return; // the usual case: unchanged
    f = std::move(p);
}

bool routing_table::remove(const id& x) {
    bool known = false;
    auto before = _successors.size();
    std::erase_if(_successors, [&](const peer& p) { return p.id == x; });
    known |= _successors.size() != before;
    if (_predecessor && _predecessor->id == x) {
        _predecessor.reset();
        known = true;
    }
    for (auto& f : _fingers) {
        if (f && f->id == x) {
            f.reset();
            known = true;
        }
    }
    if (_successors.empty()) {
        const peer* best = nullptr;
        for (const auto& f : _fingers)
            if (f && (!best || _ring.distance(_self.id, f->id) < _ring.distance(_self.id, best->id))) best = &*f;
        if (!best && _predecessor) best = &*_predecessor;
        if (best) _successors.push_back(*best);
    }
    return known;
}

std::vector<peer> routing_table::closest_preceding(const id& key, std::size_t n, std::span<const id> exclude) const {
    // (distance from this node, node): the furthest is the closest to the key.
    std::vector<std::pair<id, const peer*>> found;
    const peer* previous = nullptr;
    auto consider = [&](const peer& p) {
        // Neighbouring fingers are mostly the same node (on a 160-bit ring
        // all but the top few are the successor): skip repeats cheaply.
        if (previous && previous->id == p.id) return;
        previous = &p;
        if (!in_open(p.id, _self.id, key)) return;
        if (std::find(exclude.begin(), exclude.end(), p.id) != exclude.end()) return;
        for (const auto& q : found)
            if (q.second->id == p.id) return;
        found.emplace_back(_ring.distance(_self.id, p.id), &p);
    };
    for (const auto& f : _fingers)
        if (f) consider(*f);
    for (const auto& s : _successors) consider(s);
    std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    std::vector<peer> out;
    for (std::size_t i = 0; i < found.size() && i < n; ++i) out.push_back(*found[i].second);
    return out;
}

bool routing_table::knows(const id& x) const {
    if (_predecessor && _predecessor->id == x) return true;
    for (const auto& s : _successors)
        if (s.id == x) return true;
    for (const auto& f : _fingers)
        if (f && f->id == x) return true;
    return false;
}

} // namespace coronet::dht::chord
