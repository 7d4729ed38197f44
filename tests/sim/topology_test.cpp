#include <coronet/transports/sim/topology.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <bit>
#include <cmath>
#include <utility>
#include <vector>

using namespace coronet::sim;
using Catch::Contains;

namespace {

std::vector<std::pair<node_index, node_index>> edges_of(const topology& t) {
    std::vector<std::pair<node_index, node_index>> edges;
    for (node_index a = 0; a < t.size(); ++a)
        for (auto b : t.neighbours(a))
            if (a < b) edges.emplace_back(a, b);
    return edges;
}

std::size_t ipow(std::size_t base, std::size_t exp) {
    std::size_t r = 1;
    while (exp-- > 0) r *= base;
    return r;
}

// Checks every route of `t` against BFS distances: each path is a chain of
// links as long as the distance, and its first hop is the lowest-index
// neighbour that is one hop closer.
void check_routes(const topology& t) {
    for (node_index from = 0; from < t.size(); ++from) {
        for (node_index to = 0; to < t.size(); ++to) {
            auto dist_to = t.distances_from(to);
            auto hop = t.next_hop(from, to);
            auto p = t.path(from, to);
            if (from == to) {
                CHECK_FALSE(hop);
                CHECK(p == std::vector<node_index>{from});
                continue;
            }
            if (dist_to[from] == topology::unreachable) {
                CHECK_FALSE(hop);
                CHECK(p.empty());
                continue;
            }
            REQUIRE(p.size() - 1 == dist_to[from]);
            CHECK(p.front() == from);
            CHECK(p.back() == to);
            for (std::size_t i = 0; i + 1 < p.size(); ++i) CHECK(t.adjacent(p[i], p[i + 1]));
            REQUIRE(hop);
            CHECK(*hop == p[1]);
            node_index lowest = topology::unreachable;
            for (auto nb : t.neighbours(from))
                if (dist_to[nb] + 1 == dist_to[from]) {
                    lowest = nb;
                    break;
                }
            CHECK(*hop == lowest);
        }
    }
}

} // namespace

TEST_CASE("a ring topology of N nodes has degree 2, N edges and diameter floor(N/2)", "[sim][topology]") {
    auto n = GENERATE(as<std::size_t>{}, 3, 4, 5, 8, 17, 64);
    auto t = ring(n);
    auto m = measure(t);
    CHECK(t.name() == "ring");
    CHECK(m.nodes == n);
    CHECK(m.edges == n);
    CHECK(m.degree.min == 2);
    CHECK(m.degree.max == 2);
    CHECK(m.diameter == n / 2);
    CHECK(m.connected);
    CHECK(t.adjacent(0, static_cast<node_index>(n - 1)));
}

TEST_CASE("a star topology has a hub of degree N-1, leaves of degree 1 and diameter 2", "[sim][topology]") {
    auto n = GENERATE(as<std::size_t>{}, 3, 5, 16, 100);
    auto t = star(n);
    auto m = measure(t);
    CHECK(t.name() == "star");
    CHECK(t.neighbours(0).size() == n - 1);
    CHECK(m.degree.min == 1);
    CHECK(m.degree.max == n - 1);
    CHECK(m.edges == n - 1);
    CHECK(m.diameter == 2);
    CHECK(t.eccentricity(0) == 1);
    CHECK(t.next_hop(1, 2) == node_index{0});
}

TEST_CASE("a d-dimensional hypercube topology has degree d, diameter d, d*2^(d-1) edges and the closed-form mean path",
          "[sim][topology]") {
    auto d = GENERATE(1u, 2u, 3u, 4u, 6u, 8u);
    auto t = hypercube(d);
    auto m = measure(t);
    auto n = std::size_t{1} << d;
    CHECK(t.name() == "hypercube");
    CHECK(m.nodes == n);
    CHECK(m.degree.min == d);
    CHECK(m.degree.max == d);
    CHECK(m.edges == d * n / 2);
    CHECK(m.diameter == d);
    CHECK(m.mean_path_length == Approx(static_cast<double>(d * n / 2) / static_cast<double>(n - 1)));
    for (node_index a = 0; a < n; ++a)
        for (auto b : t.neighbours(a)) CHECK(std::popcount(a ^ b) == 1);
}

TEST_CASE("a complete k-ary tree topology of height h has diameter 2h and its root has eccentricity h",
          "[sim][topology]") {
    auto k = GENERATE(as<std::size_t>{}, 1, 2, 3, 4);
    auto h = GENERATE(as<std::size_t>{}, 1, 2, 3, 4);
    std::size_t n = 0; // 1 + k + k^2 + ... + k^h
    for (std::size_t level = 0; level <= h; ++level) n += ipow(k, level);
    auto t = kary_tree(k, n);
    auto m = measure(t);
    CHECK(t.name() == "tree");
    CHECK(m.edges == n - 1);
    CHECK(m.connected);
    CHECK(m.degree.max == (h >= 2 ? k + 1 : k)); // an inner node has k children and a parent
    CHECK(t.neighbours(0).size() == k);
    CHECK(m.diameter == (k == 1 ? h : 2 * h)); // a 1-ary tree is a path
    CHECK(t.eccentricity(0) == h);
    for (std::size_t i = 1; i < n; ++i)
        CHECK(t.adjacent(static_cast<node_index>((i - 1) / k), static_cast<node_index>(i)));
}

TEST_CASE("a w x h mesh topology has diameter (w-1)+(h-1), corners of degree 2 and node y*w+x", "[sim][topology]") {
    auto [w, h] = GENERATE(table<std::size_t, std::size_t>({{2, 2}, {4, 4}, {5, 3}, {1, 7}, {16, 9}}));
    auto t = mesh2d(w, h);
    auto m = measure(t);
    CHECK(t.name() == "mesh");
    CHECK(m.nodes == w * h);
    CHECK(m.edges == (w - 1) * h + (h - 1) * w);
    CHECK(m.diameter == (w - 1) + (h - 1));
    CHECK(m.degree.max <= 4);
    if (w > 1 && h > 1) CHECK(t.neighbours(0) == std::vector<node_index>{1, static_cast<node_index>(w)});
}

TEST_CASE("a w x h torus topology has degree 4 and diameter floor(w/2)+floor(h/2)", "[sim][topology]") {
    auto [w, h] = GENERATE(table<std::size_t, std::size_t>({{3, 3}, {4, 4}, {5, 3}, {8, 8}, {7, 10}}));
    auto t = torus2d(w, h);
    auto m = measure(t);
    CHECK(t.name() == "torus");
    CHECK(m.edges == 2 * w * h);
    CHECK(m.degree.min == 4);
    CHECK(m.degree.max == 4);
    CHECK(m.diameter == w / 2 + h / 2);
    CHECK(t.adjacent(0, static_cast<node_index>(w - 1)));           // the row wraps
    CHECK(t.adjacent(0, static_cast<node_index>((h - 1) * w)));     // the column wraps
}

TEST_CASE("a full mesh topology has degree N-1, diameter 1 and N(N-1)/2 edges", "[sim][topology]") {
    auto n = GENERATE(as<std::size_t>{}, 2, 3, 10, 50);
    auto t = full_mesh(n);
    auto m = measure(t);
    CHECK(t.name() == "full");
    CHECK(m.edges == n * (n - 1) / 2);
    CHECK(m.degree.min == n - 1);
    CHECK(m.degree.max == n - 1);
    CHECK(m.diameter == 1);
    CHECK(m.mean_path_length == 1.0);
}

TEST_CASE("measuring topologies of a 1024-node full mesh and a 10-cube stays cheap", "[sim][topology]") {
    // Finishes in milliseconds because each BFS stops once it has reached
    // every node; the CTest timeout catches a return to O(N^3).
    auto full = measure(full_mesh(1024));
    CHECK(full.edges == 1024 * 1023 / 2);
    CHECK(full.diameter == 1);
    auto cube = measure(hypercube(10));
    CHECK(cube.diameter == 10);
    CHECK(cube.mean_path_length == Approx(10.0 * 512 / 1023));
}

TEST_CASE("a random graph topology is the same for the same seed and differs for another", "[sim][topology]") {
    auto a = random_graph(100, 0.1, 42);
    auto b = random_graph(100, 0.1, 42);
    auto c = random_graph(100, 0.1, 43);
    CHECK(a.name() == "random");
    CHECK(edges_of(a) == edges_of(b));
    CHECK(edges_of(a) != edges_of(c));
    CHECK(random_graph(20, 0.0, 1).edge_count() == 0);
    CHECK(random_graph(20, 1.0, 1).edge_count() == 190);
}

TEST_CASE("a random graph topology has p*N(N-1)/2 edges to within 5 sigma", "[sim][topology]") {
    auto seed = GENERATE(as<std::uint64_t>{}, 1, 2, 3, 1234567, 0xdeadbeef);
    constexpr double n = 200, p = 0.1;
    const double pairs = n * (n - 1) / 2;
    const double sigma = std::sqrt(pairs * p * (1 - p));
    auto edges = static_cast<double>(random_graph(200, p, seed).edge_count());
    INFO("seed " << seed << ": " << edges << " edges");
    CHECK(std::abs(edges - pairs * p) < 5 * sigma);
}

TEST_CASE("a random connected topology is connected with N-1+extra edges for every seed", "[sim][topology]") {
    auto seed = GENERATE(as<std::uint64_t>{}, 0, 1, 2, 99, 31337);
    auto [n, extra] = GENERATE(table<std::size_t, std::size_t>({{1, 0}, {2, 0}, {50, 0}, {50, 30}, {64, 1900}}));
    INFO("seed " << seed << ", " << n << " nodes, " << extra << " extra");
    auto t = random_connected(n, extra, seed);
    CHECK(t.name() == "random-connected");
    CHECK(t.connected());
    CHECK(t.edge_count() == n - 1 + extra);
    CHECK(edges_of(t) == edges_of(random_connected(n, extra, seed)));
    // Every free pair filled: the full mesh.
    CHECK(random_connected(8, 21, seed).edge_count() == 28);
}

TEST_CASE("topology routes (next_hop and path) follow shortest paths with the lowest-index first hop",
          "[sim][topology]") {
    check_routes(ring(9));
    check_routes(ring(10));
    check_routes(hypercube(4));
    check_routes(torus2d(4, 5));
    check_routes(mesh2d(4, 3));
    check_routes(kary_tree(3, 20));
    check_routes(random_connected(40, 30, 7));
    check_routes(random_graph(30, 0.05, 3)); // likely disconnected: covers unreachable pairs too

    // The tie-breaks spelled out.
    CHECK(ring(4).next_hop(0, 2) == node_index{1});                   // 1 and 3 both lead there
    CHECK(hypercube(3).path(0, 7) == std::vector<node_index>{0, 1, 3, 7}); // lowest bit first
    CHECK(mesh2d(3, 3).path(0, 8) == std::vector<node_index>{0, 1, 2, 5, 8});
}

TEST_CASE("nodes in another component of a topology have no route, no path and an unreachable distance",
          "[sim][topology]") {
    topology t(6); // two triangles
    t.add_edge(0, 1);
    t.add_edge(1, 2);
    t.add_edge(2, 0);
    t.add_edge(3, 4);
    t.add_edge(4, 5);
    t.add_edge(5, 3);
    CHECK(t.name() == "custom");
    CHECK_FALSE(t.connected());
    CHECK_FALSE(t.next_hop(0, 4));
    CHECK(t.path(0, 4).empty());
    CHECK(t.distances_from(0) ==
          std::vector<std::uint32_t>{0, 1, 1, topology::unreachable, topology::unreachable, topology::unreachable});
    CHECK(t.eccentricity(0) == topology::unreachable);
    auto m = measure(t);
    CHECK_FALSE(m.connected);
    CHECK(m.diameter == topology::unreachable);
    CHECK(m.mean_path_length == 1.0); // over the 12 ordered pairs inside a triangle
    auto parent = t.bfs_tree_parents(0);
    CHECK(parent == std::vector<node_index>{0, 0, 0, topology::unreachable, topology::unreachable,
                                            topology::unreachable});
}

TEST_CASE("a topology's BFS tree has N-1 edges, depth equal to the root's eccentricity and follows the routes",
          "[sim][topology]") {
    auto t = GENERATE(ring(11), hypercube(5), torus2d(5, 4), kary_tree(2, 31), random_connected(60, 40, 5));
    auto root = GENERATE(as<node_index>{}, 0, 3, 10);
    INFO(t.name() << " rooted at " << root);
    auto parent = t.bfs_tree_parents(root);
    auto dist = t.distances_from(root);
    REQUIRE(parent.size() == t.size());
    CHECK(parent[root] == root);
    topology tree(t.size());
    std::uint32_t depth = 0;
    for (node_index v = 0; v < t.size(); ++v) {
        if (v == root) continue;
        CHECK(t.adjacent(v, parent[v]));
        CHECK(dist[parent[v]] + 1 == dist[v]);
        CHECK(t.next_hop(v, root) == parent[v]);
        tree.add_edge(v, parent[v]);
        depth = std::max(depth, dist[v]);
    }
    CHECK(tree.edge_count() == t.size() - 1);
    CHECK(tree.connected());
    CHECK(depth == t.eccentricity(root));
}

TEST_CASE("topology edges are undirected, kept sorted and added once", "[sim][topology]") {
    topology t(5, "hand-made");
    t.add_edge(3, 1);
    t.add_edge(1, 0);
    t.add_edge(1, 4);
    t.add_edge(0, 1); // the same edge from the other end
    t.add_edge(1, 3);
    CHECK(t.name() == "hand-made");
    CHECK(t.size() == 5);
    CHECK(t.edge_count() == 3);
    CHECK(t.neighbours(1) == std::vector<node_index>{0, 3, 4});
    CHECK(t.adjacent(0, 1));
    CHECK(t.adjacent(1, 0));
    CHECK_FALSE(t.adjacent(0, 3));
    CHECK(t.neighbours(2).empty());
}

TEST_CASE("topology routes are rebuilt after an edge is added and survive a copy", "[sim][topology]") {
    auto t = ring(8);
    CHECK(t.next_hop(0, 4) == node_index{1});
    auto copy = t;
    t.add_edge(0, 4);
    CHECK(t.next_hop(0, 4) == node_index{4});
    CHECK(t.path(2, 5) == std::vector<node_index>{2, 3, 4, 5});
    CHECK(t.path(1, 5) == std::vector<node_index>{1, 0, 4, 5});
    CHECK(copy.next_hop(0, 4) == node_index{1});
    copy.build_routes();
    CHECK(copy.path(0, 4).size() == 5);
}

TEST_CASE("a topology rejects self-loops and nodes out of range with a message", "[sim][topology]") {
    topology t(4);
    CHECK_THROWS_WITH(t.add_edge(2, 2), Contains("self-loop on node 2"));
    CHECK_THROWS_WITH(t.add_edge(0, 4), Contains("node 4 is out of range"));
    CHECK_THROWS_AS(t.neighbours(9), std::invalid_argument);
    CHECK_THROWS_AS(t.next_hop(0, 4), std::invalid_argument);
    CHECK_THROWS_AS(t.distances_from(4), std::invalid_argument);
    CHECK_THROWS_AS(t.bfs_tree_parents(4), std::invalid_argument);
    CHECK(t.edge_count() == 0);
}

TEST_CASE("topology builders reject sizes that do not make their shape", "[sim][topology]") {
    CHECK_THROWS_WITH(ring(2), Contains("at least 3 nodes"));
    CHECK_THROWS_WITH(star(1), Contains("at least one leaf"));
    CHECK_THROWS_WITH(hypercube(21), Contains("at most 20 dimensions"));
    CHECK_THROWS_WITH(kary_tree(0, 5), Contains("k >= 1"));
    CHECK_THROWS_WITH(mesh2d(0, 4), Contains("width and height >= 1"));
    CHECK_THROWS_WITH(torus2d(2, 5), Contains("width and height >= 3"));
    CHECK_THROWS_WITH(full_mesh(0), Contains("at least 1 node"));
    CHECK_THROWS_WITH(random_graph(10, 1.5, 1), Contains("probability must be in [0, 1]"));
    CHECK_THROWS_WITH(random_graph(10, std::nan(""), 1), Contains("probability"));
    CHECK_THROWS_WITH(random_connected(8, 22, 1), Contains("room for 21 edges"));
    CHECK_THROWS_WITH(topology(std::size_t{topology::unreachable}), Contains("too many"));
}

TEST_CASE("every topology spec parses to the graph its builder makes", "[sim][topology]") {
    auto same = [](const topology& parsed, const topology& built) {
        CHECK(parsed.name() == built.name());
        CHECK(parsed.size() == built.size());
        CHECK(edges_of(parsed) == edges_of(built));
    };
    same(parse_topology("ring:16"), ring(16));
    same(parse_topology("star:16"), star(16));
    same(parse_topology("hypercube:4"), hypercube(4));
    same(parse_topology("tree:2:15"), kary_tree(2, 15));
    same(parse_topology("mesh:4x4"), mesh2d(4, 4));
    same(parse_topology("mesh:5x2"), mesh2d(5, 2));
    same(parse_topology("torus:8x8"), torus2d(8, 8));
    same(parse_topology("full:8"), full_mesh(8));
    same(parse_topology("random:64:0.1:7"), random_graph(64, 0.1, 7));
    same(parse_topology("random:64:1e-1:18446744073709551615"), random_graph(64, 0.1, 18446744073709551615ull));
    same(parse_topology("random-connected:64:20:9"), random_connected(64, 20, 9));
}

TEST_CASE("malformed topology specs are rejected with a message naming the accepted forms", "[sim][topology]") {
    CHECK_THROWS_WITH(parse_topology(""), Contains("unknown topology ''"));
    CHECK_THROWS_WITH(parse_topology("ring"), Contains("ring takes the form ring:N"));
    CHECK_THROWS_WITH(parse_topology("ring:16:3"), Contains("ring takes the form ring:N"));
    CHECK_THROWS_WITH(parse_topology("ring:abc"), Contains("N 'abc' is not a number"));
    CHECK_THROWS_WITH(parse_topology("ring:-3"), Contains("is not a number"));
    CHECK_THROWS_WITH(parse_topology("ring:16 "), Contains("is not a number"));
    CHECK_THROWS_WITH(parse_topology("ring:2"), Contains("at least 3 nodes"));
    CHECK_THROWS_WITH(parse_topology("ring:2"), Contains("bad topology spec 'ring:2'"));
    CHECK_THROWS_WITH(parse_topology("mesh:4"), Contains("mesh:WxH"));
    CHECK_THROWS_WITH(parse_topology("torus:8x"), Contains("height '' is not a number"));
    CHECK_THROWS_WITH(parse_topology("torus:2x8"), Contains(">= 3"));
    CHECK_THROWS_WITH(parse_topology("hypercube:21"), Contains("D is at most 20"));
    CHECK_THROWS_WITH(parse_topology("mesh:2048x2048"), Contains("at most 1048576 nodes"));
    CHECK_THROWS_WITH(parse_topology("full:100000"), Contains("N is at most 4096"));
    CHECK_THROWS_WITH(parse_topology("random:64:0.1"), Contains("random:N:P:SEED"));
    CHECK_THROWS_WITH(parse_topology("random:64:2:1"), Contains("probability must be in [0, 1]"));
    CHECK_THROWS_WITH(parse_topology("random:64:x:1"), Contains("P 'x' is not a number"));
    CHECK_THROWS_WITH(parse_topology("grid:4x4"), Contains("unknown topology 'grid'"));
    CHECK_THROWS_WITH(parse_topology("grid:4x4"),
                      Contains("expected ring:N, star:N, hypercube:D, tree:K:N, mesh:WxH, torus:WxH, full:N"));
}
