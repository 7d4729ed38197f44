#pragma once
// Broadcast on a simulated network: flooding and a BFS spanning tree, each run
// as a real datagram service on every node, to measure what a topology costs
// in rounds and messages. `coronet sim broadcast` prints the comparison;
// docs/topologies.md explains it.

#include <coronet/clock.hpp>
#include <coronet/transports/sim/topology.hpp>

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace coronet::sim {

enum class broadcast_algorithm {
    /// Every node forwards to all neighbours but the one it heard from.
    flooding,
    /// Every node forwards to its children in the BFS tree from the source.
    spanning_tree,
};

std::string_view to_string(broadcast_algorithm a);

class broadcast_relay {
    // One node's forwarding rule, with no I/O: the first copy of the broadcast
    // goes on to the node's fan-out except the node it came from; later
    // copies are dropped. Flooding and the spanning tree differ only in the
    // fan-out (broadcast_fanout()).
public:
    /// \pre `fanout` is sorted and does not contain the node itself.
    explicit broadcast_relay(std::vector<node_index> fanout);

    /// A copy arrived from `from` (the node itself at the source). Returns
    /// where to forward it: empty for every copy after the first.
    std::vector<node_index> receive(node_index from);
    bool seen() const { return _seen; }
    const std::vector<node_index>& fanout() const { return _fanout; }

private:
    std::vector<node_index> _fanout;
    bool _seen = false;
};

/// Each node's fan-out: its neighbours for flooding; its children in
/// `t.bfs_tree_parents(source)` for the spanning tree. Sorted.
std::vector<std::vector<node_index>> broadcast_fanout(const topology& t, broadcast_algorithm a, node_index source);

struct broadcast_options {
    broadcast_algorithm algorithm = broadcast_algorithm::flooding;
    node_index source = 0;
    /// Every link's one-way latency, with no jitter or loss: one hop takes
    /// exactly this long, so it is the length of a round.
    duration hop_latency = std::chrono::milliseconds(1);
    std::uint64_t seed = 1;
    /// Nodes crashed before the broadcast starts: they neither receive nor
    /// forward. Shows what a dead relay costs each algorithm.
    std::vector<node_index> crashed;
    /// The port the relay service binds on every node.
    std::uint16_t port = 9;
};

struct broadcast_result {
    /// Nodes that got the broadcast, the source included.
    std::size_t reached = 0;
    /// From the start to the last node's first copy, in hop latencies
    /// (rounded up). 0 if only the source has it.
    std::uint32_t rounds = 0;
    /// Datagrams the relay services sent.
    std::uint64_t messages = 0;
    /// Datagrams the network carried (network_stats::packets_sent): equals
    /// `messages`, counted on the other side of the socket API.
    std::uint64_t packets_sent = 0;
    /// Copies that reached a node that already had the broadcast.
    std::uint64_t duplicates = 0;
};

/// Lays a fresh sim::network on `t` (node i is "n<i>"), starts a relay
/// service on every live node, lets the source originate the broadcast, and
/// runs until no packet is left in flight. Throws std::invalid_argument for
/// a source or crashed node out of range, or a crashed source.
broadcast_result run_broadcast(const topology& t, const broadcast_options& o = {});

// -- The experiment: both algorithms on the classic shapes.

/// The shapes the experiment knows, in its table's order:
/// ring, star, hypercube, tree, torus, full, random.
std::span<const std::string_view> broadcast_shapes();

/// The parse_topology() spec of `shape` at `n` nodes: tree is binary
/// (tree:2:N), torus the squarest WxH == N with both sides >= 3, random is
/// random-connected with N extra edges drawn from `seed`. Throws
/// std::invalid_argument, naming the shape and N, when the shape does not
/// come in that size (hypercube needs a power of two, torus a W*H with W, H
/// >= 3).
std::string broadcast_topology_spec(std::string_view shape, std::size_t n, std::uint64_t seed);

struct broadcast_row {
    std::string shape;
    std::string spec;
    topology_metrics metrics;
    std::uint32_t source_eccentricity = 0;
    broadcast_result flooding;
    broadcast_result tree;
};

/// Both algorithms from node 0 on `shape` at `n` nodes, with the topology's
/// metrics.
broadcast_row broadcast_experiment(std::string_view shape, std::size_t n, std::uint64_t seed);

/// The relations a row must satisfy on a connected topology with no faults;
/// one line per relation that fails, empty if all hold:
///   flooding rounds == ecc(source) <= diameter, tree rounds == ecc(source),
///   tree messages == N - 1, flooding messages == 2E - (N - 1),
///   every node reached, messages == packets the network sent.
std::vector<std::string> broadcast_violations(const broadcast_row& row);

} // namespace coronet::sim
