#pragma once
// A cluster of one system's members as child processes of this benchmark, on
// loopback ports, each member's data in its own directory under a temporary
// one: started together, one member killed (SIGKILL) and restarted on the same
// data, and every process stopped by PID when the cluster goes — on every
// path, an exception included. The children also die with this process
// (PR_SET_PDEATHSIG, via bench/pubsub's peer_process).

#include "kv_system.hpp"
#include "peer_process.hpp"

#include <chrono>
#include <memory>
#include <vector>

namespace coronet::bench::kv_bench {

/// `n` distinct loopback TCP ports that nothing listens on now, picked below
/// Linux's ephemeral range (32768+), so that no outgoing connection takes a
/// killed member's port before it is restarted.
std::vector<std::uint16_t> pick_ports(std::size_t n);

class cluster {
public:
    /// Starts `size` members of `system` (which must outlive the cluster)
    /// and waits until each accepts connections on its client port. Throws,
    /// with the member's output, if one exits or does not accept in time.
    cluster(const kv_system& system, bool fsync, std::size_t size = 3);
    ~cluster(); // members first, then their data

    cluster(const cluster&) = delete;
    cluster& operator=(const cluster&) = delete;

    std::size_t size() const { return _ports.size(); }
    std::uint16_t client_port(std::size_t i) const { return _ports[i].client; }
    bool running(std::size_t i) const { return _members[i] != nullptr; }
    /// The running members' process ids.
    std::vector<pid_t> pids() const;
    /// Where the members' data directories are.
    const std::filesystem::path& data_root() const { return _data->path(); }

    /// Waits until every running member answers, all name the same leader
    /// and all have applied the same entries (a restarted member has caught
    /// up); returns the leader's index. Throws after `max`, with each
    /// member's last answer.
    std::size_t wait_healthy(std::chrono::milliseconds max);

    /// The highest Raft term the running members report (each election
    /// raises it); throws if none answers.
    std::uint64_t term() const;

    /// SIGKILL to member `i`; returns once it is reaped.
    void kill(std::size_t i);
    /// Starts member `i` again on its ports and data (it must be killed).
    void restart(std::size_t i);

private:
    void start(std::size_t i);

    const kv_system& _system;
    bool _fsync;
    std::unique_ptr<pubsub_bench::temp_dir> _data; // declared first: outlives the members
    std::vector<member_ports> _ports;
    std::vector<std::unique_ptr<pubsub_bench::peer_process>> _members;
};

} // namespace coronet::bench::kv_bench
