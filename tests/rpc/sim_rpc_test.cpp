// The RPC layer on sim://: virtual time, loss and crashes, deterministic per seed.
#include "rpc_support.hpp"
#include "sim/sim_support.hpp"

#include <coronet/rpc/client.hpp>
#include <coronet/when_all.hpp>

using namespace coronet;
using namespace std::chrono_literals;
using coronet::test::echo_service;
using coronet::test::EchoClient;
namespace asio = boost::asio;

namespace {

struct sim_rpc {
    sim::network net;
    sim::node& srv;
    sim::node& cli;
    std::shared_ptr<echo_service> svc = std::make_shared<echo_service>();
    rpc::server server;

    explicit sim_rpc(sim::network_options o)
        : net(o), srv(net.add_node("srv")), cli(net.add_node("cli")),
          server(listen(srv.get_executor(), "sim://srv:7000"), svc) {
        server.start();
    }
    ~sim_rpc() {
        if (srv.up()) net.run_task(srv, server.stop());
    }
};

/// 20 sequential echoes and 20 concurrent adds; returns what came back.
asio::awaitable<std::vector<std::string>> workload() {
    auto conn = co_await rpc::connect("sim://srv:7000");
    auto echo = co_await conn.bootstrap_as<EchoClient>();
    std::vector<std::string> out;
    for (int i = 0; i < 20; ++i) {
        auto r = co_await echo.echo([i](auto p) { p.setText(std::to_string(i)); });
        out.emplace_back(r->getReply().cStr());
    }
    std::vector<asio::awaitable<rpc::response<test::Echo::AddResults>>> adds;
    for (int i = 0; i < 20; ++i)
        adds.push_back(echo.add([i](auto p) {
            p.setA(i);
            p.setB(1000);
        }));
    for (auto& r : co_await when_all(std::move(adds))) out.push_back(std::to_string(r->getSum()));
    co_return out;
}

} // namespace

TEST_CASE("RPC runs unchanged on sim:// over a lossy, jittery network, the same for the same seed", "[rpc][sim]") {
    for (auto seed : test::test_seeds(1, 3)) {
        INFO(test::replay_command(seed));
        std::uint64_t hashes[2] = {};
        for (int run = 0; run < 2; ++run) {
            sim::network_options o;
            o.seed = seed;
            o.link.latency = 2ms;
            o.link.jitter = 3ms;
            o.link.loss = 0.05;
            sim_rpc s(o);
            std::vector<std::string> got;
            s.cli.spawn([](std::vector<std::string>& out) -> asio::awaitable<void> {
                out = co_await workload();
            }(got));
            s.net.run_for(2min);
            REQUIRE(got.size() == 40);
            for (int i = 0; i < 20; ++i) CHECK(got[i] == std::to_string(i));
            for (int i = 0; i < 20; ++i) CHECK(got[20 + i] == std::to_string(1000 + i));
            hashes[run] = s.net.trace_hash();
        }
        CHECK(hashes[0] == hashes[1]);
    }
}

TEST_CASE("call deadlines run on virtual time in the simulator", "[rpc][sim]") {
    sim_rpc s({});
    std::optional<boost::system::error_code> ec;
    s.cli.spawn([](std::optional<boost::system::error_code>& out) -> asio::awaitable<void> {
        auto conn = co_await rpc::connect("sim://srv:7000");
        auto echo = co_await conn.bootstrap_as<EchoClient>();
        try {
            co_await echo.sleep([](auto p) { p.setMs(3'600'000); }, {.timeout = 30s});
            out = boost::system::error_code{};
        } catch (const boost::system::system_error& e) {
            out = e.code();
        }
    }(ec));
    s.net.run_for(29s);
    CHECK_FALSE(ec);
    CHECK(s.svc->sleeping == 1);
    s.net.run_for(2s);
    REQUIRE(ec);
    CHECK(*ec == asio::error::timed_out);
}

TEST_CASE("a crashed server node fails the calls pending on it with disconnected", "[rpc][sim]") {
    sim_rpc s({});
    std::optional<rpc::exception_type> failure;
    s.cli.spawn([](std::optional<rpc::exception_type>& out) -> asio::awaitable<void> {
        auto conn = co_await rpc::connect("sim://srv:7000");
        auto echo = co_await conn.bootstrap_as<EchoClient>();
        try {
            co_await echo.sleep([](auto p) { p.setMs(3'600'000); });
        } catch (const rpc::remote_error& e) {
            out = e.type();
        }
    }(failure));
    s.net.run_for(1s);
    REQUIRE(s.svc->sleeping == 1);
    s.srv.crash();
    s.net.run_for(1s);
    REQUIRE(failure);
    CHECK(*failure == rpc::exception_type::disconnected);
}
