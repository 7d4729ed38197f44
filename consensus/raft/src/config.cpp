#include <coronet/consensus/raft/config.hpp>

#include <stdexcept>
#include <string>

namespace coronet::consensus::raft {

std::string_view to_string(replication_mode m) {
    switch (m) {
    case replication_mode::concurrent: return "concurrent";
    case replication_mode::sequential: return "sequential";
    }
    return "unknown";
}

void config::validate() const {
    auto fail = [](const char* what) { throw std::invalid_argument(std::string("raft config: ") + what); };
    if (id == no_node) fail("id must not be 0");
    if (heartbeat_ticks == 0) fail("heartbeat_ticks must be at least 1");
    if (election_ticks <= heartbeat_ticks) fail("election_ticks must be greater than heartbeat_ticks");
    // 2 * election_ticks must fit the 32-bit timeout.
    if (election_ticks > (1u << 30)) fail("election_ticks is too large");
    if (election_jitter_ticks > (1u << 30)) fail("election_jitter_ticks is too large");
    if (sequential_ack_ticks == 0) fail("sequential_ack_ticks must be at least 1");
    if (inflight_messages_max == 0) fail("inflight_messages_max must be at least 1");
    if (entries_per_message_max == 0) fail("entries_per_message_max must be at least 1");
    if (uncommitted_entries_max == 0) fail("uncommitted_entries_max must be at least 1");
    if (committed_entries_per_ready_max == 0) fail("committed_entries_per_ready_max must be at least 1");
    if (lease_reads && !check_quorum) fail("lease_reads needs check_quorum");
    if (replication != replication_mode::concurrent && replication != replication_mode::sequential)
        fail("unknown replication mode");
}

} // namespace coronet::consensus::raft
