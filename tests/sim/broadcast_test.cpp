#include <coronet/transports/sim/broadcast.hpp>

#include <catch2/catch.hpp>

#include <numeric>

using namespace coronet::sim;
using Catch::Contains;

TEST_CASE("a relay forwards the first copy to its fan-out except the sender, and nothing after", "[sim][broadcast]") {
    broadcast_relay relay({1, 4, 7});
    CHECK_FALSE(relay.seen());
    CHECK(relay.receive(4) == std::vector<node_index>{1, 7});
    CHECK(relay.seen());
    CHECK(relay.receive(1).empty());
    // At the source the sender is the node itself, which is in no fan-out.
    broadcast_relay origin({1, 2});
    CHECK(origin.receive(0) == std::vector<node_index>{1, 2});
}

TEST_CASE("flooding fans out to every neighbour and the tree to each node's BFS children", "[sim][broadcast]") {
    auto t = torus2d(4, 4);
    auto flood = broadcast_fanout(t, broadcast_algorithm::flooding, 0);
    for (node_index n = 0; n < t.size(); ++n) CHECK(flood[n] == t.neighbours(n));
    auto tree = broadcast_fanout(t, broadcast_algorithm::spanning_tree, 5);
    auto parent = t.bfs_tree_parents(5);
    std::size_t children = 0;
    for (node_index p = 0; p < t.size(); ++p) {
        CHECK(std::is_sorted(tree[p].begin(), tree[p].end()));
        for (auto c : tree[p]) CHECK(parent[c] == p);
        children += tree[p].size();
    }
    CHECK(children == t.size() - 1);
}

// The relations docs/topologies.md states, on every shape: a broadcast on a
// lossless network with one-hop rounds reaches the farthest node after
// ecc(source) rounds whichever way it forwards; the tree sends one message
// per tree edge, flooding one per edge in each direction minus the N - 1
// edges a first copy arrived on.
TEST_CASE("on every topology both broadcasts take ecc(source) rounds, the tree N-1 messages and flooding 2E-(N-1)",
          "[sim][broadcast]") {
    for (std::size_t n : {16, 64}) {
        for (auto shape : broadcast_shapes()) {
            INFO(shape << " with " << n << " nodes");
            auto row = broadcast_experiment(shape, n, 1);
            const auto& m = row.metrics;
            REQUIRE(m.connected);
            CHECK(m.nodes == n);
            CHECK(row.flooding.reached == n);
            CHECK(row.tree.reached == n);
            CHECK(row.flooding.rounds == row.source_eccentricity);
            CHECK(row.tree.rounds == row.source_eccentricity);
            CHECK(row.source_eccentricity <= m.diameter);
            CHECK(row.tree.messages == n - 1);
            CHECK(row.flooding.messages == 2 * m.edges - (n - 1));
            CHECK(row.flooding.duplicates == 2 * (m.edges - (n - 1)));
            CHECK(row.tree.duplicates == 0);
            // Counted by the services and by the network alike.
            CHECK(row.flooding.packets_sent == row.flooding.messages);
            CHECK(row.tree.packets_sent == row.tree.messages);
            CHECK(broadcast_violations(row).empty());
        }
    }
}

TEST_CASE("from a star's leaf a broadcast takes two rounds, from its hub one", "[sim][broadcast]") {
    auto t = star(16);
    broadcast_options o;
    o.source = 3;
    auto from_leaf = run_broadcast(t, o);
    CHECK(from_leaf.rounds == 2);
    CHECK(from_leaf.reached == 16);
    // A star is a tree: flooding sends exactly what the tree does.
    CHECK(from_leaf.messages == 15);
    CHECK(from_leaf.duplicates == 0);
    o.source = 0;
    CHECK(run_broadcast(t, o).rounds == 1);
}

TEST_CASE("a crashed relay cuts its whole subtree off a tree broadcast, while flooding goes around it",
          "[sim][broadcast]") {
    auto t = hypercube(4);
    auto parent = t.bfs_tree_parents(0);
    // Node 1's subtree: every node whose chain of parents passes through 1.
    std::size_t subtree = 0;
    for (node_index v = 0; v < t.size(); ++v) {
        auto u = v;
        while (u != 0 && u != 1) u = parent[u];
        if (u == 1) ++subtree;
    }
    REQUIRE(subtree > 1);
    broadcast_options o;
    o.crashed = {1};
    o.algorithm = broadcast_algorithm::spanning_tree;
    CHECK(run_broadcast(t, o).reached == t.size() - subtree);
    o.algorithm = broadcast_algorithm::flooding;
    auto flood = run_broadcast(t, o);
    CHECK(flood.reached == t.size() - 1);
    CHECK(flood.rounds == 4); // a hypercube has disjoint paths to spare
}

TEST_CASE("experiment shapes take their usual sizes and refuse the others with a clear message", "[sim][broadcast]") {
    CHECK(broadcast_topology_spec("torus", 16, 1) == "torus:4x4");
    CHECK(broadcast_topology_spec("torus", 32, 1) == "torus:8x4");
    CHECK(broadcast_topology_spec("torus", 1024, 1) == "torus:32x32");
    CHECK(broadcast_topology_spec("hypercube", 1024, 1) == "hypercube:10");
    CHECK(broadcast_topology_spec("tree", 64, 1) == "tree:2:64");
    CHECK(broadcast_topology_spec("random", 64, 9) == "random-connected:64:64:9");
    CHECK_THROWS_WITH(broadcast_topology_spec("hypercube", 24, 1), Contains("power of two"));
    CHECK_THROWS_WITH(broadcast_topology_spec("torus", 14, 1), Contains("W, H >= 3"));
    CHECK_THROWS_WITH(broadcast_topology_spec("moebius", 16, 1), Contains("unknown topology 'moebius'"));
    broadcast_options outside;
    outside.source = 8;
    CHECK_THROWS_WITH(run_broadcast(ring(8), outside), Contains("source 8 is out of range"));
}
