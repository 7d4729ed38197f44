#pragma once
// The two ways to find a key's owner, and what a lookup comes back with.
//
// This is the DHT's "sync vs async" teaching point (DESIGN.md, principle 3):
//
//   iterative: the requester asks one node at a time "what do you know about
//              key?" and waits for the answer before it asks the next: each
//              hop is a round trip from the requester. It keeps the whole
//              lookup in one place (the requester sees every hop, picks the
//              next one itself and routes around a node that does not answer
//              from the candidates it was given), at the price of two
//              messages per hop. The owner is the last answerer's successor,
//              which the requester does not contact.
//   recursive: each node forwards the request to its best next hop and
//              forgets it once that hop acknowledges; the owner answers the
//              requester directly. One message per hop plus acks, fewer
//              round trips; a failed hop is routed around by the node that
//              forwarded to it, and the requester only sees the end result
//              (or its own deadline). The owner has answered, so it was
//              alive, and it checked the claim against its own predecessor.
//
// Both count `hops` the same way, so they can be compared: the nodes other
// than the requester that made a routing decision. On a stable ring of N
// nodes that averages a little under ½·log2 N, the path length the Chord
// paper reports (docs/dht.md has the numbers).

#include <coronet/dht/chord/id.hpp>
#include <coronet/dht/chord/peer.hpp>

#include <cstdint>
#include <string_view>
#include <system_error>

namespace coronet::dht::chord {

enum class lookup_style : std::uint8_t { iterative, recursive };

std::string_view to_string(lookup_style s);

struct lookup_result {
    /// The id the application gave core::lookup().
    std::uint64_t request_id = 0;
    chord::id key;
    lookup_style style = lookup_style::iterative;
    /// Empty if the owner was found; else why not (timeout, no_route,
    /// hop_limit, overloaded).
    std::error_code error;
    /// The node responsible for `key` (the first node at or after it), if found.
    peer owner;
    /// Routing hops of the attempt that succeeded (see above).
    std::uint32_t hops = 0;
    /// Attempts made, 1 if the first one succeeded.
    std::uint32_t attempts = 0;

    explicit operator bool() const { return !error; }
};

} // namespace coronet::dht::chord
