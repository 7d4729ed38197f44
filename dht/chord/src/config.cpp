#include <coronet/dht/chord/config.hpp>
#include <coronet/dht/chord/ring.hpp>

#include <stdexcept>
#include <string>

namespace coronet::dht::chord {

std::string_view to_string(lookup_style s) {
    switch (s) {
    case lookup_style::iterative: return "iterative";
    case lookup_style::recursive: return "recursive";
    }
    return "unknown";
}

void config::validate() const {
    auto fail = [](const std::string& what) { throw std::invalid_argument("chord config: " + what); };
    if (id_bits == 0 || id_bits > id::bits_max) fail("id_bits must be in [1, 160]");
    if (!ring(id_bits).contains(self.id)) fail("self.id " + self.id.to_hex() + " is not below 2^id_bits");
    if (self.address.empty()) fail("self.address must not be empty");
    if (successors == 0) fail("successors must be at least 1");
    if (stabilize_ticks == 0 || fix_fingers_ticks == 0 || check_predecessor_ticks == 0)
        fail("periods must be at least 1 tick");
    if (rpc_timeout_ticks == 0) fail("rpc_timeout_ticks must be at least 1");
    if (failures_max == 0) fail("failures_max must be at least 1");
    if (lookup_timeout_ticks <= rpc_timeout_ticks) fail("lookup_timeout_ticks must exceed rpc_timeout_ticks");
    if (lookup_attempts_max == 0) fail("lookup_attempts_max must be at least 1");
    if (forward_attempts_max < successors) fail("forward_attempts_max must be at least successors");
    if (hops_max == 0) fail("hops_max must be at least 1");
    if (candidates_max == 0) fail("candidates_max must be at least 1");
    if (peer_list_max < successors || peer_list_max < candidates_max)
        fail("peer_list_max must be at least successors and candidates_max");
    if (pending_lookups_max == 0 || pending_rpcs_max == 0) fail("pending limits must be at least 1");
    if (maintenance_style != lookup_style::iterative && maintenance_style != lookup_style::recursive)
        fail("unknown maintenance_style");
}

} // namespace coronet::dht::chord
