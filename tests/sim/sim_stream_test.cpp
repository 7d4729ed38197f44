#include "sim_support.hpp"

#include <coronet/timer.hpp>
#include <coronet/transports/endpoint.hpp>
#include <coronet/transports/sim/stream.hpp>

#include <boost/asio/as_tuple.hpp>

using namespace coronet;
using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

/// Accepts one connection on `server`, reads everything until EOF and
/// returns it.
asio::awaitable<std::vector<std::byte>> sink(sim::listener& l) {
    auto s = co_await l.async_accept();
    std::vector<std::byte> got, buf(8192);
    for (;;) {
        auto [ec, n] = co_await s.async_read_some(asio::buffer(buf), asio::as_tuple(asio::use_awaitable));
        got.insert(got.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
        if (ec == asio::error::eof) break;
        if (ec) throw boost::system::system_error(ec);
    }
    co_return got;
}

asio::awaitable<void> send_all(sim::node& from, asio::ip::tcp::endpoint to, std::vector<std::byte> data) {
    sim::stream s(from.get_executor());
    co_await s.async_connect(to);
    co_await asio::async_write(s, asio::buffer(data), asio::use_awaitable);
    s.shutdown(asio::socket_base::shutdown_send);
    // Keep the socket until the peer has everything: close() would drop the
    // FIN's retransmissions only if unread data came back (none does).
    std::array<char, 1> one;
    co_await s.async_read_some(asio::buffer(one), asio::as_tuple(asio::use_awaitable));
}

} // namespace

TEST_CASE("sim streams deliver every byte in order over a lossy, duplicating, reordering link", "[sim][stream]") {
    for (auto seed : test::test_seeds(11, 5)) {
        INFO(test::replay_command(seed));
        sim::network_options o;
        o.seed = seed;
        o.link.latency = 2ms;
        o.link.jitter = 3ms;
        o.link.loss = 0.05;
        o.link.duplicate = 0.05;
        o.link.reorder = 0.1;
        sim::network net(o);
        auto& a = net.add_node("a");
        auto& b = net.add_node("b");
        sim::listener l(b.get_executor(), 80);
        auto data = test::pattern(300 * 1000, seed);
        a.spawn(send_all(a, l.local_endpoint(), data));
        auto got = net.run_task(b, sink(l), 10min);
        CHECK(got == data);
        CHECK(net.stats().retransmissions > 0); // the loss was real and TCP repaired it
        CHECK(net.stats().packets_duplicated > 0);
    }
}

TEST_CASE("a one-way round trip over a sim stream costs exactly the link latency in virtual time", "[sim][stream]") {
    sim::network_options o;
    o.link.latency = 10ms;
    sim::network net(o);
    auto& a = net.add_node("a");
    auto& b = net.add_node("b");
    sim::listener l(b.get_executor(), 7);
    b.spawn([](sim::listener& l) -> asio::awaitable<void> {
        auto s = co_await l.async_accept();
        std::array<char, 4> buf;
        co_await asio::async_read(s, asio::buffer(buf), asio::use_awaitable);
        co_await asio::async_write(s, asio::buffer(buf), asio::use_awaitable);
        co_await s.async_read_some(asio::buffer(buf), asio::as_tuple(asio::use_awaitable));
    }(l));
    auto rtt = net.run_task(a, [](sim::network& net, sim::node& a, asio::ip::tcp::endpoint to) -> asio::awaitable<duration> {
        sim::stream s(a.get_executor());
        auto t0 = net.now();
        co_await s.async_connect(to);
        CHECK(net.now() - t0 == 20ms); // SYN there, SYN-ACK back
        std::array<char, 4> buf{'p', 'i', 'n', 'g'};
        auto t1 = net.now();
        co_await asio::async_write(s, asio::buffer(buf), asio::use_awaitable);
        co_await asio::async_read(s, asio::buffer(buf), asio::use_awaitable);
        co_return net.now() - t1;
    }(net, a, l.local_endpoint()));
    CHECK(rtt == 20ms);
}

TEST_CASE("a bandwidth cap queues bytes: 1 MB over a 1 MB/s link takes about a second of virtual time",
          "[sim][stream]") {
    sim::network_options o;
    o.link.latency = 1ms;
    o.link.bandwidth = 1'000'000;
    sim::network net(o);
    auto& a = net.add_node("a");
    auto& b = net.add_node("b");
    sim::listener l(b.get_executor(), 80);
    auto data = test::pattern(1'000'000);
    a.spawn(send_all(a, l.local_endpoint(), data));
    auto got = net.run_task(b, sink(l));
    CHECK(got == data);
    INFO("retransmissions " << net.stats().retransmissions << " packets " << net.stats().packets_sent << " bytes " << net.stats().bytes_sent);
    // Payload plus headers at 1 MB/s: a little over one second, never less.
    CHECK(net.elapsed() >= 1s);
    CHECK(net.elapsed() < 1200ms);
}

TEST_CASE("connecting to a port nobody listens on is refused, and to a crashed node times out after SYN retries",
          "[sim][stream]") {
    sim::network net;
    auto& a = net.add_node("a");
    auto& b = net.add_node("b");
    auto ec = net.run_task(a, [](sim::node& a, sim::node& b) -> asio::awaitable<boost::system::error_code> {
        sim::stream s(a.get_executor());
        auto [ec] = co_await s.async_connect({b.address(), 9}, asio::as_tuple(asio::use_awaitable));
        co_return ec;
    }(a, b));
    CHECK(ec == asio::error::connection_refused);

    b.crash();
    auto t0 = net.now();
    ec = net.run_task(a, [](sim::node& a, sim::node& b) -> asio::awaitable<boost::system::error_code> {
        sim::stream s(a.get_executor());
        auto [ec] = co_await s.async_connect({b.address(), 9}, asio::as_tuple(asio::use_awaitable));
        co_return ec;
    }(a, b));
    CHECK(ec == asio::error::timed_out);
    // 1 + 2 + 4 + 8 + 16 + 32 + 64 s, as Linux's tcp_syn_retries = 6.
    CHECK(net.now() - t0 == 127s);
}

TEST_CASE("a stream stalls under a partition, resumes when healed in time, and times out when it lasts",
          "[sim][stream]") {
    sim::network net;
    auto& a = net.add_node("a");
    auto& b = net.add_node("b");
    sim::listener l(b.get_executor(), 80);
    auto server = std::make_shared<sim::stream>(sim::stream(std::shared_ptr<sim::detail::stream_end>{}));
    auto client = std::make_shared<sim::stream>(a.get_executor());
    b.spawn([](sim::listener& l, std::shared_ptr<sim::stream> out) -> asio::awaitable<void> {
        *out = co_await l.async_accept();
    }(l, server));
    net.run_task(a, [](std::shared_ptr<sim::stream> c, asio::ip::tcp::endpoint to) -> asio::awaitable<void> {
        co_await c->async_connect(to);
    }(client, l.local_endpoint()));
    net.run();
    REQUIRE(server->is_open());

    net.partition({{"a"}, {"b"}});
    std::array<char, 5> hello{'h', 'e', 'l', 'l', 'o'};
    std::size_t got = 0;
    b.spawn([](std::shared_ptr<sim::stream> s, std::size_t& got) -> asio::awaitable<void> {
        std::array<char, 5> buf;
        got = co_await asio::async_read(*s, asio::buffer(buf), asio::use_awaitable);
    }(server, got));
    a.spawn([](std::shared_ptr<sim::stream> s, std::array<char, 5> m) -> asio::awaitable<void> {
        co_await asio::async_write(*s, asio::buffer(m), asio::use_awaitable);
    }(client, hello));
    net.run_for(10s);
    CHECK(got == 0); // stalled, not lost
    net.heal();
    net.run_for(30s); // the next retransmission gets through
    CHECK(got == 5);

    // Now a partition that outlasts TCP's patience: the writer gives up.
    net.partition({{"a"}, {"b"}});
    boost::system::error_code write_error;
    a.spawn([](std::shared_ptr<sim::stream> s, boost::system::error_code& out) -> asio::awaitable<void> {
        std::array<char, 3> m{'b', 'y', 'e'};
        co_await asio::async_write(*s, asio::buffer(m), asio::use_awaitable);
        // The write is buffered at once; the failure shows on the next call.
        std::array<char, 1> one;
        auto [ec, n] = co_await s->async_read_some(asio::buffer(one), asio::as_tuple(asio::use_awaitable));
        out = ec;
    }(client, write_error));
    net.run_for(2h);
    CHECK(write_error == asio::error::timed_out);
}

TEST_CASE("a crashed node resets its peers' connections", "[sim][stream]") {
    sim::network net;
    auto& a = net.add_node("a");
    auto& b = net.add_node("b");
    sim::listener l(b.get_executor(), 80);
    b.spawn([](sim::listener& l) -> asio::awaitable<void> {
        auto s = co_await l.async_accept();
        std::array<char, 1> one;
        co_await s.async_read_some(asio::buffer(one), asio::use_awaitable); // until the crash
    }(l));
    boost::system::error_code ec;
    a.spawn([](sim::node& a, asio::ip::tcp::endpoint to, boost::system::error_code& out) -> asio::awaitable<void> {
        sim::stream s(a.get_executor());
        co_await s.async_connect(to);
        std::array<char, 1> one;
        auto [ec, n] = co_await s.async_read_some(asio::buffer(one), asio::as_tuple(asio::use_awaitable));
        out = ec;
    }(a, l.local_endpoint(), ec));
    net.run_for(1s);
    b.crash();
    net.run_for(1s);
    CHECK(ec == asio::error::connection_reset);
    CHECK_FALSE(b.up());
}

TEST_CASE("sim:// URLs open streams by node name through the same endpoint API as tcp://", "[sim][stream]") {
    sim::network net;
    auto& srv = net.add_node("srv");
    auto& cli = net.add_node("cli");
    auto l = listen(srv.get_executor(), "sim://srv:7000");
    CHECK(l.url() == "sim://srv:7000");
    CHECK_THROWS_WITH(listen(srv.get_executor(), "sim://srv:7000"), Catch::Contains("sim://srv:7000"));
    CHECK_THROWS_WITH(listen(srv.get_executor(), "sim://cli:1"), Catch::Contains("own node, srv"));
    asio::io_context plain;
    CHECK_THROWS_WITH(listen(plain.get_executor(), "sim://srv:1"), Catch::Contains("sim node's executor"));
    srv.spawn([](any_listener& l) -> asio::awaitable<void> {
        auto s = co_await l.async_accept();
        std::array<char, 2> buf;
        co_await asio::async_read(s, asio::buffer(buf), asio::use_awaitable);
        co_await asio::async_write(s, asio::buffer(buf), asio::use_awaitable);
    }(l));
    auto echoed = net.run_task(cli, []() -> asio::awaitable<std::string> {
        auto s = co_await connect("sim://srv:7000");
        std::string m = "hi";
        co_await asio::async_write(s, asio::buffer(m), asio::use_awaitable);
        co_await asio::async_read(s, asio::buffer(m), asio::use_awaitable);
        co_return m;
    }());
    CHECK(echoed == "hi");
    CHECK_THROWS_WITH(net.run_task(cli, []() -> asio::awaitable<void> { co_await connect("sim://nobody:1"); }()),
                      Catch::Contains("sim://nobody"));
}
