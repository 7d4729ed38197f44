#pragma once
// How a Chord core behaves: its identity and ring, timing in ticks, and every
// bound. Ticks are the driver's unit of time (the defaults assume a tick of
// about 100 ms); the core itself never reads a clock.

#include <coronet/dht/chord/lookup.hpp>
#include <coronet/dht/chord/peer.hpp>

#include <cstddef>
#include <cstdint>

namespace coronet::dht::chord {

struct config {
    /// This node. self.id must lie on the ring (usually
    /// hash_id(self.address, ring)); the address must not be empty.
    peer self;
    /// m: the ring has 2^m ids. 160 with SHA-1; small m for teaching.
    unsigned id_bits = 160;
    /// r: the length of the successor list. A ring survives the failure of
    /// any r - 1 consecutive nodes: the node before them still knows the
    /// one after.
    std::size_t successors = 8;

    // Periodic work (every that many ticks; tick() runs it).
    std::uint32_t stabilize_ticks = 5;
    std::uint32_t fix_fingers_ticks = 1;
    std::uint32_t check_predecessor_ticks = 10;

    /// A request a peer has not answered within this many ticks has failed:
    /// the request that was waiting (a lookup hop) is routed around the peer
    /// at once.
    std::uint32_t rpc_timeout_ticks = 5;
    /// After this many consecutive failed requests a peer is considered
    /// dead: it leaves the fingers, the successor list and the predecessor.
    /// 1 believes a single lost message; more keep a lossy network from
    /// tearing the ring apart with false suspicions (any message from the
    /// peer resets the count).
    std::uint32_t failures_max = 3;
    /// One attempt of a lookup (or join) gives up after this many ticks.
    std::uint32_t lookup_timeout_ticks = 50;
    /// Attempts per lookup or join before it fails (the first one included).
    std::uint32_t lookup_attempts_max = 3;
    /// Recursive lookups: next hops a node tries for one request (each after
    /// the previous did not acknowledge) before it reports no_route. At
    /// least `successors`, so that r - 1 dead successors can be skipped.
    std::uint32_t forward_attempts_max = 8;
    /// A lookup that takes more hops than this fails with hop_limit: a bound
    /// on the damage of an inconsistent (or lying) ring. Routing along
    /// successors alone, before fingers are built, takes up to N hops.
    std::uint32_t hops_max = 256;

    /// Iterative lookups: next-hop candidates a node offers per answer (the
    /// requester falls back on the others when the best one is dead).
    std::size_t candidates_max = 4;
    /// The longest successor or candidate list accepted from a peer. At least
    /// `successors`.
    std::size_t peer_list_max = 32;
    /// Lookups (the application's, the join and fix_fingers') in progress.
    std::size_t pending_lookups_max = 1024;
    /// Requests awaiting an answer or an ack, forwarded lookups included.
    std::size_t pending_rpcs_max = 4096;
    /// Peers recently found dead are remembered for suspect_ticks, so that
    /// other nodes' stale lists do not bring them straight back.
    std::size_t suspects_max = 256;
    std::uint32_t suspect_ticks = 100;

    /// How join() and fix_fingers() look ids up.
    lookup_style maintenance_style = lookup_style::iterative;
    /// Reject any peer whose id is not hash_id(address): a node then cannot
    /// pick its place on the ring (as the Chord paper suggests against
    /// malicious nodes). Off by default because
    /// virtual nodes and small teaching rings assign ids otherwise.
    bool verify_ids = false;
    /// Seeds the request ids the node draws. Same seed, same run.
    std::uint64_t seed = 0;

    /// Throws std::invalid_argument naming the first field out of range.
    void validate() const;
};

} // namespace coronet::dht::chord
