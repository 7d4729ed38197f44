// Raft nodes talking over stream_transport on sim:// (virtual time, the real
// transport code): a cluster elects a leader and commits, a peer sending
// garbage is cut off alone, and a peer that goes away has its queue bounded
// and is reconnected when it returns.
#include "consensus/kv_fixtures.hpp"

#include <coronet/consensus/kv/service.hpp>
#include <coronet/consensus/raft/stable_store.hpp>
#include <coronet/consensus/raft/stream_transport.hpp>
#include <coronet/transports/endpoint.hpp>
#include <coronet/transports/sim/network.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <catch2/catch.hpp>

#include <array>

using namespace coronet;
using namespace coronet::consensus;
using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

/// What a raft::node sends through: the member's current stream_transport,
/// or nothing while it is down (the node outlives its transports).
struct socket_slot final : raft::transport {
    raft::transport* to = nullptr;
    void send(const raft::message& m) override {
        if (to) to->send(m);
    }
};

struct member {
    std::unique_ptr<kv::store> store = std::make_unique<kv::store>();
    raft::memory_stable_store stable;
    socket_slot slot;
    std::unique_ptr<raft::stream_transport> transport;
    std::unique_ptr<raft::node> node;
};

/// Three raft::node on three sim hosts, each with a stream_transport.
struct stream_cluster {
    explicit stream_cluster(raft::stream_transport_options o = {}) : options(o) {
        for (raft::node_id id = 1; id <= 3; ++id) {
            auto name = "r" + std::to_string(id);
            hosts.push_back(&net.add_node(name));
            urls[id] = "sim://" + name + ":7000";
        }
        for (raft::node_id id = 1; id <= 3; ++id) {
            auto& m = members[id - 1];
            raft::node_options no;
            no.raft.id = id;
            no.raft.voters = {1, 2, 3};
            no.raft.seed = 7 * id;
            no.snapshot_every = 20;
            m.node = std::make_unique<raft::node>(hosts[id - 1]->get_executor(), no, *m.store, m.slot, m.stable);
            bring_up(id);
            m.node->start();
        }
    }
    ~stream_cluster() {
        for (auto& m : members) m.node->stop();
        for (raft::node_id id = 1; id <= 3; ++id) take_down(id);
        net.run_for(10ms);
    }
    /// A new transport for `id`, listening on its URL.
    void bring_up(raft::node_id id) {
        auto& m = members[id - 1];
        m.transport = std::make_unique<raft::stream_transport>(hosts[id - 1]->get_executor(), id, urls, options);
        auto* n = m.node.get();
        m.transport->start(urls[id], [n](const raft::message& msg) { n->receive(msg); });
        m.slot.to = m.transport.get();
    }
    /// Stops `id`'s transport: its listener and connections close.
    void take_down(raft::node_id id) {
        auto& m = members[id - 1];
        if (!m.transport) return;
        m.slot.to = nullptr;
        net.run_task(*hosts[id - 1], m.transport->stop(), 10s);
        m.transport.reset();
    }
    raft::node_id leader() const {
        raft::node_id best = 0;
        raft::term_t term = 0;
        for (auto& m : members)
            if (m.node->raft().role() == raft::role::leader && m.node->raft().term() >= term) {
                best = m.node->raft().id();
                term = m.node->raft().term();
            }
        return best;
    }
    raft::node_id wait_leader() {
        net.run_until([this] { return leader() != 0; }, 20s);
        return leader();
    }
    bool all_have(std::string_view key) const {
        for (auto& m : members)
            if (!m.store->get(key)) return false;
        return true;
    }
    /// Puts k<first>..k<last-1> through the leader; true if all were acknowledged.
    bool put_keys(int first, int last) {
        auto id = wait_leader();
        if (id == 0) return false;
        kv::service svc(*members[id - 1].node, *members[id - 1].store, 100 + static_cast<std::uint64_t>(first));
        return net.run_task(*hosts[id - 1], put_all(svc, first, last), 60s);
    }
    static asio::awaitable<bool> put_all(kv::service& svc, int first, int last) {
        for (int i = first; i < last; ++i) {
            std::string key = "k" + std::to_string(i);
            std::string value = std::to_string(i);
            auto r = co_await svc.put(key, value);
            if (r.code != kv::status::ok) co_return false;
        }
        co_return true;
    }

    raft::stream_transport_options options;
    sim::network net;
    std::vector<sim::node*> hosts;
    std::map<raft::node_id, std::string> urls;
    std::array<member, 3> members;
};

/// Connects to `url`, writes `bytes`, and reports whether the other side then
/// closed the connection.
asio::awaitable<bool> send_and_see_closed(const std::string& url, const std::string& bytes) {
    auto s = co_await coronet::connect(url);
    auto [wec, written] = co_await asio::async_write(s, asio::buffer(bytes), asio::as_tuple(asio::use_awaitable));
    if (wec) co_return true;
    std::array<char, 64> buf{};
    auto [ec, n] = co_await s.async_read_some(asio::buffer(buf), any_stream::awaitable_result_t{});
    co_return static_cast<bool>(ec);
}

std::string frame_of(std::string body) {
    std::string f(4, '\0');
    for (int i = 0; i < 4; ++i) f[static_cast<std::size_t>(i)] = static_cast<char>((body.size() >> (8 * i)) & 0xff);
    return f + body;
}

} // namespace

TEST_CASE("three Raft nodes over stream_transport on sim:// elect a leader and commit proposals",
          "[consensus][raft][transport]") {
    stream_cluster c;
    REQUIRE(c.wait_leader() != 0);
    REQUIRE(c.put_keys(0, 30));
    CHECK(c.net.run_until([&] { return c.all_have("k29"); }, 10s));
    for (auto& m : c.members) {
        const auto& s = m.transport->stats();
        CHECK(s.sent > 0);
        CHECK(s.received > 0);
        CHECK(s.malformed == 0);
        CHECK(s.connects >= 1); // opened on first use
    }
}

TEST_CASE("a peer sending a malformed raft frame is disconnected while the cluster keeps working",
          "[consensus][raft][transport]") {
    stream_cluster c;
    REQUIRE(c.wait_leader() != 0);
    auto& evil = c.net.add_node("evil");
    std::string url = c.urls[1];
    // A frame whose body is not a message, and a length prefix beyond the frame limit.
    std::string garbage = frame_of(std::string(20, '\xee'));
    std::string huge = "\xff\xff\xff\xff";
    CHECK(c.net.run_task(evil, send_and_see_closed(url, garbage), 5s));
    CHECK(c.net.run_task(evil, send_and_see_closed(url, huge), 5s));
    CHECK(c.members[0].transport->stats().malformed == 2);
    REQUIRE(c.put_keys(0, 10));
    CHECK(c.net.run_until([&] { return c.all_have("k9"); }, 10s));
}

TEST_CASE("a silent inbound raft connection is closed after the idle timeout", "[consensus][raft][transport]") {
    raft::stream_transport_options o;
    o.idle_timeout = 2s;
    stream_cluster c(o);
    REQUIRE(c.wait_leader() != 0);
    auto& quiet = c.net.add_node("quiet");
    std::string url = c.urls[1];
    std::string nothing;
    auto before = c.members[0].transport->stats().timeouts;
    auto start = c.net.now();
    CHECK(c.net.run_task(quiet, send_and_see_closed(url, nothing), 5s));
    CHECK(c.net.now() - start >= 2s);
    CHECK(c.members[0].transport->stats().timeouts > before);
    // Connections between Raft peers are closed when silent too, and reopened on use.
    REQUIRE(c.put_keys(0, 5));
    CHECK(c.net.run_until([&] { return c.all_have("k4"); }, 10s));
}

TEST_CASE("a raft peer that is down has a bounded queue with drops counted, and is reconnected when it returns",
          "[consensus][raft][transport]") {
    raft::stream_transport_options o;
    o.queue_msgs_max = 8;
    stream_cluster c(o);
    auto leader = c.wait_leader();
    REQUIRE(leader != 0);
    REQUIRE(c.put_keys(0, 5));
    raft::node_id down = leader == 3 ? 2 : 3;
    c.take_down(down);
    REQUIRE(c.put_keys(5, 40)); // the other two still make a majority
    c.net.run_for(2s);
    leader = c.leader();
    REQUIRE(leader != 0);
    REQUIRE(leader != down);
    const auto& t = *c.members[leader - 1].transport;
    CHECK(t.queued(down) <= 8);
    CHECK(t.stats().dropped > 0);
    CHECK(t.stats().connect_failures > 0);
    CHECK_FALSE(t.connected(down));
    auto reconnects = t.stats().reconnects;

    c.bring_up(down);
    CHECK(c.net.run_until([&] { return c.all_have("k39"); }, 20s));
    CHECK(c.members[leader - 1].transport->stats().reconnects > reconnects);
    CHECK(c.members[leader - 1].transport->connected(down));
}

namespace {

raft::message sample_message() {
    raft::message m;
    m.type = raft::message_type::snapshot;
    m.from = 1;
    m.to = 2;
    m.term = 4;
    m.snapshot = raft::snapshot{};
    m.snapshot->metadata.index = 10;
    m.snapshot->metadata.term = 3;
    m.snapshot->metadata.members.voters = {1, 2};
    m.snapshot->data = std::string(100'000, 's'); // spans several reads
    return m;
}

} // namespace

TEST_CASE("stream_transport carries raft messages over tcp loopback to a peer added after start",
          "[consensus][raft][transport]") {
    asio::io_context ctx;
    std::vector<raft::message> got;
    raft::stream_transport a(ctx.get_executor(), 1, {});
    raft::stream_transport b(ctx.get_executor(), 2, {});
    a.start("tcp://127.0.0.1:0", [](const raft::message&) {});
    b.start("tcp://127.0.0.1:0", [&got](const raft::message& m) { got.push_back(m); });
    a.send(sample_message()); // no such peer yet: dropped
    CHECK(a.stats().dropped == 1);
    a.add_peer(2, b.url());
    auto m = sample_message();
    for (int i = 0; i < 3; ++i) {
        m.index = static_cast<raft::index_t>(i);
        a.send(m);
    }
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (got.size() < 3 && std::chrono::steady_clock::now() < deadline) ctx.run_one_for(100ms);
    REQUIRE(got.size() == 3);
    for (int i = 0; i < 3; ++i) {
        m.index = static_cast<raft::index_t>(i);
        CHECK(got[static_cast<std::size_t>(i)] == m);
    }
    CHECK(a.stats().sent == 3);
    CHECK(b.stats().received == 3);
    CHECK(a.connected(2));

    a.remove_peer(2);
    a.send(m);
    CHECK(a.stats().dropped == 2);
    CHECK_FALSE(a.connected(2));

    bool stopped = false;
    asio::co_spawn(
        ctx,
        [](raft::stream_transport& a, raft::stream_transport& b) -> asio::awaitable<void> {
            co_await a.stop();
            co_await b.stop();
        }(a, b),
        [&stopped](std::exception_ptr e) {
            if (e) std::rethrow_exception(e);
            stopped = true;
        });
    deadline = std::chrono::steady_clock::now() + 5s;
    while (!stopped && std::chrono::steady_clock::now() < deadline) ctx.run_one_for(100ms);
    CHECK(stopped);
    a.send(m); // after stop: dropped, never throws
    CHECK(a.stats().dropped == 3);
}
