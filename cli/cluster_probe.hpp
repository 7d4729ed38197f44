#pragma once
// Readiness checks of local clusters over their HTTP APIs, shared by
// `kv cluster`, `dht ring` and the demo.

#include <cstdint>
#include <string>
#include <vector>

namespace coronet::cli {

/// The leader every KV node at `https` (host:port each) names, once they all
/// agree on one; 0 until then, or if a node does not answer.
std::uint64_t kv_agreed_leader(const std::vector<std::string>& https);

/// Whether every Chord node at `https` is joined and knows a predecessor.
bool dht_ring_formed(const std::vector<std::string>& https);

/// Hands out distinct ports on 127.0.0.1 that are free now for both TCP and
/// UDP, for children started next. They come from 10000-19999: below the
/// kernel's ephemeral range (so no outgoing connection takes one meanwhile)
/// and below the fixed ports the tests use (20000-31000).
class port_picker {
public:
    port_picker();
    /// Throws std::runtime_error if the range is exhausted.
    unsigned next();

private:
    unsigned _next;
    unsigned _tried = 0;
};

} // namespace coronet::cli
