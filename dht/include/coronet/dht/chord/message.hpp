#pragma once
// Everything Chord nodes say to each other, as one plain value type. The
// driver encodes it (message_codec.hpp) on whatever transport it has; the
// core only sees decoded messages and checks every one, because they come
// from the network.

#include <coronet/dht/chord/error.hpp>
#include <coronet/dht/chord/id.hpp>
#include <coronet/dht/chord/peer.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace coronet::dht::chord {

enum class message_type : std::uint8_t {
    find_next = 0,          ///< iterative lookup: "what do you know about key?"
    find_next_reply = 1,    ///< done: node = the key's owner; else candidates = next hops, best first
    find_successor = 2,     ///< recursive lookup, forwarded hop by hop towards the key's owner
    find_successor_ack = 3, ///< "I have taken the request over": the forwarder may forget it
    lookup_result = 4,      ///< the owner (or a node that gave up) answers the lookup's origin
    get_predecessor = 5,    ///< stabilize: "who is your predecessor, and your successors?"
    predecessor_reply = 6,  ///< node = the predecessor (if any), and the successor list
    notify = 7,             ///< "I think I am your predecessor"
    ping = 8,               ///< check_predecessor: "are you alive?"
    pong = 9,
};

inline constexpr std::uint8_t message_type_count = 10;

std::string_view to_string(message_type t);

/// One message. Which fields mean something depends on `type`:
///
/// | type               | rpc_id         | other fields                                          |
/// |--------------------|----------------|-------------------------------------------------------|
/// | find_next          | new            | key                                                   |
/// | find_next_reply    | echoed         | done; node (done) or candidates; successors           |
/// | find_successor     | new (per hop)  | request_id, key, hops, origin, final                  |
/// | find_successor_ack | echoed         | -                                                     |
/// | lookup_result      | -              | request_id, key, hops, node (owner) or failure        |
/// | get_predecessor    | new            | -                                                     |
/// | predecessor_reply  | echoed         | node (the predecessor, optional); successors          |
/// | notify             | -              | -                                                     |
/// | ping / pong        | new / echoed   | -                                                     |
///
/// rpc_id ties a reply to the request it answers at the requester, which
/// draws it at random so that a stranger cannot guess it. request_id names a
/// lookup end to end (chosen by its origin). `hops` counts the nodes that
/// made a routing decision for the request, the origin excluded.
/// `successors` is always the sender's successor list: an iterative
/// requester uses it to skip successors it already knows to be dead.
struct message {
    message_type type = message_type::ping;
    peer from;
    std::string to; ///< the receiver's address, for the driver; the core does not read it
    std::uint64_t rpc_id = 0;
    std::uint64_t request_id = 0;
    id key;
    std::uint32_t hops = 0;
    /// find_next_reply: node is the key's owner; nothing is left to ask.
    bool done = false;
    /// find_successor: the sender believes the receiver owns the key; the
    /// receiver answers the origin instead of routing further (unless its
    /// own predecessor lies between the key and it: then it hands the
    /// request back to the predecessor).
    bool final = false;
    /// lookup_result: why the lookup failed (errc{} when it did not).
    errc failure{};
    std::optional<peer> node;
    std::optional<peer> origin;
    /// find_next_reply: next hops strictly between the sender and the key,
    /// closest to the key first.
    std::vector<peer> candidates;
    /// find_next_reply, predecessor_reply: the sender's successor list.
    std::vector<peer> successors;

    friend bool operator==(const message&, const message&) = default;
};

/// One line for logs and test failures, e.g.
/// "find_next_reply 3f@sim://a -> sim://b rpc 7 done node 52@sim://c".
std::string describe(const message& m);

} // namespace coronet::dht::chord
