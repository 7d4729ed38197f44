// One core at a time, message by message: join through a bootstrap node,
// stabilize and notify fixing both neighbours of a newcomer, failure
// detection by timeout, the finger tables and lookup path of the paper's
// figures, and the reasons lookups and joins fail with.
#include "dht/chord_sim.hpp"

#include <coronet/dht/chord/core.hpp>

#include <catch2/catch.hpp>

using namespace coronet::dht::chord;

namespace {

/// Hand-driven timing: nothing periodic happens unless a test calls it.
config core_config(unsigned x, unsigned bits = 6) {
    config c;
    c.self = {id{x}, "sim://n" + std::to_string(x)};
    c.id_bits = bits;
    c.successors = 3;
    c.stabilize_ticks = 1000;
    c.fix_fingers_ticks = 1000;
    c.check_predecessor_ticks = 1000;
    c.rpc_timeout_ticks = 2;
    c.lookup_timeout_ticks = 10;
    return c;
}

std::vector<message> core_outbox(core& c) {
    std::vector<message> out;
    while (c.has_ready()) {
        auto rd = c.take_ready();
        for (auto& m : rd.messages) out.push_back(std::move(m));
    }
    return out;
}

/// The single message `c` has to send, which must be of type `t`.
message core_only_message(core& c, message_type t) {
    auto out = core_outbox(c);
    INFO(out.size() << " messages, first: " << (out.empty() ? "-" : describe(out.front())));
    REQUIRE(out.size() == 1);
    REQUIRE(out.front().type == t);
    return out.front();
}

unsigned core_id(const peer& p) { return static_cast<unsigned>(p.id.low64()); }

} // namespace

TEST_CASE("a joining node finds its successor through the bootstrap, and stabilize and notify set both neighbours", "[dht][core]") {
    core a(core_config(10)), b(core_config(40));
    REQUIRE_FALSE(a.create());
    REQUIRE_FALSE(b.join("sim://n10"));
    CHECK(b.state() == node_state::joining);

    // b asks a about its own id; a, alone, owns every key.
    auto ask = core_only_message(b, message_type::find_next);
    CHECK(ask.to == "sim://n10");
    CHECK(ask.key == id{40});
    REQUIRE_FALSE(a.step(ask));
    auto answer = core_only_message(a, message_type::find_next_reply);
    CHECK(answer.done);
    CHECK(core_id(*answer.node) == 10);

    // b is in: its successor is a, and it stabilizes at once.
    REQUIRE_FALSE(b.step(answer));
    CHECK(b.state() == node_state::joined);
    CHECK(core_id(b.successor()) == 10);
    auto rd = b.take_ready();
    REQUIRE(rd.joined);
    CHECK_FALSE(*rd.joined);
    REQUIRE(rd.neighbours);
    CHECK(core_id(rd.neighbours->successor) == 10);
    REQUIRE(rd.messages.size() == 1);
    REQUIRE(rd.messages[0].type == message_type::get_predecessor);

    // a has no predecessor yet; b keeps a as successor and notifies it.
    REQUIRE_FALSE(a.step(rd.messages[0]));
    auto pred = core_only_message(a, message_type::predecessor_reply);
    CHECK_FALSE(pred.node);
    REQUIRE_FALSE(b.step(pred));
    auto notify = core_only_message(b, message_type::notify);
    REQUIRE_FALSE(a.step(notify));
    REQUIRE(a.predecessor());
    CHECK(core_id(*a.predecessor()) == 40);

    // a, still its own successor, adopts its predecessor as successor when
    // it stabilizes, and notifies b in turn.
    a.stabilize();
    CHECK(core_id(a.successor()) == 40);
    auto back = core_only_message(a, message_type::notify);
    REQUIRE_FALSE(b.step(back));
    REQUIRE(b.predecessor());
    CHECK(core_id(*b.predecessor()) == 10);
}

TEST_CASE("stabilize adopts a node that joined between us and our successor, and notify moves the predecessor closer", "[dht][core]") {
    // Ring 10 -> 40 -> 10; node 20 has joined with successor 40 and notified it.
    core a(core_config(10));
    REQUIRE_FALSE(a.create());
    message n;
    n.type = message_type::notify;
    n.from = {id{40}, "sim://n40"};
    REQUIRE_FALSE(a.step(n));
    a.stabilize();
    core_outbox(a);
    REQUIRE(core_id(a.successor()) == 40);

    a.stabilize();
    auto ask = core_only_message(a, message_type::get_predecessor);
    message reply;
    reply.type = message_type::predecessor_reply;
    reply.from = {id{40}, "sim://n40"};
    reply.rpc_id = ask.rpc_id;
    reply.node = peer{id{20}, "sim://n20"};
    reply.successors = {{id{10}, "sim://n10"}};
    REQUIRE_FALSE(a.step(reply));
    CHECK(core_id(a.successor()) == 20);
    REQUIRE(a.table().successors().size() == 2);
    CHECK(core_id(a.table().successors()[1]) == 40);
    auto notify = core_only_message(a, message_type::notify);
    CHECK(notify.to == "sim://n20");

    // A notify from a node between the predecessor and us replaces it; one
    // from outside that interval does not, and is counted.
    message closer;
    closer.type = message_type::notify;
    closer.from = {id{5}, "sim://n5"};
    REQUIRE_FALSE(a.step(closer));
    CHECK(core_id(*a.predecessor()) == 5);
    message farther = closer;
    farther.from = {id{50}, "sim://n50"};
    CHECK(a.step(farther) == errc::not_between);
    CHECK(core_id(*a.predecessor()) == 5);
    CHECK(a.stats().rejected_by(errc::not_between) == 1);
}

TEST_CASE("a successor that stops answering is dropped for the next one in the successor list after failures_max timeouts", "[dht][core]") {
    core a(core_config(10));
    REQUIRE_FALSE(a.create());
    message n;
    n.type = message_type::notify;
    n.from = {id{20}, "sim://n20"};
    REQUIRE_FALSE(a.step(n));
    a.stabilize(); // successor 20
    core_outbox(a);
    a.stabilize();
    auto ask = core_only_message(a, message_type::get_predecessor);
    message reply;
    reply.type = message_type::predecessor_reply;
    reply.from = {id{20}, "sim://n20"};
    reply.rpc_id = ask.rpc_id;
    reply.node = peer{id{10}, "sim://n10"};
    reply.successors = {{id{30}, "sim://n30"}, {id{10}, "sim://n10"}};
    REQUIRE_FALSE(a.step(reply));
    core_outbox(a);
    REQUIRE(a.table().successors().size() == 2);

    // One lost answer is not a death: only failures_max in a row are.
    for (std::uint32_t k = 1; k <= a.config().failures_max; ++k) {
        CHECK(core_id(a.successor()) == 20);
        a.stabilize();
        core_only_message(a, message_type::get_predecessor);
        a.tick();
        a.tick(); // rpc_timeout_ticks = 2
    }
    CHECK(core_id(a.successor()) == 30);
    CHECK(a.suspects(id{20}));
    CHECK(a.stats().rpc_timeouts == a.config().failures_max);
    // A late answer from the dead node is not taken for a new one.
    CHECK(a.step(reply) == errc::unexpected_reply);
}

TEST_CASE("check_predecessor forgets a predecessor that does not answer its ping", "[dht][core]") {
    core a(core_config(10));
    REQUIRE_FALSE(a.create());
    message n;
    n.type = message_type::notify;
    n.from = {id{50}, "sim://n50"};
    REQUIRE_FALSE(a.step(n));
    core_outbox(a);

    a.check_predecessor();
    auto ping = core_only_message(a, message_type::ping);
    message pong;
    pong.type = message_type::pong;
    pong.from = n.from;
    pong.rpc_id = ping.rpc_id;
    REQUIRE_FALSE(a.step(pong));
    CHECK(a.predecessor());

    for (std::uint32_t k = 1; k <= a.config().failures_max; ++k) {
        CHECK(a.predecessor());
        a.check_predecessor();
        core_only_message(a, message_type::ping);
        a.tick();
        a.tick();
    }
    CHECK_FALSE(a.predecessor());
}

TEST_CASE("fix_fingers builds the finger tables of the paper's three-node example ring", "[dht][core]") {
    // m = 3, nodes 0, 1 and 3 (the example of the Chord paper's SIGCOMM 2001 version).
    chord_sim::options o;
    o.id_bits = 3;
    o.successors = 2;
    chord_sim::network net(1, o);
    auto n0 = net.add_node(id{0});
    auto n1 = net.add_node(id{1});
    auto n3 = net.add_node(id{3});
    net.create(n0);
    REQUIRE(net.join(n1, n0) == std::error_code{});
    REQUIRE(net.join(n3, n1) == std::error_code{});
    REQUIRE(net.run_until(20, [&] { return net.finger_errors().empty() && net.ring_errors(true).empty(); }));
    // Node 1: starts 2, 3, 5 -> 3, 3, 0. Node 3: starts 4, 5, 7 -> 0, 0, 0.
    // Node 0: starts 1, 2, 4 -> 1, 3, 0 (the last one is itself: empty).
    auto finger = [&](const std::string& a, unsigned i) {
        const auto& f = net.node(a).table().finger(i);
        return f ? static_cast<int>(f->id.low64()) : -1;
    };
    CHECK(finger(n1, 0) == 3);
    CHECK(finger(n1, 1) == 3);
    CHECK(finger(n1, 2) == 0);
    CHECK(finger(n3, 0) == 0);
    CHECK(finger(n3, 2) == 0);
    CHECK(finger(n0, 0) == 1);
    CHECK(finger(n0, 1) == 3);
    CHECK(finger(n0, 2) == -1);
}

TEST_CASE("the paper's example lookup of key 54 from node 8 goes through 42 and 51 to 56, in both styles", "[dht][core]") {
    chord_sim::options o;
    o.id_bits = 6;
    o.successors = 3;
    chord_sim::network net(1, o);
    std::vector<std::string> nodes;
    for (unsigned x : {8u, 1u, 14u, 21u, 32u, 38u, 42u, 48u, 51u, 56u}) nodes.push_back(net.add_node(id{x}));
    net.create(nodes[0]);
    for (std::size_t i = 1; i < nodes.size(); ++i) REQUIRE(net.join(nodes[i], nodes[i - 1]) == std::error_code{});
    REQUIRE(net.run_until(100, [&] { return net.finger_errors().empty() && net.ring_errors(true).empty(); }));
    for (auto style : {lookup_style::iterative, lookup_style::recursive}) {
        auto r = net.lookups({{nodes[0], id{54}}}, style);
        REQUIRE(r[0]);
        CHECK(core_id(r[0].owner) == 56);
        CHECK(r[0].hops == 2); // 42, then 51, whose successor 56 owns the key
        CHECK(r[0].attempts == 1);
    }
}

TEST_CASE("local requests are refused with a reason when they cannot be honoured", "[dht][core]") {
    auto c = core_config(10);
    c.pending_lookups_max = 2;
    core a(c);
    CHECK(a.lookup(1, id{5}, lookup_style::iterative) == errc::not_joined);
    REQUIRE_FALSE(a.create());
    CHECK(a.create() == errc::already_joined);
    CHECK(a.join("sim://n20") == errc::already_joined);
    CHECK_THROWS_AS(core(core_config(10)).join(""), std::invalid_argument);
    CHECK(a.lookup(1, id{64}, lookup_style::iterative) == errc::key_out_of_range);

    // Give a a successor that never answers, so lookups stay pending.
    message n;
    n.type = message_type::notify;
    n.from = {id{40}, "sim://n40"};
    REQUIRE_FALSE(a.step(n));
    a.stabilize();
    core_outbox(a);
    // Recursive: a hands each key to its successor and waits for the ack.
    CHECK_FALSE(a.lookup(1, id{20}, lookup_style::recursive));
    CHECK(a.lookup(1, id{25}, lookup_style::recursive) == errc::duplicate_request);
    CHECK_FALSE(a.lookup(2, id{25}, lookup_style::recursive));
    CHECK(a.lookup(3, id{30}, lookup_style::recursive) == errc::too_many_lookups);
    CHECK(a.pending_lookups() == 2);
}

TEST_CASE("a join through an address nobody answers gives up after its attempts, and the node may join again", "[dht][core]") {
    core b(core_config(40));
    REQUIRE_FALSE(b.join("sim://nobody"));
    std::optional<std::error_code> outcome;
    std::size_t asks = 0;
    for (int t = 0; t < 100 && !outcome; ++t) {
        while (b.has_ready()) {
            auto rd = b.take_ready();
            asks += rd.messages.size();
            if (rd.joined) outcome = rd.joined;
        }
        b.tick();
    }
    REQUIRE(outcome);
    CHECK(*outcome == errc::timeout);
    CHECK(asks == b.config().lookup_attempts_max);
    CHECK(b.state() == node_state::idle);
    CHECK_FALSE(b.join("sim://n10"));
}

TEST_CASE("a recursive lookup whose next hop acknowledges but never answers times out after its attempts", "[dht][core]") {
    core a(core_config(10));
    REQUIRE_FALSE(a.create());
    message n;
    n.type = message_type::notify;
    n.from = {id{40}, "sim://n40"};
    REQUIRE_FALSE(a.step(n));
    a.stabilize();
    core_outbox(a);
    // Key 30 is between a and its successor 40: a hands it to 40, which
    // acknowledges and then goes silent.
    REQUIRE_FALSE(a.lookup(7, id{30}, lookup_style::recursive));
    std::optional<lookup_result> result;
    std::uint32_t forwards = 0;
    for (int t = 0; t < 200 && !result; ++t) {
        while (a.has_ready()) {
            auto rd = a.take_ready();
            for (const auto& m : rd.messages) {
                if (m.type != message_type::find_successor) continue;
                ++forwards;
                CHECK(m.final);
                message ack;
                ack.type = message_type::find_successor_ack;
                ack.from = n.from;
                ack.rpc_id = m.rpc_id;
                REQUIRE_FALSE(a.step(ack));
            }
            if (!rd.lookups.empty()) result = rd.lookups.front();
        }
        a.tick();
    }
    REQUIRE(result);
    CHECK(result->request_id == 7);
    CHECK(result->error == errc::timeout);
    CHECK(result->attempts == a.config().lookup_attempts_max);
    CHECK(forwards == a.config().lookup_attempts_max);
    CHECK(a.stats().lookups_failed == 1);
}

TEST_CASE("consider_successor adopts only a node between this one and its successor", "[dht][core][repair]") {
    core idle(core_config(8));
    CHECK(idle.consider_successor({id{20}, "sim://n20"}) == errc::not_joined);

    core c(core_config(8));
    REQUIRE_FALSE(c.create());
    // Alone, every other node is closer than the node itself.
    CHECK_FALSE(c.consider_successor({id{40}, "sim://n40"}));
    CHECK(core_id(c.successor()) == 40);
    CHECK_FALSE(c.consider_successor({id{20}, "sim://n20"})); // closer: adopted, 40 stays behind it
    CHECK(core_id(c.successor()) == 20);
    CHECK(c.table().successors().size() == 2);
    CHECK(c.consider_successor({id{30}, "sim://n30"}) == errc::not_between); // farther than 20
    CHECK(c.consider_successor({id{8}, "sim://n8"}) == errc::not_between);   // itself
    CHECK(c.consider_successor({id{70}, "sim://n70"}) == errc::id_out_of_range); // off a 2^6 ring
    CHECK(c.consider_successor({id{10}, ""}) == errc::malformed_message);
    CHECK(core_id(c.successor()) == 20);
}
