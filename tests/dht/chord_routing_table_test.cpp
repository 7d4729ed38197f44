// The routing table on its own: successor lists kept in ring order, the
// closest preceding node among fingers and successors (the paper's m = 6
// example ring), and what a failure removes.
#include <coronet/dht/chord/routing_table.hpp>

#include <catch2/catch.hpp>

using namespace coronet::dht::chord;

namespace {

peer table_peer(unsigned x) { return {id{x}, "sim://n" + std::to_string(x)}; }

std::vector<unsigned> table_ids(const std::vector<peer>& peers) {
    std::vector<unsigned> out;
    for (const auto& p : peers) out.push_back(static_cast<unsigned>(p.id.low64()));
    return out;
}

/// Node 8 of the paper's m = 6 example ring (nodes 1, 8, 14, 21, 32, 38, 42,
/// 48, 51, 56), with the finger table the paper shows for it.
routing_table table_node8() {
    routing_table t(ring(6), table_peer(8), 3);
    unsigned fingers[] = {14, 14, 14, 21, 32, 42};
    for (unsigned i = 0; i < 6; ++i) t.set_finger(i, table_peer(fingers[i]));
    t.set_successors(table_peer(14), std::vector{table_peer(21), table_peer(32)});
    t.set_predecessor(table_peer(1));
    return t;
}

} // namespace

TEST_CASE("a new routing table is alone: its own successor, without predecessor or fingers", "[dht][routing]") {
    routing_table t(ring(6), table_peer(8), 3);
    CHECK(t.successor() == table_peer(8));
    CHECK(t.successors().empty());
    CHECK_FALSE(t.predecessor());
    CHECK(t.finger_count() == 6);
    for (unsigned i = 0; i < 6; ++i) CHECK_FALSE(t.finger(i));
    CHECK(t.closest_preceding(id{40}, 4).empty());
    CHECK_THROWS_AS(routing_table(ring(6), table_peer(64), 3), std::invalid_argument);
}

TEST_CASE("finger starts follow n + 2^i, and the table never points at itself", "[dht][routing]") {
    auto t = table_node8();
    unsigned starts[] = {9, 10, 12, 16, 24, 40};
    for (unsigned i = 0; i < 6; ++i) CHECK(t.finger_start(i) == id{starts[i]});
    t.set_finger(5, table_peer(8));
    CHECK_FALSE(t.finger(5));
    t.set_predecessor(table_peer(8));
    CHECK_FALSE(t.predecessor());
    CHECK_THROWS_AS(t.set_finger(6, table_peer(14)), std::out_of_range);
}

TEST_CASE("the closest preceding node is the known node nearest before the key, fingers and successors alike", "[dht][routing]") {
    auto t = table_node8();
    // The paper's example: node 8 looks up key 54 through finger 42.
    CHECK(table_ids(t.closest_preceding(id{54}, 1)) == std::vector<unsigned>{42});
    CHECK(table_ids(t.closest_preceding(id{54}, 4)) == std::vector<unsigned>{42, 32, 21, 14});
    CHECK(table_ids(t.closest_preceding(id{33}, 4)) == std::vector<unsigned>{32, 21, 14});
    // Strictly before the key: a node at the key itself is its owner, not a
    // node preceding it.
    CHECK(table_ids(t.closest_preceding(id{32}, 4)) == std::vector<unsigned>{21, 14});
    CHECK(t.closest_preceding(id{14}, 4).empty());
    CHECK(t.closest_preceding(id{9}, 4).empty());
    // Keys past the top of the ring wrap: everything known precedes key 5.
    CHECK(table_ids(t.closest_preceding(id{5}, 2)) == std::vector<unsigned>{42, 32});
}

TEST_CASE("a successor list stays in ring order after the node, without itself, repeats or excess", "[dht][routing]") {
    routing_table t(ring(6), table_peer(50), 3);
    // 50's successor 56 passes its list on; it wraps past 0 and back to 50.
    t.set_successors(table_peer(56), std::vector{table_peer(1), table_peer(1), table_peer(50), table_peer(8)});
    CHECK(table_ids(t.successors()) == std::vector<unsigned>{56, 1});
    t.set_successors(table_peer(56), std::vector{table_peer(1), table_peer(8), table_peer(14), table_peer(21)});
    CHECK(table_ids(t.successors()) == std::vector<unsigned>{56, 1, 8});
    CHECK(t.successor() == table_peer(56));
}

TEST_CASE("removing a failed node clears it everywhere, and a node cut off from all successors falls back on a finger", "[dht][routing]") {
    auto t = table_node8();
    CHECK(t.remove(id{14}));
    CHECK(table_ids(t.successors()) == std::vector<unsigned>{21, 32});
    for (unsigned i = 0; i < 3; ++i) CHECK_FALSE(t.finger(i));
    CHECK_FALSE(t.remove(id{14}));
    CHECK(t.remove(id{21}));
    CHECK(t.remove(id{32}));
    // Its whole list gone, the closest finger left (42) becomes the successor.
    CHECK(t.successor() == table_peer(42));
    CHECK(t.remove(id{42}));
    // No finger left either: the predecessor is the last way back.
    CHECK(t.successor() == table_peer(1));
    CHECK(t.remove(id{1}));
    CHECK(t.successor() == table_peer(8));
    CHECK_FALSE(t.knows(id{1}));
}
