#pragma once
// A simulated host: a name, an address, a process that can pause, crash and
// restart, and a disk that keeps what was fsynced.

#include <coronet/clock.hpp>
#include <coronet/transports/sim/disk.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>

#include <cstdint>
#include <functional>
#include <string>

namespace coronet::sim {

using node_index = std::uint32_t;

namespace detail {
struct world;
}

class node {
    // The node's "process" is an io_context of its own. crash() ends it: its
    // tasks are cancelled, its connections reset, its sockets closed and its
    // unsynced writes lost; restart() starts a new process (a new io_context
    // and executor) that runs the on_start function again. Code of a crashed
    // process that keeps running finds every operation failing.
public:
    node(detail::world& w, node_index index, std::string name);
    node(const node&) = delete;
    node& operator=(const node&) = delete;

    const std::string& name() const { return _name; }
    node_index index() const { return _index; }
    asio::ip::address address() const;
    /// The executor of the current process.
    asio::any_io_executor get_executor();
    /// Virtual time (the network's clock).
    coronet::clock& clock();
    sim::disk& disk() { return _disk; }

    /// Starts `task` in the current process. Cancelled when the node crashes;
    /// any other exception stops the network's run and is rethrown there.
    void spawn(asio::awaitable<void> task);
    /// What the process runs at every (re)start; runs now if the node is up.
    void on_start(std::function<asio::awaitable<void>(node&)> boot);

    bool up() const;
    bool paused() const;
    /// How many times the process has been started (1 before any restart).
    std::uint32_t incarnation() const;

    /// A stall (like a long GC pause): nothing on the node runs, packets to it
    /// wait in its buffers, timers fire late.
    void pause();
    void resume();
    void pause_for(duration d);
    /// The process dies: see the class comment.
    void crash();
    /// A new process; throws std::logic_error if the node is up.
    void restart();

    detail::world& internals() { return _world; }

private:
    detail::world& _world;
    node_index _index;
    std::string _name;
    sim::disk _disk;
};

} // namespace coronet::sim
