#include "sim_support.hpp"

#include <coronet/timer.hpp>
#include <coronet/transports/endpoint.hpp>
#include <coronet/transports/sim/datagram.hpp>
#include <coronet/transports/sim/stream.hpp>
#include <coronet/transports/sim/topology.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>

#include <cmath>
#include <set>

using namespace coronet;
using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

/// A small cluster doing a bit of everything: datagrams, a stream, timers,
/// with loss, jitter and duplication. Returns the trace hash.
std::uint64_t busy_cluster_run(std::uint64_t seed) {
    sim::network_options o;
    o.seed = seed;
    o.link.jitter = 2ms;
    o.link.loss = 0.1;
    o.link.duplicate = 0.05;
    sim::network net(o);
    net.add_nodes(4);
    for (sim::node_index i = 0; i < 4; ++i) {
        net.at(i).spawn([](sim::network& net, sim::node& self) -> asio::awaitable<void> {
            sim::datagram_socket sock(self.get_executor(), 9);
            timer t(self.get_executor(), self.clock());
            for (int round = 0; round < 20; ++round) {
                for (sim::node_index j = 0; j < net.size(); ++j) {
                    if (j == self.index()) continue;
                    std::array<char, 8> m{};
                    co_await sock.async_send_to(asio::buffer(m), {net.at(j).address(), 9}, asio::use_awaitable);
                }
                t.expires_after(std::chrono::milliseconds(1 + net.uniform(5)), self.clock());
                co_await t.async_wait();
            }
        }(net, net.at(i)));
    }
    sim::listener l(net.at(0).get_executor(), 80);
    net.at(0).spawn([](sim::listener& l) -> asio::awaitable<void> {
        auto s = co_await l.async_accept();
        std::vector<char> buf(1000);
        co_await asio::async_read(s, asio::buffer(buf), asio::use_awaitable);
    }(l));
    net.at(1).spawn([](sim::node& self, asio::ip::tcp::endpoint to) -> asio::awaitable<void> {
        sim::stream s(self.get_executor());
        co_await s.async_connect(to);
        std::vector<char> buf(1000, 'x');
        co_await asio::async_write(s, asio::buffer(buf), asio::use_awaitable);
    }(net.at(1), l.local_endpoint()));
    net.run_for(1min);
    return net.trace_hash();
}

} // namespace

TEST_CASE("the same seed gives the same event trace and another seed a different one", "[sim][determinism]") {
    auto seed = sim::seed_from_env(42);
    INFO(test::replay_command(seed));
    auto first = busy_cluster_run(seed);
    CHECK(busy_cluster_run(seed) == first);
    CHECK(busy_cluster_run(seed + 1) != first);
}

TEST_CASE("virtual time jumps to the next event: ten virtual minutes of a 5-node heartbeat run at once",
          "[sim][time]") {
    std::vector<int> beats(5, 0);
    sim::network net;
    net.add_nodes(5);
    for (sim::node_index i = 0; i < 5; ++i)
        net.at(i).spawn([](sim::node& self, int& count) -> asio::awaitable<void> {
            timer t(self.get_executor(), self.clock()); // the clock of the node's executor
            for (;;) {
                t.expires_after(100ms, self.clock());
                co_await t.async_wait();
                ++count;
            }
        }(net.at(i), beats[i]));
    net.run_for(10min);
    CHECK(net.elapsed() == 10min);
    for (int b : beats) CHECK(b == 6000);
    // Code that asks its executor for a clock gets the virtual one.
    CHECK(&clock_of(net.at(0).get_executor()) == &net.clock());
}

TEST_CASE("a symmetric partition blocks exactly the pairs across groups, and healing restores them",
          "[sim][partition]") {
    sim::network net;
    net.add_nodes(5);
    auto delivered = [&] {
        // Which ordered pairs can exchange a datagram right now?
        std::set<std::pair<int, int>> got;
        std::vector<std::unique_ptr<sim::datagram_socket>> socks;
        for (sim::node_index i = 0; i < 5; ++i)
            socks.push_back(std::make_unique<sim::datagram_socket>(net.at(i).get_executor(), 5));
        for (sim::node_index i = 0; i < 5; ++i) {
            net.at(i).spawn([](sim::datagram_socket& s, std::set<std::pair<int, int>>& got, int me) -> asio::awaitable<void> {
                for (;;) {
                    std::array<char, 1> b;
                    asio::ip::udp::endpoint from;
                    co_await s.async_receive_from(asio::buffer(b), from, asio::use_awaitable);
                    got.insert({b[0], me});
                }
            }(*socks[i], got, static_cast<int>(i)));
            for (sim::node_index j = 0; j < 5; ++j)
                if (i != j)
                    net.at(i).spawn([](sim::datagram_socket& s, asio::ip::udp::endpoint to, char me) -> asio::awaitable<void> {
                        std::array<char, 1> b{me};
                        co_await s.async_send_to(asio::buffer(b), to, asio::use_awaitable);
                    }(*socks[i], {net.at(j).address(), 5}, static_cast<char>(i)));
        }
        net.run_for(1s);
        for (auto& s : socks) s->close();
        net.run();
        return got;
    };
    net.partition({{"n0", "n1"}, {"n2", "n3"}}); // n4 is in no group: a group of its own
    auto got = delivered();
    auto group = [](int n) { return n <= 1 ? 0 : n <= 3 ? 1 : 2; };
    for (int i = 0; i < 5; ++i)
        for (int j = 0; j < 5; ++j)
            if (i != j) {
                INFO(i << " -> " << j);
                CHECK(got.contains({i, j}) == (group(i) == group(j)));
            }
    net.heal();
    CHECK(delivered().size() == 20);
}

TEST_CASE("a one-way partition blocks one direction only", "[sim][partition]") {
    sim::network net;
    auto& a = net.add_node("a");
    auto& b = net.add_node("b");
    net.block(a, b);
    CHECK(net.blocked(a, b));
    CHECK_FALSE(net.blocked(b, a));
    sim::datagram_socket sa(a.get_executor(), 1), sb(b.get_executor(), 1);
    int at_a = 0, at_b = 0;
    auto receiver = [](sim::datagram_socket& s, int& count) -> asio::awaitable<void> {
        for (;;) {
            std::array<char, 4> buf;
            asio::ip::udp::endpoint from;
            co_await s.async_receive_from(asio::buffer(buf), from, asio::use_awaitable);
            ++count;
        }
    };
    a.spawn(receiver(sa, at_a));
    b.spawn(receiver(sb, at_b));
    auto sender = [](sim::datagram_socket& s, asio::ip::udp::endpoint to) -> asio::awaitable<void> {
        for (int i = 0; i < 10; ++i) co_await s.async_send_to(asio::buffer("ping", 4), to, asio::use_awaitable);
    };
    a.spawn(sender(sa, sb.local_endpoint()));
    b.spawn(sender(sb, sa.local_endpoint()));
    net.run_for(1s);
    CHECK(at_b == 0);
    CHECK(at_a == 10);
    net.unblock(a, b);
    a.spawn(sender(sa, sb.local_endpoint()));
    net.run_for(1s);
    CHECK(at_b == 10);
}

TEST_CASE("datagram loss and duplication rates stay within statistical bounds of the link model", "[sim][datagram]") {
    auto seed = sim::seed_from_env(7);
    INFO(test::replay_command(seed));
    sim::network_options o;
    o.seed = seed;
    o.link.loss = 0.2;
    o.link.duplicate = 0.1;
    o.link.jitter = 1ms;
    sim::network net(o);
    auto& a = net.add_node("a");
    auto& b = net.add_node("b");
    constexpr int sent = 20000;
    sim::datagram_socket sa(a.get_executor(), 1), sb(b.get_executor(), 1);
    int received = 0;
    std::set<int> distinct;
    b.spawn([](sim::datagram_socket& s, int& received, std::set<int>& distinct) -> asio::awaitable<void> {
        for (;;) {
            int v = 0;
            asio::ip::udp::endpoint from;
            co_await s.async_receive_from(asio::buffer(&v, sizeof v), from, asio::use_awaitable);
            ++received;
            distinct.insert(v);
        }
    }(sb, received, distinct));
    a.spawn([](sim::datagram_socket& s, asio::ip::udp::endpoint to, sim::node& self) -> asio::awaitable<void> {
        timer t(self.get_executor(), self.clock());
        for (int i = 0; i < sent; ++i) {
            co_await s.async_send_to(asio::buffer(&i, sizeof i), to, asio::use_awaitable);
            if (i % 100 == 99) { // pace below the receive queue
                t.expires_after(10ms, self.clock());
                co_await t.async_wait();
            }
        }
    }(sa, sb.local_endpoint(), a));
    net.run();
    // Binomial bounds at 5 sigma.
    auto within = [](double observed, double n, double p) {
        return std::abs(observed - n * p) <= 5 * std::sqrt(n * p * (1 - p));
    };
    CHECK(within(static_cast<double>(net.stats().packets_lost), sent, 0.2));
    CHECK(within(static_cast<double>(net.stats().packets_duplicated), sent * 0.8, 0.1));
    CHECK(within(static_cast<double>(sent - distinct.size()), sent, 0.2));
    CHECK(received == static_cast<int>(net.stats().packets_delivered));
    CHECK(received > static_cast<int>(distinct.size())); // duplicates reached the application
}

TEST_CASE("datagrams keep their boundaries and oversize ones fail with message_size on sim://", "[sim][datagram]") {
    sim::network_options o;
    o.link.mtu = 1400;
    sim::network net(o);
    auto& a = net.add_node("a");
    auto& b = net.add_node("b");
    auto sa = open_datagram(a.get_executor(), "sim://a:0");
    auto sb = open_datagram(b.get_executor(), "sim://b:4000");
    CHECK(sb.local_endpoint() == asio::ip::udp::endpoint(b.address(), 4000));
    boost::system::error_code oversize;
    a.spawn([](any_datagram& s, asio::ip::udp::endpoint to, boost::system::error_code& oversize) -> asio::awaitable<void> {
        std::vector<char> big(1401, 'x');
        auto [ec, n] = co_await s.async_send_to(asio::buffer(big), to, asio::as_tuple(asio::use_awaitable));
        oversize = ec;
        co_await s.async_send_to(asio::buffer("abc", 3), to, asio::use_awaitable);
        co_await s.async_send_to(asio::buffer("defgh", 5), to, asio::use_awaitable);
    }(sa, sb.local_endpoint(), oversize));
    net.run_task(b, [](any_datagram& sb, asio::ip::udp::endpoint sender) -> asio::awaitable<void> {
        std::array<char, 16> buf;
        asio::ip::udp::endpoint from;
        auto n = co_await sb.async_receive_from(asio::buffer(buf), from, asio::use_awaitable);
        CHECK(n == 3);
        CHECK(from == sender);
        std::array<char, 2> small;
        auto [ec, n2] = co_await sb.async_receive_from(asio::buffer(small), from, asio::as_tuple(asio::use_awaitable));
        CHECK(ec == asio::error::message_size); // never silently truncated
        CHECK(n2 == 2);
    }(sb, sa.local_endpoint()));
    CHECK(oversize == asio::error::message_size);
}

TEST_CASE("a paused node stalls: packets wait in its buffers and its timers fire late, then it catches up",
          "[sim][pause]") {
    sim::network net;
    auto& a = net.add_node("a");
    auto& b = net.add_node("b");
    sim::datagram_socket sb(b.get_executor(), 1);
    std::vector<duration> arrivals;
    b.spawn([](sim::network& net, sim::datagram_socket& s, std::vector<duration>& at) -> asio::awaitable<void> {
        for (;;) {
            std::array<char, 1> buf;
            asio::ip::udp::endpoint from;
            co_await s.async_receive_from(asio::buffer(buf), from, asio::use_awaitable);
            at.push_back(net.elapsed());
        }
    }(net, sb, arrivals));
    duration woke{};
    b.spawn([](sim::network& net, sim::node& self, duration& woke) -> asio::awaitable<void> {
        timer t(self.get_executor(), self.clock());
        t.expires_after(1s, self.clock());
        co_await t.async_wait();
        woke = net.elapsed();
    }(net, b, woke));
    net.run_for(0s); // both tasks start and wait
    b.pause_for(5s);
    a.spawn([](sim::node& a, asio::ip::udp::endpoint to) -> asio::awaitable<void> {
        sim::datagram_socket s(a.get_executor(), 0);
        co_await s.async_send_to(asio::buffer("x", 1), to, asio::use_awaitable);
    }(a, sb.local_endpoint()));
    net.run_for(10s);
    REQUIRE(arrivals.size() == 1);
    CHECK(arrivals[0] == 5s); // arrived at 1 ms, handled when the pause ended
    CHECK(woke == 5s);        // due at 1 s, ran at 5 s
    CHECK_FALSE(b.paused());
}

TEST_CASE("a crash cancels the node's tasks and restart runs its start function in a new process",
          "[sim][crash]") {
    int starts = 0, cancelled = 0; // outlive the network, whose shutdown cancels the task
    sim::network net;
    auto& n = net.add_node("n");
    n.on_start([&](sim::node& self) -> asio::awaitable<void> {
        ++starts;
        timer t(self.get_executor(), self.clock());
        t.expires_after(1h, self.clock());
        try {
            co_await t.async_wait();
        } catch (const boost::system::system_error&) {
            ++cancelled;
            throw;
        }
    });
    net.run_for(1s);
    CHECK(starts == 1);
    auto old = n.get_executor();
    n.crash();
    net.run_for(1s);
    CHECK(cancelled == 1);
    CHECK_FALSE(n.up());
    CHECK_THROWS_AS(n.spawn([]() -> asio::awaitable<void> { co_return; }()), std::logic_error);
    n.restart();
    CHECK(n.up());
    CHECK(n.incarnation() == 2);
    CHECK(n.get_executor() != old);
    net.run_for(1s);
    CHECK(starts == 2);
    // The dead process's executor can no longer open sockets.
    CHECK_THROWS(sim::listener(old, 1));
}

TEST_CASE("a crash keeps only what was fsynced on the node's disk", "[sim][disk]") {
    sim::network net;
    auto& n = net.add_node("n");
    auto bytes = [](std::string_view s) { return std::as_bytes(std::span(s.data(), s.size())); };
    net.run_task(n, [](sim::node& n, decltype(bytes) b) -> asio::awaitable<void> {
        n.disk().append("log", b("synced;"));
        co_await n.disk().fsync("log");
        n.disk().append("log", b("lost"));
        n.disk().write("other", 0, b("never synced"));
    }(n, bytes));
    CHECK(n.disk().read("log").size() == 11);
    CHECK(n.disk().fsyncs() == 1);
    n.crash();
    n.restart();
    auto log = n.disk().read("log");
    CHECK(std::string(reinterpret_cast<const char*>(log.data()), log.size()) == "synced;");
    CHECK_FALSE(n.disk().exists("other"));
}

TEST_CASE("an fsync interrupted by a crash makes nothing durable", "[sim][disk]") {
    sim::network net;
    auto& n = net.add_node("n");
    n.spawn([](sim::node& n) -> asio::awaitable<void> {
        std::array<std::byte, 3> data{};
        n.disk().append("f", data);
        co_await n.disk().fsync("f");
    }(n));
    net.run_for(1ms); // fsync takes 2 ms
    n.crash();
    net.run();
    n.restart();
    CHECK_FALSE(n.disk().exists("f"));
}

TEST_CASE("torn writes on crash keep an in-order prefix of the unsynced writes", "[sim][disk]") {
    for (auto seed : test::test_seeds(100, 30)) {
        INFO(test::replay_command(seed));
        sim::network_options o;
        o.seed = seed;
        sim::network net(o);
        auto& n = net.add_node("n");
        n.disk().options().tear_on_crash = true;
        std::string full;
        net.run_task(n, [](sim::node& n, std::string& full) -> asio::awaitable<void> {
            for (int i = 0; i < 5; ++i) {
                std::string rec = "record" + std::to_string(i) + ";";
                full += rec;
                n.disk().append("wal", std::as_bytes(std::span(rec.data(), rec.size())));
                if (i == 1) co_await n.disk().fsync("wal");
            }
        }(n, full));
        n.crash();
        auto kept = n.disk().read("wal");
        std::string s(reinterpret_cast<const char*>(kept.data()), kept.size());
        CHECK(s.size() >= std::string("record0;record1;").size()); // the fsynced part survives
        CHECK(full.starts_with(s));                                   // the rest is a prefix, maybe torn
    }
}

TEST_CASE("a task that fails on a node stops the run and names the node", "[sim][errors]") {
    sim::network net;
    auto& n = net.add_node("worker-3");
    n.spawn([]() -> asio::awaitable<void> {
        throw std::runtime_error("boom");
        co_return;
    }());
    CHECK_THROWS_WITH(net.run(), Catch::Contains("worker-3") && Catch::Contains("boom"));
}

TEST_CASE("bad link models and node names are rejected with a clear message", "[sim][errors]") {
    sim::network_options o;
    o.link.loss = 1.5;
    CHECK_THROWS_WITH(sim::network(o), Catch::Contains("loss must be in [0, 1]"));
    sim::network net;
    net.add_node("a");
    CHECK_THROWS_WITH(net.add_node("a"), Catch::Contains("already exists"));
    CHECK_THROWS_WITH(net.add_node("bad name"), Catch::Contains("letters, digits"));
    CHECK_THROWS_WITH(net["zz"], Catch::Contains("no node named 'zz'"));
}

TEST_CASE("on a topology, packets travel hop by hop: latency and hop counts follow the graph", "[sim][topology]") {
    sim::network_options o;
    o.link.latency = 1ms;
    sim::network net(o);
    net.add_nodes(8);
    net.lay_on(sim::ring(8));
    // n0 -> n4 is 4 hops on a ring of 8.
    auto took = net.run_task(net.at(4), [](sim::network& net) -> asio::awaitable<duration> {
        sim::datagram_socket rx(net.at(4).get_executor(), 1);
        net.at(0).spawn([](sim::node& from, asio::ip::udp::endpoint to) -> asio::awaitable<void> {
            sim::datagram_socket tx(from.get_executor(), 0);
            co_await tx.async_send_to(asio::buffer("x", 1), to, asio::use_awaitable);
        }(net.at(0), rx.local_endpoint()));
        auto t0 = net.now();
        std::array<char, 1> b;
        asio::ip::udp::endpoint from;
        co_await rx.async_receive_from(asio::buffer(b), from, asio::use_awaitable);
        co_return net.now() - t0;
    }(net));
    CHECK(took == 4ms);
    CHECK(net.stats().hops == 4);
    // Cutting one link of the route loses the packet (static routing).
    net.block(net.at(1), net.at(2));
    CHECK(net.blocked(net.at(1), net.at(2)));
}

TEST_CASE("jitter follows its configured distribution: uniform, exponential or half-normal means", "[sim][latency]") {
    using shape = sim::link_model::shape;
    auto [s, expected_mean_ms] = GENERATE(table<shape, double>({
        {shape::uniform, 5.0},                         // U[0, 10]
        {shape::exponential, 10.0},                    // mean = scale
        {shape::normal, 10.0 * 0.7978845608028654},    // |N(0, 10)|: sqrt(2/pi) * 10
    }));
    auto seed = sim::seed_from_env(3);
    INFO(test::replay_command(seed) << ", shape " << static_cast<int>(s));
    sim::network_options o;
    o.seed = seed;
    o.link.latency = 2ms;
    o.link.jitter = 10ms;
    o.link.jitter_shape = s;
    sim::network net(o);
    auto& a = net.add_node("a");
    auto& b = net.add_node("b");
    constexpr int samples = 4000;
    std::vector<double> delays;
    sim::datagram_socket rx(b.get_executor(), 1);
    b.spawn([](sim::network& net, sim::datagram_socket& rx, std::vector<double>& delays) -> asio::awaitable<void> {
        for (;;) {
            std::int64_t sent_ns = 0;
            asio::ip::udp::endpoint from;
            co_await rx.async_receive_from(asio::buffer(&sent_ns, sizeof sent_ns), from, asio::use_awaitable);
            delays.push_back(static_cast<double>((net.now().time_since_epoch().count() - sent_ns)) / 1e6);
        }
    }(net, rx, delays));
    a.spawn([](sim::network& net, sim::node& a, asio::ip::udp::endpoint to) -> asio::awaitable<void> {
        sim::datagram_socket tx(a.get_executor(), 0);
        timer t(a.get_executor(), a.clock());
        for (int i = 0; i < samples; ++i) {
            std::int64_t now_ns = net.now().time_since_epoch().count();
            co_await tx.async_send_to(asio::buffer(&now_ns, sizeof now_ns), to, asio::use_awaitable);
            t.expires_after(1ms, a.clock());
            co_await t.async_wait();
        }
    }(net, a, rx.local_endpoint()));
    net.run_for(1h);
    REQUIRE(delays.size() == samples);
    double sum = 0;
    for (double d : delays) {
        CHECK(d >= 2.0); // never below the fixed latency
        sum += d - 2.0;
    }
    CHECK(std::abs(sum / samples - expected_mean_ms) < 0.1 * expected_mean_ms);
}

TEST_CASE("a wait on virtual time cancelled through its slot ends at once with operation_aborted", "[sim][time]") {
    sim::network net;
    auto& n = net.add_node("a");
    net.run_task(n, [](sim::node& n) -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        auto start = n.clock().now();
        coronet::timer long_wait(ex, n.clock()), tick(ex, n.clock());
        long_wait.expires_at(start + 5s);
        asio::cancellation_signal cancel;
        std::optional<boost::system::error_code> got;
        auto ended = start;
        long_wait.async_wait(asio::bind_cancellation_slot(cancel.slot(), [&](boost::system::error_code ec) {
            got = ec;
            ended = n.clock().now();
        }));
        tick.expires_at(start + 1ms);
        co_await tick.async_wait(asio::as_tuple(asio::use_awaitable));
        cancel.emit(asio::cancellation_type::terminal);
        tick.expires_at(start + 2ms);
        co_await tick.async_wait(asio::as_tuple(asio::use_awaitable));
        REQUIRE(got);
        CHECK(*got == asio::error::operation_aborted);
        CHECK(ended - start == 1ms);
    }(n));
}
