#include <coronet/consensus/single_node.hpp>

namespace coronet::consensus {

asio::awaitable<std::string> single_node::propose(std::string command, std::chrono::milliseconds) {
    if (_stopped) throw error(errc::stopped, "single_node is stopped");
    co_return _sm.apply(++_index, command);
}

asio::awaitable<void> single_node::read_barrier(std::chrono::milliseconds) {
    if (_stopped) throw error(errc::stopped, "single_node is stopped");
    co_return;
}

asio::awaitable<void> single_node::change_membership(membership_change, std::chrono::milliseconds) {
    throw error(errc::unsupported, "a single node has no membership to change");
    co_return;
}

cluster_status single_node::status() const {
    cluster_status s;
    s.id = _id;
    s.leader = _stopped ? 0 : _id;
    s.role = _stopped ? "stopped" : "leader";
    s.commit = _index;
    s.applied = _index;
    s.voters = {_id};
    return s;
}

} // namespace coronet::consensus
