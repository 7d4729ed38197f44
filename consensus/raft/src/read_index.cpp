#include <coronet/consensus/raft/quorum.hpp>
#include <coronet/consensus/raft/read_index.hpp>

namespace coronet::consensus::raft {

void read_index_queue::wait_for_commit(node_id requester, std::uint64_t request_ctx) {
    _waiting.push_back({requester, request_ctx, 0, 0});
}

std::uint64_t read_index_queue::open_waiting(index_t commit) {
    if (_waiting.empty()) return 0;
    auto round = _next_round++;
    for (auto& r : _waiting) {
        r.index = commit;
        r.round = round;
        _open.push_back(r);
    }
    _waiting.clear();
    return round;
}

std::uint64_t read_index_queue::open(node_id requester, std::uint64_t request_ctx, index_t commit) {
    auto round = _next_round++;
    _open.push_back({requester, request_ctx, commit, round});
    return round;
}

void read_index_queue::acknowledge(node_id from, std::uint64_t round) {
    if (round == 0 || round >= _next_round) return;
    auto& acked = _acked[from];
    if (round > acked) acked = round;
}

std::vector<read_index_queue::request> read_index_queue::take_confirmed(std::span<const node_id> voters,
                                                                        node_id self) {
    std::vector<request> out;
    if (_open.empty()) return out;
    auto confirmed = majority_value(voters, [&](node_id id) -> std::uint64_t {
        if (id == self) return _next_round - 1;
        auto it = _acked.find(id);
        return it == _acked.end() ? 0 : it->second;
    });
    while (!_open.empty() && _open.front().round <= confirmed) {
        out.push_back(_open.front());
        _open.pop_front();
    }
    return out;
}

void read_index_queue::clear() {
    _waiting.clear();
    _open.clear();
    _acked.clear();
}

std::vector<read_index_queue::request> read_index_queue::take_open() {
    std::vector<request> out(_open.begin(), _open.end());
    _open.clear();
    return out;
}

} // namespace coronet::consensus::raft
