#include "test_support.hpp"

#include <coronet/transports/endpoint.hpp>

#include <boost/asio/as_tuple.hpp>
#include <catch2/catch.hpp>

using namespace coronet;
using coronet::test::run_coroutine;

TEST_CASE("udp keeps datagram boundaries", "[transports][udp]") {
    run_coroutine([]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        auto a = open_datagram(ex, "udp://127.0.0.1:0");
        auto b = open_datagram(ex, "udp://127.0.0.1:0");
        std::vector<std::string> sent{"one", "two two", "", "three three three"};
        for (auto& m : sent) co_await a.async_send_to(asio::buffer(m), b.local_endpoint());
        for (auto& m : sent) {
            std::array<char, 256> buf{};
            asio::ip::udp::endpoint from;
            auto n = co_await b.async_receive_from(asio::buffer(buf), from);
            CHECK(std::string(buf.data(), n) == m); // one receive, one whole datagram
            CHECK(from == a.local_endpoint());
        }
    });
}

TEST_CASE("udp rejects a send larger than datagram_bytes_max", "[transports][udp]") {
    run_coroutine([]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        auto a = open_datagram(ex, "udp://127.0.0.1:0", 1200);
        auto b = open_datagram(ex, "udp://127.0.0.1:0");
        std::vector<char> big(1201, 'x');
        auto [ec, n] = co_await a.async_send_to(asio::buffer(big), b.local_endpoint(),
                                                asio::as_tuple(asio::use_awaitable));
        CHECK(ec == asio::error::message_size);
        CHECK(n == 0);
        std::vector<char> limit(1200, 'y');
        auto sent = co_await a.async_send_to(asio::buffer(limit), b.local_endpoint());
        CHECK(sent == 1200);
    });
}

TEST_CASE("udp refuses a datagram beyond the IPv4 limit", "[transports][udp]") {
    run_coroutine([]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        auto a = open_datagram(ex, "udp://127.0.0.1:0");
        std::vector<char> huge(udp::socket::datagram_bytes_limit + 1, 'x');
        auto [ec, n] = co_await a.async_send_to(asio::buffer(huge), a.local_endpoint(),
                                                asio::as_tuple(asio::use_awaitable));
        CHECK(ec == asio::error::message_size);
    });
}

TEST_CASE("udp reports a datagram larger than the receive buffer instead of truncating silently",
          "[transports][udp]") {
    run_coroutine([]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        auto a = open_datagram(ex, "udp://127.0.0.1:0");
        auto b = open_datagram(ex, "udp://127.0.0.1:0");
        std::string msg(100, 'z');
        co_await a.async_send_to(asio::buffer(msg), b.local_endpoint());
        std::array<char, 10> small{};
        asio::ip::udp::endpoint from;
        auto [ec, n] = co_await b.async_receive_from(asio::buffer(small), from, asio::as_tuple(asio::use_awaitable));
        CHECK(ec == asio::error::message_size);
        CHECK(n == small.size());
        // The next datagram is unaffected.
        co_await a.async_send_to(asio::buffer(std::string("ok")), b.local_endpoint());
        auto m = co_await b.async_receive_from(asio::buffer(small), from);
        CHECK(std::string(small.data(), m) == "ok");
    });
}

TEST_CASE("binding a udp port in use fails with an error naming the URL", "[transports][udp]") {
    asio::io_context ctx;
    auto a = open_datagram(ctx.get_executor(), "udp://127.0.0.1:0");
    auto url = make_url(scheme::udp, a.local_endpoint().address(), a.local_endpoint().port());
    try {
        open_datagram(ctx.get_executor(), url);
        FAIL("second bind succeeded");
    } catch (const boost::system::system_error& e) {
        CHECK(e.code() == asio::error::address_in_use);
        CHECK_THAT(e.what(), Catch::Contains(url));
    }
}

TEST_CASE("a cancelled udp receive completes with operation_aborted", "[transports][udp]") {
    run_coroutine([]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        auto a = open_datagram(ex, "udp://127.0.0.1:0");
        boost::system::error_code got;
        std::array<char, 8> buf{};
        asio::ip::udp::endpoint from;
        a.async_receive_from(asio::buffer(buf), from, [&](boost::system::error_code ec, std::size_t) { got = ec; });
        co_await coronet::test::yield(2);
        a.cancel();
        co_await coronet::test::yield(2);
        CHECK(got == asio::error::operation_aborted);
    });
}
