#include "test_support.hpp"

#include <coronet/transports/endpoint.hpp>
#include <coronet/transports/stream_datagram.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>

#include <memory>
#include <utility>
#include <vector>

using namespace coronet;
using coronet::test::run_until;
using coronet::test::settle;

namespace {

using received = std::vector<std::pair<asio::ip::udp::endpoint, std::string>>;

/// Receives into `out` until the socket is closed or cancelled; `last_error`
/// holds how the loop ended.
asio::awaitable<void> receive_all(stream_datagram& s, std::shared_ptr<received> out,
                                  std::shared_ptr<boost::system::error_code> last_error) {
    std::vector<char> buf(70'000);
    for (;;) {
        asio::ip::udp::endpoint from;
        auto [ec, n] = co_await s.async_receive_from(asio::buffer(buf), from, asio::as_tuple(asio::use_awaitable));
        if (ec) {
            *last_error = ec;
            co_return;
        }
        out->emplace_back(from, std::string(buf.data(), n));
    }
}

struct listening {
    listening(asio::io_context& io, const std::string& scheme, stream_datagram_options o = {})
        : socket(io.get_executor(), scheme + "://127.0.0.1:0", o) {
        asio::co_spawn(io, receive_all(socket, got, ended), asio::detached);
    }
    stream_datagram socket;
    std::shared_ptr<received> got = std::make_shared<received>();
    std::shared_ptr<boost::system::error_code> ended = std::make_shared<boost::system::error_code>();
};

void send(asio::io_context& io, stream_datagram& from, const std::string& bytes, const asio::ip::udp::endpoint& to) {
    from.async_send_to(asio::buffer(bytes), to, [](boost::system::error_code ec, std::size_t) { CHECK(!ec); });
    (void)io;
}

/// Connects a plain stream to `s` and writes `bytes` on it; true once the
/// other side has closed it.
std::shared_ptr<bool> raw_client(asio::io_context& io, const stream_datagram& s, std::string bytes) {
    auto closed = std::make_shared<bool>(false);
    auto url = "tcp://127.0.0.1:" + std::to_string(s.local_endpoint().port());
    asio::co_spawn(
        io,
        [url, bytes, closed]() -> asio::awaitable<void> {
            auto c = co_await coronet::connect(url);
            co_await asio::async_write(c, asio::buffer(bytes), asio::use_awaitable);
            std::array<char, 16> buf{};
            for (;;) {
                auto [ec, n] = co_await c.async_read_some(asio::buffer(buf), any_stream::awaitable_result_t{});
                if (ec) break;
            }
            *closed = true;
        },
        asio::detached);
    return closed;
}

std::string hello(std::uint16_t port) { return std::string("CNDG\x01\x00", 6) + char(port & 0xff) + char(port >> 8); }

std::string frame(const std::string& body) {
    std::string f;
    for (int i = 0; i < 4; ++i) f.push_back(static_cast<char>((body.size() >> (8 * i)) & 0xff));
    return f + body;
}

} // namespace

TEST_CASE("datagrams over a stream transport keep boundaries and order and name the sender's listening address",
          "[transports][stream_datagram]") {
    auto scheme = GENERATE(as<std::string>{}, "tcp", "uring");
    asio::io_context io;
    listening a(io, scheme), b(io, scheme);
    std::vector<std::string> sent{"one", "", "two two", std::string(65507, 'x'), "three"};
    for (int i = 0; i < 200; ++i) sent.push_back("m" + std::to_string(i));
    for (const auto& m : sent) send(io, a.socket, m, b.socket.local_endpoint());
    REQUIRE(run_until(io, [&] { return b.got->size() == sent.size(); }));
    for (std::size_t i = 0; i < sent.size(); ++i) {
        CHECK((*b.got)[i].second == sent[i]);
        CHECK((*b.got)[i].first == a.socket.local_endpoint()); // not the connection's ephemeral port
    }
    // The address a message came from is where the reply goes.
    send(io, b.socket, "reply", b.got->front().first);
    REQUIRE(run_until(io, [&] { return a.got->size() == 1; }));
    CHECK(a.got->front().second == "reply");
    CHECK(a.socket.stats().sent == sent.size());
    CHECK(b.socket.stats().sent == 1);
    CHECK(b.socket.stats().received == sent.size());
    CHECK(a.socket.connections() == 1);
    CHECK(b.socket.stats().accepted == 1);
}

TEST_CASE("datagrams over streams refuse a send beyond datagram_bytes_max and report a message larger than the "
          "receive buffer",
          "[transports][stream_datagram]") {
    test::run_coroutine([]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        auto a = open_datagram(ex, "tcp://127.0.0.1:0", 1200);
        auto b = open_datagram(ex, "tcp://127.0.0.1:0");
        std::vector<char> big(1201, 'x');
        auto [ec, n] = co_await a.async_send_to(asio::buffer(big), b.local_endpoint(), asio::as_tuple(asio::use_awaitable));
        CHECK(ec == asio::error::message_size);
        CHECK(n == 0);
        std::vector<char> limit(1200, 'y');
        CHECK(co_await a.async_send_to(asio::buffer(limit), b.local_endpoint()) == 1200);
        std::array<char, 100> small{};
        asio::ip::udp::endpoint from;
        auto [rec, got] = co_await b.async_receive_from(asio::buffer(small), from, asio::as_tuple(asio::use_awaitable));
        CHECK(rec == asio::error::message_size);
        CHECK(got == small.size());
        CHECK(std::string(small.data(), got) == std::string(100, 'y'));
    });
}

TEST_CASE("datagrams over streams drop what is sent to a destination that refuses connections, and pause sending "
          "to it",
          "[transports][stream_datagram]") {
    asio::io_context io;
    stream_datagram_options o;
    o.failed_peer_pause = std::chrono::seconds(30);
    listening a(io, "tcp", o), live(io, "tcp");
    asio::ip::udp::endpoint gone;
    {
        stream_datagram closed_one(io.get_executor(), "tcp://127.0.0.1:0");
        gone = closed_one.local_endpoint();
    } // nothing listens there now
    send(io, a.socket, "lost", gone);
    REQUIRE(run_until(io, [&] { return a.socket.stats().connect_failures == 1; }));
    CHECK(a.socket.stats().dropped_out == 1);
    // Within the pause: dropped at once, no new connection attempt.
    for (int i = 0; i < 5; ++i) send(io, a.socket, "also lost", gone);
    settle(io);
    CHECK(a.socket.stats().connect_failures == 1);
    CHECK(a.socket.stats().dropped_out == 6);
    // Other destinations are unaffected.
    send(io, a.socket, "fine", live.socket.local_endpoint());
    REQUIRE(run_until(io, [&] { return live.got->size() == 1; }));
    CHECK(live.got->front().second == "fine");
}

TEST_CASE("datagrams over streams close a connection that does not open with a hello or sends an oversize "
          "message, and go on serving others",
          "[transports][stream_datagram]") {
    asio::io_context io;
    stream_datagram_options o;
    o.datagram_bytes_max = 1000;
    listening b(io, "tcp", o), a(io, "tcp");
    auto port = a.socket.local_endpoint().port();
    auto bad_magic = raw_client(io, b.socket, "HTTP/1.1 GET /\r\n\r\n");
    auto port_zero = raw_client(io, b.socket, hello(0));
    auto oversize = raw_client(io, b.socket, hello(port) + frame("ok") + frame(std::string(1001, 'z')));
    REQUIRE(run_until(io, [&] { return *bad_magic && *port_zero && *oversize; }));
    CHECK(b.socket.stats().malformed == 3);
    // The frame before the oversize one was delivered, with the announced port.
    REQUIRE(b.got->size() == 1);
    CHECK(b.got->front().second == "ok");
    CHECK(b.got->front().first == a.socket.local_endpoint());
    send(io, a.socket, "still here", b.socket.local_endpoint());
    REQUIRE(run_until(io, [&] { return b.got->size() == 2; }));
    CHECK(b.got->back().second == "still here");
}

TEST_CASE("datagrams over streams drop the newest messages when the inbox is full, and count them",
          "[transports][stream_datagram]") {
    asio::io_context io;
    stream_datagram_options o;
    o.inbox_msgs_max = 4;
    stream_datagram b(io.get_executor(), "tcp://127.0.0.1:0", o); // nobody receives yet
    stream_datagram a(io.get_executor(), "tcp://127.0.0.1:0");
    for (int i = 0; i < 10; ++i) send(io, a, std::to_string(i), b.local_endpoint());
    REQUIRE(run_until(io, [&] { return b.stats().dropped_in == 6; }));
    auto got = std::make_shared<received>();
    auto ended = std::make_shared<boost::system::error_code>();
    asio::co_spawn(io, receive_all(b, got, ended), asio::detached);
    REQUIRE(run_until(io, [&] { return got->size() == 4; }));
    for (int i = 0; i < 4; ++i) CHECK((*got)[i].second == std::to_string(i));
    settle(io);
    CHECK(got->size() == 4);
}

TEST_CASE("datagrams over streams keep at most peers_max connections, closing the least recently used",
          "[transports][stream_datagram]") {
    asio::io_context io;
    stream_datagram_options o;
    o.peers_max = 2;
    listening a(io, "tcp", o), b(io, "tcp"), c(io, "tcp"), d(io, "tcp");
    send(io, a.socket, "to b", b.socket.local_endpoint());
    send(io, a.socket, "to c", c.socket.local_endpoint());
    REQUIRE(run_until(io, [&] { return b.got->size() == 1 && c.got->size() == 1; }));
    send(io, a.socket, "to b again", b.socket.local_endpoint()); // c is now the least recently used
    send(io, a.socket, "to d", d.socket.local_endpoint());
    REQUIRE(run_until(io, [&] { return b.got->size() == 2 && d.got->size() == 1; }));
    CHECK(a.socket.connections() == 2);
    CHECK(a.socket.stats().connects == 3);
    send(io, a.socket, "to c again", c.socket.local_endpoint());
    REQUIRE(run_until(io, [&] { return c.got->size() == 2; }));
    CHECK(a.socket.stats().connects == 4); // c's connection had been closed
    CHECK(a.socket.connections() == 2);
}

TEST_CASE("datagrams over streams close an idle connection and reconnect on the next send",
          "[transports][stream_datagram]") {
    asio::io_context io;
    stream_datagram_options o;
    o.idle_timeout = std::chrono::milliseconds(50);
    listening a(io, "tcp", o), b(io, "tcp");
    send(io, a.socket, "first", b.socket.local_endpoint());
    REQUIRE(run_until(io, [&] { return b.got->size() == 1; }));
    REQUIRE(run_until(io, [&] { return a.socket.connections() == 0; }));
    send(io, a.socket, "second", b.socket.local_endpoint());
    REQUIRE(run_until(io, [&] { return b.got->size() == 2; }));
    CHECK(a.socket.stats().connects == 2);
    CHECK(a.socket.stats().dropped_out == 0);
}

TEST_CASE("closing a datagrams-over-streams socket ends a pending receive with operation_aborted and refuses later "
          "calls",
          "[transports][stream_datagram]") {
    asio::io_context io;
    listening a(io, "uring");
    settle(io);
    a.socket.cancel();
    REQUIRE(run_until(io, [&] { return *a.ended == asio::error::operation_aborted; }));
    listening b(io, "tcp");
    settle(io);
    b.socket.close();
    REQUIRE(run_until(io, [&] { return *b.ended == asio::error::operation_aborted; }));
    CHECK(!b.socket.is_open());
    boost::system::error_code later;
    b.socket.async_send_to(asio::buffer("x", 1), a.socket.local_endpoint(),
                           [&](boost::system::error_code ec, std::size_t) { later = ec; });
    REQUIRE(run_until(io, [&] { return bool(later); }));
    CHECK(later == asio::error::bad_descriptor);
}
