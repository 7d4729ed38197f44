#pragma once
// What one node knows about the ring (the Chord paper's node state): m
// fingers, a successor list of length r, and a predecessor. Plain data with
// the few rules that keep it consistent; who to ask and when is the core's
// business.
//
// Invariants:
// - no entry is the node itself (a finger whose interval wraps back to the
//   node is simply empty);
// - the successor list is in clockwise order after self, without duplicates,
//   at most r long;
// - every id is on the ring.

#include <coronet/dht/chord/id.hpp>
#include <coronet/dht/chord/peer.hpp>
#include <coronet/dht/chord/ring.hpp>

#include <cstddef>
#include <optional>
#include <span>
#include <vector>

namespace coronet::dht::chord {

class routing_table {
public:
    /// An empty table: alone on the ring, its own successor. Throws
    /// std::invalid_argument if self is not on the ring or successors_max is 0.
    routing_table(chord::ring ring, peer self, std::size_t successors_max);

    const chord::ring& ring() const { return _ring; }
    const peer& self() const { return _self; }
    std::size_t successors_max() const { return _successors_max; }

    /// The first node after this one: the head of the successor list, or
    /// this node itself while it knows no other.
    const peer& successor() const { return _successors.empty() ? _self : _successors.front(); }
    const std::vector<peer>& successors() const { return _successors; }
    const std::optional<peer>& predecessor() const { return _predecessor; }

    /// m, the number of fingers.
    unsigned finger_count() const { return _ring.bits(); }
    /// Where finger i's interval starts: self + 2^i (mod 2^m).
    id finger_start(unsigned i) const { return _ring.finger_start(_self.id, i); }
    /// The first node at or after finger_start(i), as last learnt; empty if
    /// unknown or if that node is this one.
    const std::optional<peer>& finger(unsigned i) const { return _fingers.at(i); }

    void set_predecessor(std::optional<peer> p);
    /// The successor list becomes `first` followed by `rest` (first's own
    /// successors, in order), dropping this node and everything after it
    /// (the list went round the ring) and cutting it to r entries.
    void set_successors(const peer& first, std::span<const peer> rest = {});
    /// Finger i (self is stored as empty). Throws std::out_of_range if i >= m.
    void set_finger(unsigned i, std::optional<peer> p);

    /// Forgets the node with id `x` everywhere (it failed). If the successor
    /// list runs empty, the closest finger, else the predecessor, takes over
    /// as successor, so a node cut off from its whole list still has a way
    /// back into the ring. Returns true if `x` was known.
    bool remove(const id& x);

    /// Up to n known nodes strictly between this node and `key`, closest to
    /// the key first: the paper's closest_preceding_node, with runners-up to
    /// fall back on when the best one is dead. Fingers and successors both
    /// count; nodes in `exclude` do not.
    std::vector<peer> closest_preceding(const id& key, std::size_t n, std::span<const id> exclude = {}) const;

    /// True if `x` is a finger, a successor or the predecessor.
    bool knows(const id& x) const;

private:
    chord::ring _ring;
    peer _self;
    std::size_t _successors_max;
    std::vector<peer> _successors;
    std::optional<peer> _predecessor;
    std::vector<std::optional<peer>> _fingers;
};

} // namespace coronet::dht::chord
