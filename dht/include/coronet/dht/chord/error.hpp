#pragma once
// Why the core refused a request, why a lookup or a join failed, and why a
// message was ignored. Nothing that arrives from the network aborts the core:
// step() returns one of these and leaves the node's state as it was, and the
// core counts every rejection by reason (core::stats()).

#include <cstddef>
#include <string>
#include <system_error>

namespace coronet::dht::chord {

enum class errc {
    // Refused local requests.
    not_joined = 1,     ///< the node is not (yet) in a ring
    already_joined,     ///< create() or join() on a node that is in a ring or joining one
    key_out_of_range,   ///< the key is not below 2^m
    too_many_lookups,   ///< pending_lookups_max reached
    duplicate_request,  ///< a lookup with this request id is still pending
    // Failed lookups and joins (lookup_result::error, ready::joined); the
    // first four also travel in lookup_result messages of recursive lookups.
    timeout,            ///< no answer within lookup_timeout_ticks, on every attempt
    no_route,           ///< every node that could have routed the request failed
    hop_limit,          ///< the request took more than hops_max hops
    overloaded,         ///< a node on the way had pending_rpcs_max requests outstanding
    id_in_use,          ///< join: another node already has this node's id
    // Ignored messages.
    id_out_of_range,    ///< an id in the message is not below 2^m
    malformed_message,  ///< fields missing or contradicting each other (e.g. an empty address)
    list_too_long,      ///< a node list longer than peer_list_max
    list_out_of_order,  ///< a successor list that is not in clockwise order after its sender
    bogus_owner,        ///< a claimed owner or successor outside the interval the sender vouches for
    bogus_candidate,    ///< a next hop that is not strictly between the sender and the key
    unexpected_reply,   ///< a reply or ack that answers no request of ours, or from another node
    id_conflict,        ///< a message from another node claiming this node's id
    id_unverified,      ///< verify_ids: a node id that is not the hash of its address
    stale_message,      ///< a well-formed message that no longer applies (a finished lookup)
    not_between,        ///< notify from a node that is not between the predecessor and us
};

/// One past the largest errc value (for tables indexed by errc).
inline constexpr std::size_t errc_count = static_cast<std::size_t>(errc::not_between) + 1;

const std::error_category& chord_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), chord_category()}; }

} // namespace coronet::dht::chord

template <>
struct std::is_error_code_enum<coronet::dht::chord::errc> : std::true_type {};
