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

/// A port on 127.0.0.1 that nothing listens on now (the kernel's pick):
/// a child started next can bind it, barring a race with another program.
unsigned free_loopback_port(bool udp = false);

} // namespace coronet::cli
