// Behaviour every stream transport shares, run over each by URL scheme.
#include "test_support.hpp"

#include <coronet/manual_clock.hpp>
#include <coronet/task_group.hpp>
#include <coronet/transports/endpoint.hpp>
#include <coronet/transports/echo.hpp>
#include <coronet/transports/timed_stream.hpp>
#include <coronet/when_all.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>

#include <numeric>

using namespace coronet;
using namespace std::chrono_literals;
using coronet::test::loopback;
using coronet::test::run_coroutine;
using coronet::test::yield;

namespace {

std::vector<std::uint8_t> pattern(std::size_t n, std::uint8_t seed = 7) {
    std::vector<std::uint8_t> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>((i * 131 + seed) & 0xff);
    return v;
}

echo::server make_echo(const std::string& scheme, asio::any_io_executor ex, echo::server_options o = {},
                       coronet::clock& c = real_clock()) {
    return echo::server(listen(ex, loopback(scheme)), o, make_logger("echo", spdlog::level::off), c);
}

} // namespace

TEST_CASE("stream transports connect, accept and echo bytes", "[transports][stream]") {
    auto scheme = GENERATE(as<std::string>{}, "tcp", "uring");
    INFO("transport " << scheme);
    run_coroutine([&]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        auto server = make_echo(scheme, ex);
        server.start();
        auto client = co_await connect(server.url());
        auto out = pattern(1000);
        std::vector<std::uint8_t> in(out.size());
        co_await asio::async_write(client, asio::buffer(out), asio::use_awaitable);
        co_await asio::async_read(client, asio::buffer(in), asio::use_awaitable);
        CHECK(in == out);
        client.close();
        co_await server.stop();
    });
}

TEST_CASE("a large write is split into partial writes and arrives intact", "[transports][stream]") {
    auto scheme = GENERATE(as<std::string>{}, "tcp", "uring");
    INFO("transport " << scheme);
    run_coroutine([&]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        auto l = listen(ex, loopback(scheme));
        auto client = co_await connect(l.url());
        auto server_side = co_await l.async_accept();
        auto out = pattern(8 << 20);
        std::vector<std::uint8_t> in(out.size());
        std::size_t write_calls = 0, partial = 0;
        task_group tasks(ex);
        // Named: a temporary closure would die before its coroutine (lambda-coroutine fiasco).
        auto task_body = [&]() -> asio::awaitable<void> {
            std::size_t sent = 0;
            while (sent < out.size()) {
                auto n = co_await client.async_write_some(asio::buffer(out.data() + sent, out.size() - sent));
                ++write_calls;
                if (n < out.size() - sent) ++partial;
                sent += n;
            }
        };
        tasks.spawn(task_body());
        co_await asio::async_read(server_side, asio::buffer(in), asio::use_awaitable);
        co_await tasks.join();
        CHECK(in == out);
        CHECK(partial >= 1); // 8 MiB cannot fit in loopback socket buffers in one go
        CHECK(write_calls > 1);
    });
}

TEST_CASE("a gather write sends every buffer in order", "[transports][stream]") {
    auto scheme = GENERATE(as<std::string>{}, "tcp", "uring");
    INFO("transport " << scheme);
    run_coroutine([&]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        auto l = listen(ex, loopback(scheme));
        auto client = co_await connect(l.url());
        auto server_side = co_await l.async_accept();
        std::string a = "header:", b = "body-", c = "trailer";
        std::array<asio::const_buffer, 3> parts{asio::buffer(a), asio::buffer(b), asio::buffer(c)};
        co_await asio::async_write(client, parts, asio::use_awaitable);
        std::string in(a.size() + b.size() + c.size(), '\0');
        co_await asio::async_read(server_side, asio::buffer(in), asio::use_awaitable);
        CHECK(in == "header:body-trailer");
    });
}

TEST_CASE("an echo server serves 500 concurrent connections", "[transports][stream]") {
    auto scheme = GENERATE(as<std::string>{}, "tcp", "uring");
    INFO("transport " << scheme);
    run_coroutine([&]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        auto server = make_echo(scheme, ex);
        server.start();
        constexpr std::size_t connections = 500;
        std::vector<any_stream> clients;
        for (std::size_t i = 0; i < connections; ++i) clients.push_back(co_await connect(server.url()));
        // Every connection is open at once, then each does a round trip concurrently.
        std::vector<asio::awaitable<void>> round_trips;
        std::size_t echoed = 0;
        for (std::size_t i = 0; i < connections; ++i)
            round_trips.push_back([](any_stream& s, std::size_t id, std::size_t& ok) -> asio::awaitable<void> {
                auto out = pattern(64, static_cast<std::uint8_t>(id));
                std::vector<std::uint8_t> in(out.size());
                co_await asio::async_write(s, asio::buffer(out), asio::use_awaitable);
                co_await asio::async_read(s, asio::buffer(in), asio::use_awaitable);
                if (in == out) ++ok;
            }(clients[i], i, echoed));
        co_await when_all(std::move(round_trips));
        CHECK(echoed == connections);
        CHECK(server.accepted() == connections);
        CHECK(server.connections() == connections);
        for (auto& c : clients) c.close();
        co_await server.stop();
        CHECK(server.connections() == 0);
    });
}

TEST_CASE("a peer closing mid-read ends the read with eof", "[transports][stream]") {
    auto scheme = GENERATE(as<std::string>{}, "tcp", "uring");
    INFO("transport " << scheme);
    run_coroutine([&]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        auto l = listen(ex, loopback(scheme));
        auto client = co_await connect(l.url());
        auto server_side = co_await l.async_accept();
        std::string partial = "half a mess";
        co_await asio::async_write(server_side, asio::buffer(partial), asio::use_awaitable);
        server_side.close();
        std::array<char, 64> buf{};
        std::size_t got = 0;
        boost::system::error_code ec;
        while (!ec) {
            auto [e, n] = co_await client.async_read_some(asio::buffer(buf), asio::as_tuple(asio::use_awaitable));
            ec = e;
            got += n;
        }
        CHECK(got == partial.size()); // buffered data first, then eof
        CHECK(ec == asio::error::eof);
    });
}

TEST_CASE("cancelling a stream aborts its pending read and leaves it usable", "[transports][stream]") {
    auto scheme = GENERATE(as<std::string>{}, "tcp", "uring");
    INFO("transport " << scheme);
    run_coroutine([&]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        auto l = listen(ex, loopback(scheme));
        auto client = co_await connect(l.url());
        auto server_side = co_await l.async_accept();
        boost::system::error_code read_ec;
        task_group tasks(ex);
        // Named: a temporary closure would die before its coroutine (lambda-coroutine fiasco).
        auto task_body = [&]() -> asio::awaitable<void> {
            std::array<char, 16> buf{};
            auto [ec, n] = co_await client.async_read_some(asio::buffer(buf), asio::as_tuple(asio::use_awaitable));
            read_ec = ec;
        };
        tasks.spawn(task_body());
        co_await yield(3);
        client.cancel();
        co_await tasks.join();
        CHECK(read_ec == asio::error::operation_aborted);
        // Still connected: a write goes through.
        std::string msg = "still here";
        co_await asio::async_write(client, asio::buffer(msg), asio::use_awaitable);
        std::string in(msg.size(), '\0');
        co_await asio::async_read(server_side, asio::buffer(in), asio::use_awaitable);
        CHECK(in == msg);
    });
}

TEST_CASE("a pending read is cancelled by its deadline with timed_out", "[transports][stream][deadline]") {
    auto scheme = GENERATE(as<std::string>{}, "tcp", "uring");
    INFO("transport " << scheme);
    manual_clock clock;
    run_coroutine([&]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        auto l = listen(ex, loopback(scheme));
        timed_stream<any_stream> client(co_await connect(l.url()), clock);
        auto server_side = co_await l.async_accept();
        client.read_timeout(5s);
        boost::system::error_code read_ec;
        task_group tasks(ex);
        // Named: a temporary closure would die before its coroutine (lambda-coroutine fiasco).
        auto task_body = [&]() -> asio::awaitable<void> {
            std::array<char, 16> buf{};
            auto [ec, n] = co_await client.async_read_some(asio::buffer(buf), asio::as_tuple(asio::use_awaitable));
            read_ec = ec;
        };
        tasks.spawn(task_body());
        co_await yield(3);
        clock.advance(4s);
        co_await yield(3);
        CHECK_FALSE(client.expired());
        clock.advance(1s);
        co_await tasks.join();
        CHECK(read_ec == asio::error::timed_out);
        CHECK(client.expired());
    });
}

TEST_CASE("reads that keep completing never trip the per-read deadline", "[transports][stream][deadline]") {
    auto scheme = GENERATE(as<std::string>{}, "tcp", "uring");
    INFO("transport " << scheme);
    manual_clock clock;
    run_coroutine([&]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        auto l = listen(ex, loopback(scheme));
        timed_stream<any_stream> client(co_await connect(l.url()), clock);
        auto server_side = co_await l.async_accept();
        client.read_timeout(5s);
        for (int i = 0; i < 20; ++i) {
            char byte = static_cast<char>(i);
            co_await asio::async_write(server_side, asio::buffer(&byte, 1), asio::use_awaitable);
            char in = 0;
            co_await asio::async_read(client, asio::buffer(&in, 1), asio::use_awaitable);
            CHECK(in == byte);
            clock.advance(4s); // 80 s in all, but never 5 s within one read
        }
        CHECK_FALSE(client.expired());
    });
}

TEST_CASE("an echo server closes a connection idle past its read timeout", "[transports][stream][deadline]") {
    auto scheme = GENERATE(as<std::string>{}, "tcp", "uring");
    INFO("transport " << scheme);
    manual_clock clock;
    run_coroutine([&]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        echo::server_options o;
        o.read_timeout = 30s;
        auto server = make_echo(scheme, ex, o, clock);
        server.start();
        auto client = co_await connect(server.url());
        for (int i = 0; i < 20 && server.connections() == 0; ++i) co_await yield();
        REQUIRE(server.connections() == 1);
        clock.advance(31s);
        std::array<char, 8> buf{};
        auto [ec, n] = co_await client.async_read_some(asio::buffer(buf), asio::as_tuple(asio::use_awaitable));
        CHECK((ec == asio::error::eof || ec == asio::error::connection_reset));
        CHECK(server.connections() == 0);
        co_await server.stop();
    });
}

TEST_CASE("stopping an echo server joins every session and closes every socket", "[transports][stream]") {
    auto scheme = GENERATE(as<std::string>{}, "tcp", "uring");
    INFO("transport " << scheme);
    run_coroutine([&]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        auto server = make_echo(scheme, ex);
        server.start();
        std::vector<any_stream> clients;
        for (int i = 0; i < 10; ++i) clients.push_back(co_await connect(server.url()));
        for (int i = 0; i < 50 && server.connections() < 10; ++i) co_await yield();
        REQUIRE(server.connections() == 10);
        co_await server.stop();
        CHECK(server.connections() == 0);
        for (auto& c : clients) {
            std::array<char, 8> buf{};
            auto [ec, n] = co_await c.async_read_some(asio::buffer(buf), asio::as_tuple(asio::use_awaitable));
            CHECK((ec == asio::error::eof || ec == asio::error::connection_reset));
        }
        // The port is closed too: a new connection is refused.
        CHECK_THROWS_AS(co_await connect(server.url()), boost::system::system_error);
    });
}

TEST_CASE("listening on a port in use fails with an error naming the URL", "[transports][stream]") {
    auto scheme = GENERATE(as<std::string>{}, "tcp", "uring");
    INFO("transport " << scheme);
    asio::io_context ctx;
    auto first = listen(ctx.get_executor(), loopback(scheme));
    try {
        listen(ctx.get_executor(), first.url());
        FAIL("second listen on " << first.url() << " succeeded");
    } catch (const boost::system::system_error& e) {
        CHECK(e.code() == asio::error::address_in_use);
        CHECK_THAT(e.what(), Catch::Contains(first.url()));
        CHECK_THAT(e.what(), Catch::Contains("in use"));
    }
}

TEST_CASE("connecting to a closed port fails with an error naming the URL", "[transports][stream]") {
    auto scheme = GENERATE(as<std::string>{}, "tcp", "uring");
    INFO("transport " << scheme);
    std::string url;
    {
        asio::io_context ctx;
        url = listen(ctx.get_executor(), loopback("tcp")).url(); // grab a free port, then release it
    }
    url = scheme + url.substr(url.find("://"));
    run_coroutine([&]() -> asio::awaitable<void> {
        try {
            co_await connect(url);
            FAIL("connected to a closed port");
        } catch (const boost::system::system_error& e) {
            CHECK(e.code() == asio::error::connection_refused);
            CHECK_THAT(e.what(), Catch::Contains(url));
        }
    });
}
