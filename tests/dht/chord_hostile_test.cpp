// What a node does with messages it must not believe: ids off the ring,
// absurd or disordered lists, owners and next hops outside the interval
// their sender answers for, replies nobody asked for, a stranger using our
// id. Each is ignored, counted by reason, and leaves the node's state as it
// was; where a lookup was waiting on the liar, it goes on without it.
#include <coronet/dht/chord/core.hpp>
#include <coronet/dht/chord/hash.hpp>

#include <catch2/catch.hpp>

using namespace coronet::dht::chord;

namespace {

config hostile_config(unsigned x) {
    config c;
    c.self = {id{x}, "sim://n" + std::to_string(x)};
    c.id_bits = 8;
    c.successors = 3;
    c.stabilize_ticks = 1000;
    c.fix_fingers_ticks = 1000;
    c.check_predecessor_ticks = 1000;
    c.rpc_timeout_ticks = 2;
    c.lookup_timeout_ticks = 10;
    return c;
}

peer hostile_peer(unsigned x) { return {id{x}, "sim://n" + std::to_string(x)}; }

std::vector<message> hostile_outbox(core& c) {
    std::vector<message> out;
    while (c.has_ready()) {
        auto rd = c.take_ready();
        for (auto& m : rd.messages) out.push_back(std::move(m));
    }
    return out;
}

/// Node 10 in a ring where it knows successor 100 (and 100's successor 200)
/// and predecessor 200.
core hostile_node() {
    core a(hostile_config(10));
    REQUIRE_FALSE(a.create());
    message n;
    n.type = message_type::notify;
    n.from = hostile_peer(100);
    REQUIRE_FALSE(a.step(n));
    a.stabilize();
    hostile_outbox(a);
    a.stabilize();
    auto ask = hostile_outbox(a).at(0);
    message reply;
    reply.type = message_type::predecessor_reply;
    reply.from = hostile_peer(100);
    reply.rpc_id = ask.rpc_id;
    reply.node = hostile_peer(10);
    reply.successors = {hostile_peer(200)};
    REQUIRE_FALSE(a.step(reply));
    message p;
    p.type = message_type::notify;
    p.from = hostile_peer(200);
    REQUIRE_FALSE(a.step(p));
    hostile_outbox(a);
    REQUIRE(a.successor() == hostile_peer(100));
    REQUIRE(a.table().successors().size() == 2);
    return a;
}

/// a's pending get_predecessor to its successor.
message hostile_stabilize(core& a) {
    a.stabilize();
    auto out = hostile_outbox(a);
    REQUIRE(out.size() == 1);
    REQUIRE(out[0].type == message_type::get_predecessor);
    return out[0];
}

} // namespace

TEST_CASE("ids outside the ring are rejected wherever they appear in a message", "[dht][hostile]") {
    auto a = hostile_node();
    message m;
    m.type = message_type::notify;
    m.from = hostile_peer(300); // m = 8: ids end at 255
    CHECK(a.step(m) == errc::id_out_of_range);
    m.from = hostile_peer(50);
    m.type = message_type::find_next;
    m.rpc_id = 1;
    m.key = id::pow2(159);
    CHECK(a.step(m) == errc::id_out_of_range);
    m.key = id{5};
    m.successors = {hostile_peer(256)};
    CHECK(a.step(m) == errc::id_out_of_range);
    CHECK(a.stats().rejected_by(errc::id_out_of_range) == 3);
    CHECK(hostile_outbox(a).empty());
    CHECK(a.predecessor() == hostile_peer(200));
}

TEST_CASE("a successor list that is too long or out of ring order is not adopted", "[dht][hostile]") {
    auto a = hostile_node();
    auto ask = hostile_stabilize(a);
    message reply;
    reply.type = message_type::predecessor_reply;
    reply.from = hostile_peer(100);
    reply.rpc_id = ask.rpc_id;
    for (unsigned i = 0; i < 40; ++i) reply.successors.push_back(hostile_peer(101 + i));
    // Rejected before it is matched with the request, which stays pending.
    CHECK(a.step(reply) == errc::list_too_long);
    reply.successors = {hostile_peer(150), hostile_peer(120)}; // 120 comes before 150 after 100
    CHECK(a.step(reply) == errc::list_out_of_order);
    ask = hostile_stabilize(a);
    reply.rpc_id = ask.rpc_id;
    reply.successors = {hostile_peer(150), hostile_peer(150)};
    CHECK(a.step(reply) == errc::list_out_of_order);
    ask = hostile_stabilize(a);
    reply.rpc_id = ask.rpc_id;
    reply.successors = {hostile_peer(100), hostile_peer(150)}; // the sender itself
    CHECK(a.step(reply) == errc::list_out_of_order);
    CHECK(a.table().successors().size() == 2);
    CHECK(a.table().successors()[1] == hostile_peer(200));
}

TEST_CASE("a claimed successor is adopted only if it lies between us and our successor", "[dht][hostile]") {
    auto a = hostile_node();
    auto ask = hostile_stabilize(a);
    message reply;
    reply.type = message_type::predecessor_reply;
    reply.from = hostile_peer(100);
    reply.rpc_id = ask.rpc_id;
    reply.node = hostile_peer(150); // not in (10, 100): says nothing about our interval
    reply.successors = {hostile_peer(200)};
    REQUIRE_FALSE(a.step(reply));
    CHECK(a.successor() == hostile_peer(100));
    // A notify from outside (predecessor, self) does not move the predecessor.
    message n;
    n.type = message_type::notify;
    n.from = hostile_peer(50);
    CHECK(a.step(n) == errc::not_between);
    CHECK(a.predecessor() == hostile_peer(200));
}

TEST_CASE("an iterative answer naming an owner or next hop outside the answerer's interval is rejected and the answerer skipped", "[dht][hostile]") {
    auto a = hostile_node();
    // Key 150 is past the successor 100, which is the only node a knows
    // before the key: a asks it.
    REQUIRE_FALSE(a.lookup(1, id{150}, lookup_style::iterative));
    auto ask = hostile_outbox(a).at(0);
    REQUIRE(ask.type == message_type::find_next);
    REQUIRE(ask.to == "sim://n100");

    message liar;
    liar.type = message_type::find_next_reply;
    liar.from = hostile_peer(100);
    liar.rpc_id = ask.rpc_id;
    liar.done = true;
    liar.node = hostile_peer(120); // 150 is not in (100, 120]
    CHECK(a.step(liar) == errc::bogus_owner);
    CHECK(a.suspects(id{100}));
    CHECK_FALSE(a.table().knows(id{100}));
    // Nobody else is known before the key: the attempt fails, and the next
    // one starts from a's own table, where 200 is now the successor and so
    // owns (10, 200] as far as a knows.
    auto rd = a.take_ready();
    REQUIRE(rd.lookups.size() == 1);
    CHECK(rd.lookups[0].owner == hostile_peer(200));

    auto b = hostile_node();
    REQUIRE_FALSE(b.lookup(2, id{150}, lookup_style::iterative));
    ask = hostile_outbox(b).at(0);
    message wrong_way = liar;
    wrong_way.rpc_id = ask.rpc_id;
    wrong_way.done = false;
    wrong_way.node.reset();
    wrong_way.candidates = {hostile_peer(160)}; // not in (100, 150): no progress
    CHECK(b.step(wrong_way) == errc::bogus_candidate);
    CHECK(b.stats().rejected_by(errc::bogus_candidate) == 1);
}

TEST_CASE("replies to no request of ours, or from a node we did not ask, are ignored", "[dht][hostile]") {
    auto a = hostile_node();
    auto ask = hostile_stabilize(a);
    message reply;
    reply.type = message_type::predecessor_reply;
    reply.from = hostile_peer(77); // not the successor we asked
    reply.rpc_id = ask.rpc_id;
    reply.node = hostile_peer(50);
    CHECK(a.step(reply) == errc::unexpected_reply);
    reply.from = {id{100}, "sim://elsewhere"}; // right id, wrong address
    CHECK(a.step(reply) == errc::unexpected_reply);
    reply.from = hostile_peer(100);
    reply.rpc_id = ask.rpc_id + 1;
    CHECK(a.step(reply) == errc::unexpected_reply);
    CHECK(a.successor() == hostile_peer(100));

    message pong;
    pong.type = message_type::pong;
    pong.from = hostile_peer(200);
    pong.rpc_id = 12345;
    CHECK(a.step(pong) == errc::unexpected_reply);
    message ack;
    ack.type = message_type::find_successor_ack;
    ack.from = hostile_peer(100);
    ack.rpc_id = 12345;
    CHECK(a.step(ack) == errc::unexpected_reply);
    message result;
    result.type = message_type::lookup_result;
    result.from = hostile_peer(100);
    result.request_id = 999;
    result.node = hostile_peer(100);
    CHECK(a.step(result) == errc::stale_message);
    CHECK(a.stats().rejected_total() == 6);
}

TEST_CASE("a recursive answer from anyone but the owner it names is rejected", "[dht][hostile]") {
    auto a = hostile_node();
    REQUIRE_FALSE(a.lookup(1, id{50}, lookup_style::recursive));
    auto fwd = hostile_outbox(a).at(0);
    REQUIRE(fwd.type == message_type::find_successor);
    REQUIRE(fwd.final);
    message result;
    result.type = message_type::lookup_result;
    result.from = hostile_peer(200);
    result.request_id = fwd.request_id;
    result.key = id{50};
    result.node = hostile_peer(100);
    CHECK(a.step(result) == errc::bogus_owner);
    result.from = hostile_peer(100);
    result.key = id{51};
    CHECK(a.step(result) == errc::unexpected_reply);
    result.key = id{50};
    CHECK_FALSE(a.step(result));
    auto rd = a.take_ready();
    REQUIRE(rd.lookups.size() == 1);
    CHECK(rd.lookups[0].owner == hostile_peer(100));
}

TEST_CASE("a recursive request that has travelled more than hops_max is answered with hop_limit", "[dht][hostile]") {
    auto a = hostile_node();
    message m;
    m.type = message_type::find_successor;
    m.from = hostile_peer(200);
    m.rpc_id = 5;
    m.request_id = 6;
    m.key = id{150}; // a would forward it to 100
    m.origin = hostile_peer(60);
    m.hops = a.config().hops_max;
    REQUIRE_FALSE(a.step(m));
    auto out = hostile_outbox(a);
    REQUIRE(out.size() == 2);
    CHECK(out[0].type == message_type::find_successor_ack);
    CHECK(out[1].type == message_type::lookup_result);
    CHECK(out[1].to == "sim://n60");
    CHECK(out[1].failure == errc::hop_limit);
    m.hops = a.config().hops_max + 2;
    CHECK(a.step(m) == errc::malformed_message);
}

TEST_CASE("messages missing what their type requires, or claiming our own id, are rejected", "[dht][hostile]") {
    auto a = hostile_node();
    message m;
    m.type = message_type::find_next_reply;
    m.from = hostile_peer(100);
    m.rpc_id = 1;
    m.done = true; // but no node
    CHECK(a.step(m) == errc::malformed_message);
    m.type = message_type::find_successor;
    m.done = false;
    m.request_id = 3; // but no origin
    CHECK(a.step(m) == errc::malformed_message);
    m.type = message_type::notify;
    m.from.address.clear();
    CHECK(a.step(m) == errc::malformed_message);
    m.from = {id{10}, "sim://impostor"};
    CHECK(a.step(m) == errc::id_conflict);
    m.from = hostile_peer(100);
    m.failure = errc::timeout; // only lookup results carry a failure
    CHECK(a.step(m) == errc::malformed_message);
    CHECK(a.predecessor() == hostile_peer(200));
}

TEST_CASE("with verify_ids, a node whose id is not the hash of its address is rejected", "[dht][hostile]") {
    auto c = hostile_config(0);
    c.id_bits = 160;
    c.self.address = "tcp://10.0.0.1:7000";
    c.self.id = hash_id(c.self.address, ring(160));
    c.verify_ids = true;
    core a(c);
    REQUIRE_FALSE(a.create());
    message m;
    m.type = message_type::notify;
    m.from = {hash_id("tcp://10.0.0.2:7000", ring(160)), "tcp://10.0.0.2:7000"};
    REQUIRE_FALSE(a.step(m));
    m.from.address = "tcp://10.0.0.3:7000"; // a chosen id under another address
    CHECK(a.step(m) == errc::id_unverified);
}

TEST_CASE("a joining node ignores everything but answers to its own requests", "[dht][hostile]") {
    core b(hostile_config(40));
    REQUIRE_FALSE(b.join("sim://n10"));
    auto ask = hostile_outbox(b).at(0);
    message m;
    m.type = message_type::get_predecessor;
    m.from = hostile_peer(10);
    m.rpc_id = 3;
    CHECK(b.step(m) == errc::not_joined);
    message answer;
    answer.type = message_type::find_next_reply;
    answer.from = hostile_peer(10);
    answer.rpc_id = ask.rpc_id;
    answer.done = true;
    answer.node = hostile_peer(40); // "you are already here"
    REQUIRE_FALSE(b.step(answer));
    auto rd = b.take_ready();
    REQUIRE(rd.joined);
    CHECK(*rd.joined == errc::id_in_use);
    CHECK(b.state() == node_state::idle);
}
