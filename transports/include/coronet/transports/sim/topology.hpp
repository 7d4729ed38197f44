#pragma once
// Network topologies for the simulated network: undirected graphs of nodes
// 0..N-1, the classic shapes (ring, star, hypercube, tree, mesh, torus, full,
// random), shortest-path routing and the metrics that compare them.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace coronet::sim {

using node_index = std::uint32_t;

class topology {
    // An undirected simple graph (no self-loops, no parallel edges) kept as
    // sorted adjacency vectors: BFS over them is a linear scan, which is what
    // measure() on a thousand-node full mesh needs.
    //
    // Routing is shortest-path with a fixed tie-break, so a simulation with a
    // given seed forwards every packet along the same hops on every run.
    //
    // Not thread-safe, not even for const use: next_hop() and path() fill a
    // route cache on first use. Call build_routes() first if several threads
    // will route through one topology.
public:
    /// The distance to a node that cannot be reached, and the diameter and
    /// eccentricity of a disconnected graph.
    static constexpr std::uint32_t unreachable = std::numeric_limits<std::uint32_t>::max();

    /// `node_count` nodes and no edges. Throws std::invalid_argument if
    /// node_count does not leave `unreachable` free as a sentinel.
    explicit topology(std::size_t node_count, std::string name = "custom");

    /// Adds the undirected edge a-b; adding an edge already there does nothing.
    /// Throws std::invalid_argument on a self-loop or a node out of range.
    void add_edge(node_index a, node_index b);

    std::size_t size() const { return _adjacency.size(); }
    std::size_t edge_count() const { return _edges; }
    const std::string& name() const { return _name; }

    /// Sorted ascending. \pre n < size() (checked: std::invalid_argument).
    const std::vector<node_index>& neighbours(node_index n) const;
    bool adjacent(node_index a, node_index b) const;
    /// Every node reaches every other; true for 0 or 1 nodes.
    bool connected() const;

    /// Hop counts from `source` by BFS; `unreachable` for nodes it cannot reach.
    std::vector<std::uint32_t> distances_from(node_index source) const;
    /// The first hop on a shortest path from `from` to `to`. Among equally
    /// short paths the one whose first hop has the lowest index wins, so
    /// routes are deterministic. nullopt if `to` is unreachable or from == to.
    /// O(1) once the route row for `from` is cached (O(N + E) to build it).
    std::optional<node_index> next_hop(node_index from, node_index to) const;
    /// The nodes a packet forwarded by next_hop() visits, both ends included
    /// ({from} when from == to); empty if `to` is unreachable.
    std::vector<node_index> path(node_index from, node_index to) const;
    /// The largest distance from `n`; `unreachable` if some node is.
    std::uint32_t eccentricity(node_index n) const;
    /// The BFS spanning tree rooted at `root`, as a parent per node:
    /// parent[root] == root, `unreachable` for nodes outside root's component.
    /// The parent is the lowest-index neighbour one hop closer to the root.
    std::vector<node_index> bfs_tree_parents(node_index root) const;

    /// Fills the whole route cache now: N rows of N entries (64 MiB at 4096
    /// nodes). After it, next_hop() and path() no longer write.
    void build_routes() const;

private:
    void check(node_index n, const char* what) const;
    const std::vector<node_index>& route_row(node_index from) const;

    std::string _name;
    std::vector<std::vector<node_index>> _adjacency;
    std::size_t _edges = 0;
    // _routes[from][to] = next_hop(from, to), or `unreachable` for none. A row
    // is built on the first route from its node; add_edge() drops them all.
    mutable std::vector<std::vector<node_index>> _routes;
};

struct degree_stats {
    std::size_t min, max;
    double mean;
};

struct topology_metrics {
    std::size_t nodes, edges;
    degree_stats degree;
    /// Over ordered pairs of distinct nodes; `topology::unreachable` if the
    /// graph is disconnected, 0 for fewer than two nodes.
    std::uint32_t diameter;
    /// Mean hop count over ordered pairs of distinct nodes that reach each
    /// other; 0 if there are none.
    double mean_path_length;
    bool connected;
};

/// BFS from every node: O(N * (N + E)), less on dense graphs because a BFS
/// stops once it has reached every node.
topology_metrics measure(const topology& t);

// Builders. Each throws std::invalid_argument for sizes that do not make the
// named shape (the message says what is needed).

/// n >= 3 nodes in a cycle: i - (i+1) mod n.
topology ring(std::size_t n);
/// n >= 2 nodes; node 0 is the hub, every other node a leaf.
topology star(std::size_t n);
/// 2^d nodes, an edge between indices differing in one bit; d <= 20.
topology hypercube(unsigned dimensions);
/// n >= 1 nodes of a complete k-ary tree (k >= 1) in BFS numbering: the
/// parent of i is (i-1)/k, and the last level fills from the left.
topology kary_tree(std::size_t k, std::size_t n);
/// A width x height grid (both >= 1); node (x, y) is y*width + x.
topology mesh2d(std::size_t width, std::size_t height);
/// The grid with wrap-around rows and columns; width, height >= 3 so that
/// every node has four distinct neighbours.
topology torus2d(std::size_t width, std::size_t height);
/// n >= 1 nodes, every pair adjacent.
topology full_mesh(std::size_t n);
/// Erdős–Rényi G(n, p): each of the n(n-1)/2 pairs is an edge with
/// probability p, drawn in order (0,1), (0,2), ..., (1,2), ... from
/// std::mt19937_64(seed). The same seed gives the same graph on every
/// platform (no std:: distributions, whose output varies between standard
/// libraries). May be disconnected. O(n^2).
topology random_graph(std::size_t n, double edge_probability, std::uint64_t seed);
/// A uniformly random recursive spanning tree on a random node order, plus
/// `extra_edges` distinct random edges: always connected, deterministic for a
/// seed. Throws if extra_edges exceeds the pairs the tree leaves free.
/// Named "random-connected".
topology random_connected(std::size_t n, std::size_t extra_edges, std::uint64_t seed);

/// Parses a topology spec for command lines:
///   ring:N  star:N  hypercube:D  tree:K:N  mesh:WxH  torus:WxH  full:N
///   random:N:P:SEED  random-connected:N:EXTRA:SEED
/// Bounded so a typo cannot exhaust memory: at most 2^20 nodes, 2^12 for the
/// dense forms full and random (O(N^2) edges or draws), 2^23 extra edges.
/// Throws std::invalid_argument naming the accepted forms.
topology parse_topology(std::string_view spec);

} // namespace coronet::sim
