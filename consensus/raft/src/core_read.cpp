// ReadIndex (dissertation §6.4): linearizable reads without writing to the log.
#include <coronet/consensus/raft/core.hpp>

namespace coronet::consensus::raft {

std::error_code core::read_index(std::uint64_t request_ctx) {
    if (_role == raft::role::leader) return leader_read(_config.id, request_ctx);
    if (_leader == no_node) return errc::no_leader;
    auto m = make(message_type::read_index, _leader);
    m.context = request_ctx;
    send(std::move(m));
    return {};
}

std::error_code core::leader_read(node_id requester, std::uint64_t request_ctx) {
    if (_reads.size() >= _config.pending_reads_max) return errc::too_many_pending_reads;
    if (!committed_in_term()) {
        // Step 1 of §6.4: until an entry of its term is committed, the leader
        // does not know the latest commit index. The no-op settles that soon.
        _reads.wait_for_commit(requester, request_ctx);
        return {};
    }
    if (_config.lease_reads) {
        // §6.4.1: CheckQuorum's lease stands in for the heartbeat round.
        answer_read(requester, {_commit, request_ctx});
        return {};
    }
    // Step 2: record the commit index, then confirm leadership with a round
    // of heartbeats; a majority answering means no newer leader existed at
    // the time of the request.
    auto round = _reads.open(requester, request_ctx, _commit);
    for (const auto& [id, pr] : _progress) send_heartbeat(id, round);
    release_reads(); // a cluster of one confirms at once
    return {};
}

void core::release_reads() {
    for (const auto& r : _reads.take_confirmed(_members.voters, _config.id))
        answer_read(r.requester, {r.index, r.request_ctx});
}

void core::answer_read(node_id requester, const read_state& rs) {
    if (requester == _config.id) {
        _read_states.push_back(rs);
        return;
    }
    auto m = make(message_type::read_index_response, requester);
    m.index = rs.index;
    m.context = rs.request_ctx;
    send(std::move(m));
}

} // namespace coronet::consensus::raft
