#include "sim_support.hpp"

#include <coronet/transports/echo.hpp>
#include <coronet/transports/endpoint.hpp>

#include <boost/asio/as_tuple.hpp>

using namespace coronet;
using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

/// The foundation's echo client logic: write a message, read it back.
asio::awaitable<std::string> echo_once(std::string url, std::string message) {
    auto s = co_await connect(url);
    co_await asio::async_write(s, asio::buffer(message), asio::use_awaitable);
    std::string back(message.size(), '\0');
    co_await asio::async_read(s, asio::buffer(back), asio::use_awaitable);
    co_return back;
}

} // namespace

TEST_CASE("the foundation's echo server runs unchanged on sim:// across a lossy network", "[sim][echo]") {
    for (auto seed : test::test_seeds(1, 3)) {
        INFO(test::replay_command(seed));
        sim::network_options o;
        o.seed = seed;
        o.link.latency = 5ms;
        o.link.jitter = 5ms;
        o.link.loss = 0.05;
        sim::network net(o);
        auto& srv = net.add_node("srv");
        net.add_nodes(3, "client");
        echo::server server(listen(srv.get_executor(), "sim://srv:7"));
        server.start();
        std::vector<std::string> replies(3);
        for (sim::node_index i = 1; i <= 3; ++i)
            net.at(i).spawn([](std::string& out, std::string m) -> asio::awaitable<void> {
                out = co_await echo_once("sim://srv:7", m);
            }(replies[i - 1], std::string(20000, static_cast<char>('a' + i))));
        net.run_for(1min);
        for (sim::node_index i = 1; i <= 3; ++i) CHECK(replies[i - 1] == std::string(20000, static_cast<char>('a' + i)));
        CHECK(server.accepted() == 3);
        net.run_task(srv, server.stop());
    }
}

TEST_CASE("echo read timeouts run on virtual time in the simulator", "[sim][echo]") {
    sim::network net;
    auto& srv = net.add_node("srv");
    auto& cli = net.add_node("cli");
    echo::server_options opts;
    opts.read_timeout = 30s;
    echo::server server(listen(srv.get_executor(), "sim://srv:7"), opts);
    server.start();
    boost::system::error_code ec;
    cli.spawn([](boost::system::error_code& out) -> asio::awaitable<void> {
        auto s = co_await connect("sim://srv:7");
        std::array<char, 1> one;
        auto [e, n] = co_await s.async_read_some(asio::buffer(one), asio::as_tuple(asio::use_awaitable));
        out = e; // the server gives up on an idle client and closes
    }(ec));
    net.run_for(29s);
    CHECK(server.connections() == 1);
    CHECK_FALSE(ec);
    net.run_for(2s);
    CHECK(server.connections() == 0);
    CHECK(ec == asio::error::eof);
    net.run_task(srv, server.stop());
}
