#pragma once
// The key-value pairs one Chord node holds: those it owns (their ids lie in
// (predecessor, self]) and copies it keeps for the nodes before it.
//
// Every entry carries a version. The owner bumps it on each write and pushes
// the entry to its successors; a node keeps whichever copy has the higher
// version, so copies converge however often and in whatever order pushes
// arrive (duplicated or reordered datagrams, two nodes that both thought they
// owned a key for a moment). A delete is a write of a tombstone, so that an
// old copy elsewhere cannot bring the value back.
//
// Copies a node does not own are dropped once no owner has refreshed them for
// a while: the node has left the owner's replica set. Pure: time is the
// driver's tick count.

#include <coronet/dht/chord/id.hpp>
#include <coronet/dht/chord/ring.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace coronet::dht::chord {

struct store_entry {
    std::string key;
    /// Empty for a tombstone (the key was deleted).
    std::optional<std::string> value;
    std::uint64_t version = 0;
    friend bool operator==(const store_entry&, const store_entry&) = default;
};

class store {
public:
    explicit store(chord::ring r) : _ring(r) {}

    /// The live value of `key`, if any (tombstones are absent).
    std::optional<store_entry> get(const std::string& key) const;
    /// Writes as the owner: the version becomes one above the stored one.
    /// Returns the entry as stored (to push to the successors).
    store_entry write(const std::string& key, std::optional<std::string> value, std::uint64_t now);
    /// Merges a copy from another node: kept if its version is higher than
    /// ours (or we have none). Returns true if it changed anything. Refreshes
    /// the copy's age either way.
    bool merge(const store_entry& e, std::uint64_t now);

    /// Entries whose key id lies in (from, to], tombstones included, in key-id
    /// order: what a node owns, or hands over to a new predecessor.
    std::vector<store_entry> range(const id& from, const id& to) const;
    /// Every entry, tombstones included.
    std::vector<store_entry> all() const;
    /// Drops entries outside (owned_from, owned_to] not refreshed since
    /// `stale_before`; returns how many. Without an owned range (no
    /// predecessor known) nothing is dropped.
    std::size_t expire(const std::optional<id>& owned_from, const id& owned_to, std::uint64_t stale_before);

    std::size_t size() const { return _entries.size(); }
    /// Live values (tombstones excluded).
    std::size_t live() const;
    const chord::ring& ring() const { return _ring; }
    id key_id(const std::string& key) const;

private:
    struct slot {
        store_entry entry;
        std::uint64_t refreshed = 0;
    };
    chord::ring _ring;
    /// By key id, then key: range() walks the ring in order.
    std::map<std::pair<id, std::string>, slot> _entries;
};

} // namespace coronet::dht::chord
