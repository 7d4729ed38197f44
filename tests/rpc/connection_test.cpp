// coronet client against coronet server, over every stream transport.
#include "rpc_support.hpp"

#include <coronet/rpc/client.hpp>
#include <coronet/when_all.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <thread>

using namespace coronet;
using namespace std::chrono_literals;
using coronet::test::echo_service;
using coronet::test::EchoClient;
using coronet::test::StoreClient;
using coronet::test::with_rpc_server;
namespace asio = boost::asio;

namespace {

asio::awaitable<std::string> echo_text(const EchoClient& c, std::string text) {
    auto r = co_await c.echo([&](auto p) { p.setText(text); });
    co_return std::string(r->getReply().cStr());
}

} // namespace

TEST_CASE("a coronet client calls a coronet server over tcp and uring", "[rpc]") {
    auto scheme = GENERATE(as<std::string>{}, "tcp", "uring");
    with_rpc_server(scheme, [](rpc::server& srv, echo_service&) -> asio::awaitable<void> {
        auto conn = co_await rpc::connect(srv.url());
        auto echo = co_await conn.bootstrap_as<EchoClient>();
        auto reply1 = co_await echo_text(echo, "hello");
        CHECK(reply1 == "hello");
        auto sum = co_await echo.add([](auto p) {
            p.setA(40);
            p.setB(2);
        });
        CHECK(sum->getSum() == 42);
        CHECK(srv.connections() == 1);
    });
}

TEST_CASE("structs, lists and errors cross the wire intact", "[rpc]") {
    with_rpc_server<test::store_service>("tcp", [](rpc::server& srv, test::store_service&) -> asio::awaitable<void> {
        auto conn = co_await rpc::connect(srv.url());
        auto store = co_await conn.bootstrap_as<StoreClient>();
        for (auto key : {"a/1", "a/2", "b/1"}) {
            co_await store.put([&](auto p) {
                auto item = p.initItem();
                item.setKey(key);
                item.setValue(kj::StringPtr(key).asBytes());
                auto tags = item.initTags(2);
                tags.set(0, "x");
                tags.set(1, key);
            });
        }
        auto got = co_await store.get([](auto p) { p.setKey("a/2"); });
        CHECK(std::string(got->getItem().getKey().cStr()) == "a/2");
        CHECK(got->getItem().getVersion() == 2);
        REQUIRE(got->getItem().getTags().size() == 2);
        CHECK(std::string(got->getItem().getTags()[1].cStr()) == "a/2");
        auto listed = co_await store.list([](auto p) { p.setPrefix("a/"); });
        REQUIRE(listed->getItems().size() == 2);
        CHECK(std::string(listed->getItems()[1].getKey().cStr()) == "a/2");
        try {
            co_await store.get([](auto p) { p.setKey("zzz"); });
            FAIL("a missing key must raise");
        } catch (const rpc::remote_error& e) {
            CHECK(e.type() == rpc::exception_type::failed);
            CHECK(e.reason() == "no such key: zzz");
        }
    });
}

TEST_CASE("a remote exception arrives as remote_error with the type the service chose", "[rpc]") {
    with_rpc_server("tcp", [](rpc::server& srv, echo_service&) -> asio::awaitable<void> {
        auto conn = co_await rpc::connect(srv.url());
        auto echo = co_await conn.bootstrap_as<EchoClient>();
        for (std::uint16_t type : {0, 1, 2, 3, 9}) {
            try {
                co_await echo.fail([&](auto p) {
                    p.setType(type);
                    p.setReason("reason " + std::to_string(type));
                });
                FAIL("fail() must raise");
            } catch (const rpc::remote_error& e) {
                CHECK(static_cast<std::uint16_t>(e.type()) == (type > 3 ? 0 : type));
                CHECK(e.reason() == "reason " + std::to_string(type));
            }
        }
        // The connection is still fine after five exceptions.
        auto reply2 = co_await echo_text(echo, "still here");
        CHECK(reply2 == "still here");
    });
}

TEST_CASE("an unknown method or interface is answered unimplemented and the connection stays usable", "[rpc]") {
    with_rpc_server("tcp", [](rpc::server& srv, echo_service&) -> asio::awaitable<void> {
        auto conn = co_await rpc::connect(srv.url());
        auto cap = co_await conn.bootstrap();
        for (auto [iid, mid] : {std::pair<std::uint64_t, std::uint16_t>{EchoClient::interface_id, 77},
                                {0x1234, 0}}) {
            try {
                co_await cap.call(iid, mid, [](capnp::AnyPointer::Builder) {});
                FAIL("an unknown method must raise");
            } catch (const rpc::remote_error& e) {
                CHECK(e.type() == rpc::exception_type::unimplemented);
            }
        }
        auto reply3 = co_await echo_text(EchoClient(cap), "ok");
        CHECK(reply3 == "ok");
        CHECK(srv.counters().unimplemented_in == 2);
    });
}

TEST_CASE("cancelling a call sends Finish and the service sees its coroutine cancelled", "[rpc]") {
    with_rpc_server("tcp", [](rpc::server& srv, echo_service& svc) -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        auto conn = co_await rpc::connect(srv.url());
        auto echo = co_await conn.bootstrap_as<EchoClient>();
        asio::cancellation_signal cancel;
        std::optional<boost::system::error_code> outcome;
        asio::co_spawn(ex, echo.sleep([](auto p) { p.setMs(60'000); }),
                       asio::bind_cancellation_slot(cancel.slot(), [&](std::exception_ptr e, auto) {
                           try {
                               if (e) std::rethrow_exception(e);
                               outcome = boost::system::error_code{};
                           } catch (const boost::system::system_error& se) {
                               outcome = se.code();
                           }
                       }));
        for (int i = 0; i < 1000 && svc.sleeping == 0; ++i) co_await test::yield();
        REQUIRE(svc.sleeping == 1);
        cancel.emit(asio::cancellation_type::terminal);
        for (int i = 0; i < 1000 && (!outcome || svc.sleeping > 0); ++i) co_await test::yield();
        REQUIRE(outcome);
        CHECK(*outcome == asio::error::operation_aborted);
        CHECK(svc.sleeps_cancelled == 1);
        CHECK(svc.sleeps_finished == 0);
        auto reply4 = co_await echo_text(echo, "after");
        CHECK(reply4 == "after");
        CHECK(srv.counters().cancelled_in == 1);
    });
}

TEST_CASE("a call past its deadline fails with timed_out and the callee is cancelled", "[rpc]") {
    with_rpc_server("tcp", [](rpc::server& srv, echo_service& svc) -> asio::awaitable<void> {
        auto conn = co_await rpc::connect(srv.url());
        auto echo = co_await conn.bootstrap_as<EchoClient>();
        try {
            co_await echo.sleep([](auto p) { p.setMs(60'000); }, {.timeout = 50ms});
            FAIL("the call must time out");
        } catch (const boost::system::system_error& e) {
            CHECK(e.code() == asio::error::timed_out);
        }
        for (int i = 0; i < 1000 && svc.sleeping > 0; ++i) co_await test::yield();
        CHECK(svc.sleeps_cancelled == 1);
        auto reply5 = co_await echo_text(echo, "after");
        CHECK(reply5 == "after");
    });
}

TEST_CASE("when the server goes away every pending call fails with disconnected", "[rpc]") {
    test::run_coroutine([]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        auto svc = std::make_shared<echo_service>();
        auto srv = std::make_unique<rpc::server>(listen(ex, "tcp://127.0.0.1:0"), svc);
        srv->start();
        auto conn = co_await rpc::connect(srv->url());
        auto echo = co_await conn.bootstrap_as<EchoClient>();
        int disconnected = 0, done = 0;
        for (int i = 0; i < 3; ++i)
            asio::co_spawn(ex, echo.sleep([](auto p) { p.setMs(60'000); }), [&](std::exception_ptr e, auto) {
                ++done;
                try {
                    if (e) std::rethrow_exception(e);
                } catch (const rpc::remote_error& re) {
                    if (re.type() == rpc::exception_type::disconnected) ++disconnected;
                }
            });
        for (int i = 0; i < 1000 && svc->sleeping < 3; ++i) co_await test::yield();
        REQUIRE(svc->sleeping == 3);
        co_await srv->stop();
        for (int i = 0; i < 1000 && done < 3; ++i) co_await test::yield();
        CHECK(disconnected == 3);
        CHECK(svc->sleeps_cancelled == 3);
        co_await conn.closed();
        CHECK_FALSE(conn.is_open());
        // Later calls fail the same way, at once.
        bool refused = false;
        try {
            co_await echo_text(echo, "x");
        } catch (const rpc::remote_error& e) {
            refused = e.type() == rpc::exception_type::disconnected;
        }
        CHECK(refused);
    });
}

TEST_CASE("128 calls in flight are coalesced into fewer writes than messages", "[rpc]") {
    with_rpc_server("tcp", [](rpc::server& srv, echo_service&) -> asio::awaitable<void> {
        auto conn = co_await rpc::connect(srv.url());
        auto echo = co_await conn.bootstrap_as<EchoClient>();
        std::vector<asio::awaitable<std::string>> calls;
        for (int i = 0; i < 128; ++i) calls.push_back(echo_text(echo, std::to_string(i)));
        auto replies = co_await when_all(std::move(calls));
        for (int i = 0; i < 128; ++i) CHECK(replies[i] == std::to_string(i));
        auto c = conn.counters();
        INFO("client wrote " << c.messages_out << " messages in " << c.writes << " writes");
        CHECK(c.calls_out == 128);
        CHECK(c.writes < c.messages_out / 4);
        auto s = srv.counters();
        INFO("server wrote " << s.messages_out << " messages in " << s.writes << " writes");
        CHECK(s.writes < s.messages_out);
    });
}

TEST_CASE("a received message is read in place from its receive block", "[rpc]") {
    with_rpc_server("tcp", [](rpc::server& srv, echo_service&) -> asio::awaitable<void> {
        auto conn = co_await rpc::connect(srv.url());
        auto echo = co_await conn.bootstrap_as<EchoClient>();
        std::string text(1000, 'z');
        auto r = co_await echo.echo([&](auto p) { p.setText(text); });
        auto& m = r.message();
        auto* block = m->block()->data();
        auto* reply = reinterpret_cast<const std::byte*>(r->getReply().begin());
        // The reply text lies inside the frame, inside the block it was read into.
        CHECK(m->frame() >= block);
        CHECK(m->frame() + m->bytes() <= block + m->block()->size());
        CHECK(reply > m->frame());
        CHECK(reply + text.size() <= m->frame() + m->bytes());
        CHECK(reinterpret_cast<std::uintptr_t>(m->frame()) % 8 == 0);
    });
}

TEST_CASE("a blocking call works from a plain thread and refuses the connection's own thread", "[rpc]") {
    asio::io_context ctx;
    auto svc = std::make_shared<echo_service>();
    rpc::server srv(listen(ctx.get_executor(), "tcp://127.0.0.1:0"), svc);
    srv.start();
    auto work = asio::make_work_guard(ctx);
    std::thread io([&] { ctx.run(); });
    auto conn_future = asio::co_spawn(ctx, rpc::connect(srv.url()), asio::use_future);
    auto conn = conn_future.get();
    auto echo = asio::co_spawn(ctx, conn.bootstrap_as<EchoClient>(), asio::use_future).get();
    auto r = echo.echo_blocking([](auto p) { p.setText("blocking"); });
    CHECK(std::string(r->getReply().cStr()) == "blocking");
    auto sum = echo.add_blocking([](auto p) {
        p.setA(1);
        p.setB(2);
    });
    CHECK(sum->getSum() == 3);
    std::string refused;
    asio::post(ctx, asio::use_future([&] {
        try {
            echo.echo_blocking([](auto p) { p.setText("x"); });
        } catch (const std::logic_error& e) {
            refused = e.what();
        }
    })).get();
    CHECK_THAT(refused, Catch::Contains("deadlock"));
    asio::co_spawn(ctx, [&]() -> asio::awaitable<void> {
        { auto drop = std::move(echo); }
        conn.close();
        co_await srv.stop();
    }, asio::use_future).get();
    work.reset();
    io.join();
}

TEST_CASE("outgoing_calls_max holds calls back and incoming_calls_max stops reading", "[rpc]") {
    auto limit_incoming = GENERATE(false, true);
    rpc::server_options so;
    if (limit_incoming) so.connection.incoming_calls_max = 2;
    with_rpc_server("tcp", [&](rpc::server& srv, echo_service& svc) -> asio::awaitable<void> {
        rpc::connection_options co;
        if (!limit_incoming) co.outgoing_calls_max = 2;
        auto conn = co_await rpc::connect(srv.url(), co);
        auto echo = co_await conn.bootstrap_as<EchoClient>();
        int most = 0;
        bool done = false;
        auto ex = co_await asio::this_coro::executor;
        asio::co_spawn(ex, [&]() -> asio::awaitable<void> {
            while (!done) {
                most = std::max(most, svc.sleeping.load());
                co_await test::yield();
            }
        }, asio::detached);
        std::vector<asio::awaitable<rpc::response<test::Echo::SleepResults>>> calls;
        for (int i = 0; i < 10; ++i) calls.push_back(echo.sleep([](auto p) { p.setMs(5); }));
        co_await when_all(std::move(calls));
        done = true;
        CHECK(svc.sleeps_finished == 10);
        CHECK(most <= 2);
        CHECK(most >= 1);
        co_await test::yield();
    }, so);
}
