#include <coronet/transports/endpoint.hpp>
#include <coronet/transports/url.hpp>

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

using namespace coronet;

TEST_CASE("endpoint URLs parse for every scheme with IPv4, IPv6 and localhost", "[transports][url]") {
    auto a = parse_url("tcp://127.0.0.1:7000");
    CHECK(a.scheme == scheme::tcp);
    CHECK(a.port == 7000);
    CHECK(a.address == asio::ip::make_address("127.0.0.1"));
    auto b = parse_url("uring://[::1]:0");
    CHECK(b.scheme == scheme::uring);
    CHECK(b.address.is_v6());
    CHECK(b.str() == "uring://[::1]:0");
    auto c = parse_url("udp://localhost:53");
    CHECK(c.scheme == scheme::udp);
    CHECK(c.address == asio::ip::address_v4::loopback());
}

TEST_CASE("malformed endpoint URLs are rejected with a message naming the problem", "[transports][url]") {
    using Catch::Contains;
    CHECK_THROWS_WITH(parse_url("127.0.0.1:7000"), Contains("missing '://'"));
    CHECK_THROWS_WITH(parse_url("http://127.0.0.1:80"), Contains("unknown scheme 'http'"));
    CHECK_THROWS_WITH(parse_url("tcp://127.0.0.1"), Contains("missing ':port'"));
    CHECK_THROWS_WITH(parse_url("tcp://127.0.0.1:70000"), Contains("port must be a number"));
    CHECK_THROWS_WITH(parse_url("tcp://127.0.0.1:7x"), Contains("port must be a number"));
    CHECK_THROWS_WITH(parse_url("tcp://:7000"), Contains("empty host"));
    CHECK_THROWS_WITH(parse_url("tcp://[::1:7000"), Contains("unclosed '['"));
    CHECK_THROWS_WITH(parse_url("tcp://example.org:80"), Contains("IP address or localhost"));
}

TEST_CASE("the stream opener refuses udp://, and the datagram opener takes tcp:// as datagrams over connections",
          "[transports][url]") {
    asio::io_context ctx;
    CHECK_THROWS_WITH(listen(ctx.get_executor(), "udp://127.0.0.1:0"), Catch::Contains("datagram transport"));
    auto d = open_datagram(ctx.get_executor(), "tcp://127.0.0.1:0");
    CHECK(d.local_endpoint().port() != 0);
    CHECK(d.datagram_bytes_max() == udp::socket::datagram_bytes_limit);
    d.close();
}
