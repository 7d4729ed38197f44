// fault+ URLs: the same fault wrappers, opened by URL (as the coronet command
// and multi-process tests do).
#include "sim/fault_support.hpp"
#include "transports/test_support.hpp"

#include <coronet/transports/endpoint.hpp>
#include <coronet/transports/url.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>

using namespace coronet;
using namespace std::chrono_literals;
using coronet::test::run_coroutine;
using coronet::test::is_reset_or_eof;
namespace asio = boost::asio;
using boost::system::error_code;

namespace {

/// Reads until an error; returns the bytes and the error that ended them.
asio::awaitable<std::pair<std::string, error_code>> read_to_end(any_stream& s) {
    std::string got;
    std::array<char, 4096> buf{};
    for (;;) {
        auto [ec, n] = co_await s.async_read_some(asio::buffer(buf), asio::as_tuple(asio::use_awaitable));
        got.append(buf.data(), n);
        if (ec) co_return std::pair{got, ec};
    }
}

} // namespace

TEST_CASE("fault+ URLs carry their plan and print back the same", "[sim][fault][url]") {
    auto u = parse_url("fault+tcp://127.0.0.1:7000?drop=0.1&delay=5ms");
    CHECK(u.fault);
    CHECK(u.scheme == scheme::tcp);
    CHECK(u.port == 7000);
    CHECK(u.faults == "drop=0.1&delay=5ms");
    CHECK(u.str() == "fault+tcp://127.0.0.1:7000?drop=0.1&delay=5ms");
    auto v = parse_url("fault+udp://[::1]:0");
    CHECK(v.fault);
    CHECK(v.faults.empty());
    CHECK(v.str() == "fault+udp://[::1]:0");
    CHECK_FALSE(parse_url("uring://127.0.0.1:1").fault);
}

TEST_CASE("fault+ URLs are rejected when the plan or the scheme is wrong", "[sim][fault][url]") {
    using Catch::Contains;
    asio::io_context ctx;
    CHECK_THROWS_WITH(parse_url("tcp://127.0.0.1:7000?drop=0.1"), Contains("needs the fault+ prefix"));
    CHECK_THROWS_WITH(parse_url("fault+sim://n1:7000"), Contains("fault+ wraps real transports only"));
    CHECK_THROWS_WITH(parse_url("fault+http://127.0.0.1:80"), Contains("unknown scheme 'http'"));
    CHECK_THROWS_WITH(listen(ctx.get_executor(), "fault+tcp://127.0.0.1:0?drop=2"),
                      Contains("fault+tcp://127.0.0.1:0?drop=2") && Contains("drop"));
    CHECK_THROWS_WITH(open_datagram(ctx.get_executor(), "fault+udp://127.0.0.1:0?speed=9"), Contains("speed"));
}

TEST_CASE("a fault+tcp connection resets after the URL's reset_after bytes", "[sim][fault][url]") {
    run_coroutine([]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        auto l = listen(ex, "tcp://127.0.0.1:0");
        auto client = co_await connect("fault+" + l.url() + "?reset_after=5");
        auto server = co_await l.async_accept();
        std::string data = "0123456789";
        auto [wec, wn] = co_await asio::async_write(client, asio::buffer(data), asio::as_tuple(asio::use_awaitable));
        CHECK(wec == asio::error::connection_reset);
        CHECK(wn == 5);
        auto [got, end] = co_await read_to_end(server);
        CHECK(got == "01234");
        CHECK(is_reset_or_eof(end));
    });
}

TEST_CASE("a fault+tcp listener names its plan and applies it to every accepted connection",
          "[sim][fault][url]") {
    run_coroutine([]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        auto l = listen(ex, "fault+tcp://127.0.0.1:0?reset_after=3");
        REQUIRE(l.url().starts_with("fault+tcp://127.0.0.1:"));
        REQUIRE(l.url().ends_with("?reset_after=3"));
        auto plain = "tcp://" + l.url().substr(std::string_view("fault+tcp://").size(),
                                                l.url().find('?') - std::string_view("fault+tcp://").size());
        for (int i = 0; i < 2; ++i) {
            auto client = co_await connect(plain);
            auto server = co_await l.async_accept();
            std::string hello = "hello";
            auto [wec, wn] =
                co_await asio::async_write(server, asio::buffer(hello), asio::as_tuple(asio::use_awaitable));
            CHECK(wec == asio::error::connection_reset);
            CHECK(wn == 3);
            auto [got, end] = co_await read_to_end(client);
            CHECK(got == "hel");
            CHECK(is_reset_or_eof(end));
        }
    });
}

TEST_CASE("a fault+udp socket with drop=1 loses every datagram while its sends still succeed",
          "[sim][fault][url]") {
    run_coroutine([]() -> asio::awaitable<void> {
        using namespace asio::experimental::awaitable_operators;
        auto ex = co_await asio::this_coro::executor;
        auto lossy = open_datagram(ex, "fault+udp://127.0.0.1:0?drop=1");
        auto clean = open_datagram(ex, "udp://127.0.0.1:0");
        auto receiver = open_datagram(ex, "udp://127.0.0.1:0");
        std::string msg = "ping";
        for (int i = 0; i < 20; ++i) {
            auto n = co_await lossy.async_send_to(asio::buffer(msg), receiver.local_endpoint());
            CHECK(n == msg.size());
        }
        // A datagram from the clean socket is the first to arrive: none of
        // the lossy ones got through ahead of it.
        std::string marker = "marker";
        co_await clean.async_send_to(asio::buffer(marker), receiver.local_endpoint());
        std::array<char, 64> buf{};
        asio::ip::udp::endpoint from;
        asio::steady_timer guard(ex, 5s); // against a hang only
        auto r = co_await (receiver.async_receive_from(asio::buffer(buf), from, asio::use_awaitable) ||
                           guard.async_wait(asio::use_awaitable));
        REQUIRE(r.index() == 0);
        CHECK(std::string(buf.data(), std::get<0>(r)) == "marker");
        CHECK(from == clean.local_endpoint());
    });
}
