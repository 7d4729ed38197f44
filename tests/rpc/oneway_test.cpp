// One-way message passing (coronet's extension): no Return, same server port.
#include "rpc_support.hpp"

#include <coronet/rpc/client.hpp>

#include <fmt/format.h>

using namespace coronet;
using coronet::test::echo_service;
using coronet::test::EchoClient;
using coronet::test::StoreClient;
using coronet::test::with_rpc_server;
namespace asio = boost::asio;

TEST_CASE("one-way messages run on the server's service in order and get nothing back", "[rpc][oneway]") {
    with_rpc_server("tcp", [](rpc::server& srv, echo_service& svc) -> asio::awaitable<void> {
        auto m = co_await rpc::connect_messenger(srv.url());
        for (int i = 0; i < 100; ++i)
            co_await EchoClient::post_echo(m, [i](auto p) { p.setText(fmt::format("m{}", i)); });
        for (int i = 0; i < 2000 && svc.echoed.size() < 100; ++i) co_await test::yield();
        REQUIRE(svc.echoed.size() == 100);
        for (int i = 0; i < 100; ++i) CHECK(svc.echoed[i] == fmt::format("m{}", i));
        CHECK(m.counters().calls_out == 100);
        CHECK(m.counters().messages_in == 0); // no Return, ever
        CHECK(m.counters().writes < 100);     // posts are coalesced too
        // The same port still speaks the standard protocol.
        auto conn = co_await rpc::connect(srv.url());
        auto echo = co_await conn.bootstrap_as<EchoClient>();
        auto r = co_await echo.echo([](auto p) { p.setText("standard"); });
        CHECK(std::string(r->getReply().cStr()) == "standard");
    });
}

TEST_CASE("a one-way message for an interface the server lacks is counted and dropped", "[rpc][oneway]") {
    with_rpc_server("tcp", [](rpc::server& srv, echo_service& svc) -> asio::awaitable<void> {
        auto m = co_await rpc::connect_messenger(srv.url());
        co_await StoreClient::post_put(m, [](auto p) { p.initItem().setKey("k"); });
        co_await EchoClient::post_echo(m, [](auto p) { p.setText("after"); });
        for (int i = 0; i < 2000 && svc.echoed.empty(); ++i) co_await test::yield();
        REQUIRE(svc.echoed.size() == 1);
        CHECK(svc.echoed[0] == "after");
        CHECK(srv.counters().unimplemented_in == 1);
        CHECK(m.is_open());
    });
}

TEST_CASE("a messenger closed by its owner still delivers what it had queued", "[rpc][oneway]") {
    with_rpc_server("tcp", [](rpc::server& srv, echo_service& svc) -> asio::awaitable<void> {
        {
            auto m = co_await rpc::connect_messenger(srv.url());
            for (int i = 0; i < 10; ++i) co_await EchoClient::post_echo(m, [](auto p) { p.setText("x"); });
        } // destroyed with messages queued: they are written, then it closes
        for (int i = 0; i < 2000 && svc.echoed.size() < 10; ++i) co_await test::yield();
        CHECK(svc.echoed.size() == 10);
        for (int i = 0; i < 2000 && srv.connections() > 0; ++i) co_await test::yield();
        CHECK(srv.connections() == 0);
    });
}
