#pragma once
// Consistent hashing: keys and node addresses become ring ids through SHA-1,
// as in the Chord paper, so ids spread evenly whatever the names look
// like. The digest is Boost's (boost/uuid/detail/sha1.hpp, a header Debian's
// Boost 1.81 ships) rather than a hand-written one; only hash.cpp sees it.

#include <coronet/dht/chord/id.hpp>
#include <coronet/dht/chord/ring.hpp>

#include <array>
#include <cstdint>
#include <string_view>

namespace coronet::dht::chord {

/// The SHA-1 digest of `data` (FIPS 180-4), most significant byte first.
std::array<std::uint8_t, id::bytes> sha1(std::string_view data);

/// The ring id of a key or of a node's address: the digest read as a 160-bit
/// number, truncated to the ring's m bits by keeping its leftmost m bits (as
/// truncated digests are conventionally taken, NIST SP 800-107). On the
/// default 160-bit ring that is the whole digest.
id hash_id(std::string_view data, const ring& r);

} // namespace coronet::dht::chord
