// The Chord node as a service: the core and the replicated store driven over
// sim:// datagrams in virtual time (deterministic), and its HTTP API over
// loopback UDP.
#include <coronet/dht/chord/hash.hpp>
#include <coronet/dht/chord/http_api.hpp>
#include <coronet/dht/chord/node_metrics.hpp>
#include <coronet/dht/chord/node.hpp>
#include <coronet/transports/endpoint.hpp>
#include <coronet/transports/http_client.hpp>
#include <coronet/transports/sim/network.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <thread>
#include <vector>

namespace chord = coronet::dht::chord;
namespace sim = coronet::sim;
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

/// A ring of chord::node on a simulated network, one sim node each.
struct sim_ring {
    sim::network net;
    std::vector<std::unique_ptr<chord::node>> nodes;

    explicit sim_ring(std::size_t n, std::uint64_t seed = 1) : net(options(seed)) {
        for (std::size_t i = 0; i < n; ++i) add();
        nodes[0]->create();
        for (std::size_t i = 1; i < n; ++i) join(i);
    }

    static sim::network_options options(std::uint64_t seed) {
        sim::network_options o;
        o.seed = seed;
        return o;
    }

    chord::node& add() {
        auto name = "n" + std::to_string(nodes.size());
        auto& host = net.add_node(name);
        chord::node_options o;
        o.listen = "sim://" + name + ":7400";
        o.seed = nodes.size() + 1;
        nodes.push_back(std::make_unique<chord::node>(host.get_executor(), o));
        nodes.back()->start();
        return *nodes.back();
    }

    sim::node& host(std::size_t i) { return net.at(i); }

    void join(std::size_t i) {
        net.run_task(host(i), nodes[i]->join(nodes[0]->self().address, 30s), 60s);
    }

    /// The live nodes, by id.
    std::vector<chord::node*> live() {
        std::vector<chord::node*> v;
        for (auto& n : nodes)
            if (!n->stopped()) v.push_back(n.get());
        std::sort(v.begin(), v.end(), [](auto* a, auto* b) { return a->self().id < b->self().id; });
        return v;
    }

    /// Every live node's successor and predecessor are its neighbours by id.
    bool consistent() {
        auto v = live();
        for (std::size_t i = 0; i < v.size(); ++i) {
            const auto& next = v[(i + 1) % v.size()]->self();
            const auto& prev = v[(i + v.size() - 1) % v.size()]->self();
            if (v[i]->routing().successor() != next) return false;
            if (v.size() > 1 && v[i]->routing().predecessor() != prev) return false;
        }
        return true;
    }

    bool settle(coronet::duration timeout = 120s) {
        return net.run_until([this] { return consistent(); }, timeout);
    }

    /// The node that owns `key`: the first live id at or after hash(key).
    chord::node* owner_of(const std::string& key) {
        auto v = live();
        auto kid = chord::hash_id(key, v.front()->routing().ring());
        for (auto* n : v)
            if (n->self().id >= kid) return n;
        return v.front();
    }

    std::size_t index_of(const chord::node* n) const {
        for (std::size_t i = 0; i < nodes.size(); ++i)
            if (nodes[i].get() == n) return i;
        throw std::logic_error("not a node of this ring");
    }
};

std::string key_of(int i) { return "key-" + std::to_string(i); }

} // namespace

TEST_CASE("eight nodes on sim:// datagrams form one ring with every successor and predecessor right", "[dht][node]") {
    sim_ring r(8);
    REQUIRE(r.settle());
    for (auto& n : r.nodes) CHECK(n->routing().state() == chord::node_state::joined);
}

TEST_CASE("a key put through one node is read back through every other node, and its owner holds it",
          "[dht][node]") {
    sim_ring r(8);
    REQUIRE(r.settle());
    for (int i = 0; i < 40; ++i) {
        auto v = r.net.run_task(r.host(i % 8), r.nodes[i % 8]->put(key_of(i), "value-" + std::to_string(i)), 30s);
        CHECK(v == 1);
    }
    for (int i = 0; i < 40; ++i) {
        std::size_t reader = (i * 3 + 1) % 8;
        auto got = r.net.run_task(r.host(reader), r.nodes[reader]->get(key_of(i)), 30s);
        REQUIRE(got);
        CHECK(*got->value == "value-" + std::to_string(i));
        CHECK(r.owner_of(key_of(i))->data().get(key_of(i)).has_value());
    }
    auto missing = r.net.run_task(r.host(2), r.nodes[2]->get("never-written"), 30s);
    CHECK_FALSE(missing);
}

TEST_CASE("overwrites bump the version and a delete leaves the key absent everywhere", "[dht][node]") {
    sim_ring r(5);
    REQUIRE(r.settle());
    CHECK(r.net.run_task(r.host(0), r.nodes[0]->put("k", "one"), 30s) == 1);
    CHECK(r.net.run_task(r.host(1), r.nodes[1]->put("k", "two"), 30s) == 2);
    auto got = r.net.run_task(r.host(2), r.nodes[2]->get("k"), 30s);
    REQUIRE(got);
    CHECK(*got->value == "two");
    CHECK(r.net.run_task(r.host(3), r.nodes[3]->del("k"), 30s));
    CHECK_FALSE(r.net.run_task(r.host(4), r.nodes[4]->del("k"), 30s));
    r.net.run_for(5s); // replication rounds carry the tombstone to the copies
    for (auto& n : r.nodes) CHECK_FALSE(n->data().get("k"));
    CHECK_FALSE(r.net.run_task(r.host(0), r.nodes[0]->get("k"), 30s));
}

TEST_CASE("each key is copied to its owner's successors, and survives the crash of its owner", "[dht][node]") {
    sim_ring r(8, 7);
    REQUIRE(r.settle());
    for (int i = 0; i < 30; ++i) r.net.run_task(r.host(0), r.nodes[0]->put(key_of(i), "v" + std::to_string(i)), 30s);
    r.net.run_for(3s); // a replication round
    for (int i = 0; i < 30; ++i) {
        int copies = 0;
        for (auto& n : r.nodes) copies += n->data().get(key_of(i)).has_value();
        CHECK(copies >= 3); // replicas = 3: the owner and two successors
    }
    // Crash the owner of key-0 (not node 0, which the test reads through).
    auto* victim = r.owner_of(key_of(0));
    if (victim == r.nodes[0].get()) victim = r.owner_of(key_of(1));
    REQUIRE(victim != r.nodes[0].get());
    auto vi = r.index_of(victim);
    r.net.run_task(r.host(vi), victim->crash(), 10s);
    r.host(vi).crash();
    REQUIRE(r.settle(180s));
    for (int i = 0; i < 30; ++i) {
        auto got = r.net.run_task(r.host(0), r.nodes[0]->get(key_of(i)), 60s);
        REQUIRE(got);
        CHECK(*got->value == "v" + std::to_string(i));
    }
}

TEST_CASE("a node restarted at its old address right after a crash rejoins once the ring forgets its earlier run",
          "[dht][node]") {
    sim_ring r(6, 17);
    REQUIRE(r.settle());
    auto& host = r.host(3);
    auto address = r.nodes[3]->self().address;
    r.net.run_task(host, r.nodes[3]->crash(), 10s);
    host.crash();
    host.restart();
    chord::node_options o;
    o.listen = "sim://" + address;
    o.seed = 99;
    r.nodes[3] = std::make_unique<chord::node>(host.get_executor(), o);
    r.nodes[3]->start();
    // At once: the others still list node 3's earlier run as a successor.
    r.net.run_task(host, r.nodes[3]->join(r.nodes[0]->self().address, 60s), 90s);
    CHECK(r.nodes[3]->self().address == address);
    REQUIRE(r.settle(180s));
    CHECK(r.live().size() == 6);
}

TEST_CASE("a node that leaves hands its keys to its successor, and one that joins takes over its share",
          "[dht][node]") {
    sim_ring r(4, 3);
    REQUIRE(r.settle());
    for (int i = 0; i < 30; ++i) r.net.run_task(r.host(0), r.nodes[0]->put(key_of(i), "v"), 30s);
    auto* leaving = r.nodes[2].get();
    auto owned = [](chord::node& n) {
        const auto& p = n.routing().predecessor();
        return p ? n.data().range(p->id, n.self().id).size() : n.data().size();
    };
    auto had = owned(*leaving);
    r.net.run_task(r.host(2), leaving->stop(), 10s);
    CHECK(leaving->counters().handed_over == had);
    REQUIRE(r.settle());
    for (int i = 0; i < 30; ++i) CHECK(r.net.run_task(r.host(1), r.nodes[1]->get(key_of(i)), 30s));

    auto& fresh = r.add();
    r.net.run_task(r.host(r.nodes.size() - 1), fresh.join(r.nodes[0]->self().address, 30s), 60s);
    REQUIRE(r.settle());
    r.net.run_for(2s);
    std::size_t should_own = 0;
    for (int i = 0; i < 30; ++i) should_own += r.owner_of(key_of(i)) == &fresh;
    CHECK(owned(fresh) == should_own);
    for (int i = 0; i < 30; ++i) CHECK(r.net.run_task(r.host(3), r.nodes[3]->get(key_of(i)), 30s));
}

TEST_CASE("malformed datagrams are counted and dropped, and the node goes on serving", "[dht][node]") {
    sim_ring r(3);
    REQUIRE(r.settle());
    r.net.run_task(r.host(0), r.nodes[0]->put("safe", "kept"), 30s);
    auto& attacker = r.net.add_node("attacker");
    auto sock = coronet::open_datagram(attacker.get_executor(), "sim://attacker:9");
    asio::ip::udp::endpoint to(r.host(1).address(), 7400);
    std::vector<std::string> junk = {
        std::string("\xD5\x09", 2),                                  // store magic, unknown op
        std::string("\xD5\x01\x00") + std::string(8, '\0') + "\xff\xff", // 65535 entries claimed, none present
        std::string("\x01\x63garbage", 9),                           // routing version, unknown type
        std::string(3000, '\x01'),
    };
    r.net.run_task(attacker, [](coronet::any_datagram& s, asio::ip::udp::endpoint to,
                                const std::vector<std::string>& junk) -> asio::awaitable<void> {
        for (const auto& j : junk) co_await s.async_send_to(asio::buffer(j), to, asio::use_awaitable);
    }(sock, to, junk));
    r.net.run_for(1s);
    CHECK(r.nodes[1]->counters().malformed == junk.size());
    auto got = r.net.run_task(r.host(1), r.nodes[1]->get("safe"), 30s);
    REQUIRE(got);
    CHECK(*got->value == "kept");
}

TEST_CASE("keys and values beyond the limits are refused before anything is sent", "[dht][node]") {
    sim_ring r(2);
    REQUIRE(r.settle());
    auto put_big = [&]() -> asio::awaitable<void> { co_await r.nodes[0]->put("k", std::string(20'000, 'x')); };
    CHECK_THROWS_AS(r.net.run_task(r.host(0), put_big(), 10s), chord::request_error);
    auto empty_key = [&]() -> asio::awaitable<void> { co_await r.nodes[0]->get(""); };
    CHECK_THROWS_AS(r.net.run_task(r.host(0), empty_key(), 10s), chord::request_error);
}

TEST_CASE("store messages round-trip through the codec and truncated or lying ones are refused", "[dht][codec]") {
    chord::store_message m;
    m.op = chord::store_op::replicate;
    m.rpc_id = 42;
    m.entries = {{"a", std::string("1"), 3}, {"b", std::nullopt, 9}};
    auto bytes = chord::encode(m);
    CHECK(chord::is_store_message(bytes));
    CHECK(chord::decode_store_message(bytes) == m);
    for (std::size_t cut = 0; cut < bytes.size(); ++cut)
        CHECK_THROWS_AS(chord::decode_store_message(bytes.substr(0, cut)), chord::codec_error);
    CHECK_THROWS_AS(chord::decode_store_message(bytes + "x"), chord::codec_error);
    chord::store_limits tight;
    tight.key_bytes_max = 0;
    CHECK_THROWS_AS(chord::decode_store_message(bytes, tight), chord::codec_error);
    auto lying = bytes;
    lying[11] = '\xff'; // entry count low byte: 255 entries claimed
    CHECK_THROWS_AS(chord::decode_store_message(lying), chord::codec_error);
}

TEST_CASE("the HTTP API puts, gets, deletes, looks keys up and serves metrics on a loopback UDP ring of three",
          "[dht][http]") {
    asio::io_context ctx;
    std::vector<std::unique_ptr<chord::node>> nodes;
    for (int i = 0; i < 3; ++i) {
        chord::node_options o;
        o.tick = 20ms;
        nodes.push_back(std::make_unique<chord::node>(ctx.get_executor(), o));
        nodes.back()->start();
    }
    nodes[0]->create();
    chord::http_api api(*nodes[1]);
    coronet::metrics_registry metrics;
    chord::register_metrics(metrics, *nodes[1]);
    coronet::http::server_options ho;
    ho.metrics = &metrics;
    coronet::http::server server(ctx.get_executor(), {asio::ip::address_v4::loopback(), 0},
                                 [&api](const coronet::http::request& r) { return api.handle(r); }, ho);
    server.start();
    std::string url = server.url();
    bool joined = false;
    asio::co_spawn(ctx, [&]() -> asio::awaitable<void> {
        for (int i = 1; i < 3; ++i) co_await nodes[i]->join(nodes[0]->self().address, 10s);
        joined = true;
    }, asio::detached);
    std::thread io([&] { ctx.run_for(60s); });
    // The client blocks, so the ring runs on its own thread meanwhile; the
    // test only reads what the API returns.
    for (int i = 0; i < 500 && !joined; ++i) std::this_thread::sleep_for(10ms);
    REQUIRE(joined);
    coronet::http::blocking_client c(url, 10s);
    auto put = c.request(boost::beast::http::verb::put, "/v1/kv/greeting", "hello");
    CHECK(put.status == 200);
    auto get = c.request(boost::beast::http::verb::get, "/v1/kv/greeting");
    CHECK(get.status == 200);
    CHECK(get.body.find("\"value\":\"hello\"") != std::string::npos);
    auto raw = c.request(boost::beast::http::verb::get, "/v1/kv/greeting?raw=1");
    CHECK(raw.body == "hello");
    auto look = c.request(boost::beast::http::verb::get, "/v1/lookup/greeting?style=iterative");
    CHECK(look.status == 200);
    CHECK(look.body.find("\"owner\"") != std::string::npos);
    CHECK(c.request(boost::beast::http::verb::get, "/v1/lookup/greeting?style=sideways").status == 400);
    auto status = c.request(boost::beast::http::verb::get, "/v1/status");
    CHECK(status.body.find("\"state\":\"joined\"") != std::string::npos);
    CHECK(c.request(boost::beast::http::verb::delete_, "/v1/kv/greeting").status == 200);
    CHECK(c.request(boost::beast::http::verb::get, "/v1/kv/greeting").status == 404);
    CHECK(c.request(boost::beast::http::verb::post, "/v1/kv/greeting", "x").status == 405);
    auto scraped = c.request(boost::beast::http::verb::get, "/metrics");
    CHECK(scraped.status == 200);
    CHECK(scraped.body.find("# TYPE coronet_chord_lookups_answered_total counter") != std::string::npos);
    CHECK(scraped.body.find("\ncoronet_chord_joined 1\n") != std::string::npos);
    auto successors = scraped.body.find("\ncoronet_chord_successors ");
    REQUIRE(successors != std::string::npos);
    CHECK(std::stoul(scraped.body.substr(successors + 26)) >= 1); // the list fills up over stabilization rounds
    // The put, the gets, the lookup and the delete each looked up an owner.
    auto answered = scraped.body.find("\ncoronet_chord_lookups_answered_total ");
    REQUIRE(answered != std::string::npos);
    CHECK(std::stoul(scraped.body.substr(answered + 38)) >= 5);
    asio::post(ctx, [&] {
        asio::co_spawn(ctx, [&]() -> asio::awaitable<void> {
            co_await server.stop();
            for (auto& n : nodes) co_await n->stop();
            ctx.stop();
        }, asio::detached);
    });
    io.join();
    for (auto& n : nodes) CHECK(n->stopped());
}

TEST_CASE("two rings left by a long partition merge back into one after it heals", "[dht][node][partition]") {
    sim_ring r(8, 5);
    REQUIRE(r.settle());
    for (int i = 0; i < 20; ++i) r.net.run_task(r.host(0), r.nodes[0]->put(key_of(i), "v" + std::to_string(i)), 30s);
    r.net.partition({{"n0", "n1", "n2", "n3"}, {"n4", "n5", "n6", "n7"}});
    // Long past failure detection and the suspects' memory: each side forgets
    // the other and closes into a ring of its own.
    r.net.run_for(60s);
    auto first_half = [&](const std::string& address) {
        for (std::size_t i = 0; i < 4; ++i)
            if (r.nodes[i]->self().address == address) return true;
        return false;
    };
    for (std::size_t i = 0; i < 8; ++i) // each side closed into its own ring
        CHECK(first_half(r.nodes[i]->routing().successor().address) == (i < 4));
    r.net.heal();
    REQUIRE(r.settle(300s));
    for (int i = 0; i < 20; ++i) {
        auto got = r.net.run_task(r.host(5), r.nodes[5]->get(key_of(i)), 30s);
        REQUIRE(got);
        CHECK(*got->value == "v" + std::to_string(i));
    }
}
