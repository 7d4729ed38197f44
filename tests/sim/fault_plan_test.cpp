#include <coronet/transports/fault/plan.hpp>

#include <catch2/catch.hpp>

using namespace coronet;
using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

std::string parse_error(std::string_view query) {
    try {
        fault::parse_plan(query);
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return "accepted";
}

} // namespace

TEST_CASE("parse_plan reads every key of a fault query", "[sim][fault]") {
    auto p = fault::parse_plan("?drop=0.1&delay=5ms&jitter=200us&dup=0.05&reorder=0.25&reorder_window=1s"
                               "&reset=0.5&reset_after=4096&rto=300ms&seed=7"
                               "&block=127.0.0.1:7001,127.0.0.1:7002,10.0.0.9,[::1]:80");
    auto s = p.get();
    CHECK(s.drop == 0.1);
    CHECK(s.delay == 5ms);
    CHECK(s.jitter == 200us);
    CHECK(s.duplicate == 0.05);
    CHECK(s.reorder == 0.25);
    CHECK(s.reorder_window == 1s);
    CHECK(s.reset == 0.5);
    REQUIRE(s.reset_after);
    CHECK(*s.reset_after == 4096);
    CHECK(s.rto == 300ms);
    CHECK(s.seed == 7);
    auto loopback = asio::ip::make_address("127.0.0.1");
    CHECK(p.blocks(loopback, 7001));
    CHECK(p.blocks(loopback, 7002));
    CHECK_FALSE(p.blocks(loopback, 7003));
    CHECK(p.blocks(asio::ip::make_address("10.0.0.9"), 1)); // no port: every port
    CHECK(p.blocks(asio::ip::make_address("::1"), 80));
    CHECK(p.blocked().size() == 4);
}

TEST_CASE("parse_plan of an empty query is a plan without faults", "[sim][fault]") {
    for (auto q : {"", "?", "&&"}) {
        auto s = fault::parse_plan(q).get();
        CHECK(s.drop == 0);
        CHECK(s.delay == 0ms);
        CHECK_FALSE(s.reset_after);
    }
    CHECK(fault::parse_plan("duplicate=1").get().duplicate == 1); // the long name works too
}

TEST_CASE("parse_plan rejects unknown keys and bad values with a message naming them", "[sim][fault]") {
    CHECK_THAT(parse_error("lose=0.1"), Catch::Contains("unknown key 'lose'") && Catch::Contains("known: drop"));
    CHECK_THAT(parse_error("drop=1.5"), Catch::Contains("drop=1.5") && Catch::Contains("[0, 1]"));
    CHECK_THAT(parse_error("drop=-0.1"), Catch::Contains("[0, 1]"));
    CHECK_THAT(parse_error("drop=often"), Catch::Contains("drop=often") && Catch::Contains("not a number"));
    CHECK_THAT(parse_error("dup=nan"), Catch::Contains("[0, 1]"));
    CHECK_THAT(parse_error("delay=5"), Catch::Contains("delay=5") && Catch::Contains("needs a unit"));
    CHECK_THAT(parse_error("delay=5min"), Catch::Contains("unknown unit 'min'"));
    CHECK_THAT(parse_error("delay=-5ms"), Catch::Contains("delay=-5ms"));
    CHECK_THAT(parse_error("jitter=2h"), Catch::Contains("unknown unit"));
    CHECK_THAT(parse_error("jitter=3601s"), Catch::Contains("at most 1h"));
    CHECK_THAT(parse_error("reset_after=4k"), Catch::Contains("reset_after=4k") && Catch::Contains("integer"));
    CHECK_THAT(parse_error("seed="), Catch::Contains("seed="));
    CHECK_THAT(parse_error("block=localhost:80"), Catch::Contains("not an IP address"));
    CHECK_THAT(parse_error("block=127.0.0.1:99999"), Catch::Contains("port"));
    CHECK_THAT(parse_error("block=::1:80"), Catch::Contains("[addr]"));
    CHECK_THAT(parse_error("drop"), Catch::Contains("'drop' is not key=value"));
    CHECK_THAT(parse_error("drop=0.1&drop=0.2"), Catch::Contains("given twice"));
    CHECK_THAT(parse_error("dup=0.1&duplicate=0.2"), Catch::Contains("given twice"));
}

TEST_CASE("plans with the same seed make the same decisions", "[sim][fault]") {
    fault::settings s;
    s.drop = 0.3;
    s.duplicate = 0.2;
    s.reorder = 0.1;
    s.jitter = 10ms;
    s.seed = 42;
    fault::plan a(s), b(s);
    asio::ip::udp::endpoint to(asio::ip::make_address("127.0.0.1"), 9);
    int differences = 0;
    for (int i = 0; i < 1000; ++i) {
        auto x = a.next_datagram(to);
        auto y = b.next_datagram(to);
        differences += x.lost != y.lost || x.copies != y.copies || x.delay != y.delay || x.hold_back != y.hold_back;
    }
    CHECK(differences == 0);
    CHECK(a.counts().dropped == b.counts().dropped);
    CHECK(a.counts().dropped > 0);

    // A copy carries on from the same point of the sequence.
    fault::plan c(a);
    CHECK(c.next_datagram(to).delay == a.next_datagram(to).delay);
}

TEST_CASE("a plan changed at run time validates the change and keeps the old settings on error",
          "[sim][fault]") {
    fault::plan p;
    p.change([](fault::settings& s) { s.drop = 1; });
    asio::ip::udp::endpoint to(asio::ip::make_address("127.0.0.1"), 9);
    CHECK(p.next_datagram(to).lost);
    CHECK_THROWS_WITH(p.change([](fault::settings& s) {
        s.drop = 0;
        s.duplicate = 2;
    }),
                      Catch::Contains("duplicate"));
    CHECK(p.get().drop == 1); // the half-made edit was not applied
    p.change([](fault::settings& s) { s.drop = 0; });
    CHECK_FALSE(p.next_datagram(to).lost);
    CHECK_THROWS_AS(fault::plan(fault::settings{.drop = 2}), std::invalid_argument);
}

TEST_CASE("reset_after lets a connection send exactly that many bytes", "[sim][fault]") {
    fault::plan p(fault::settings{.reset_after = 100});
    auto first = p.next_write(0);
    CHECK_FALSE(first.reset);
    CHECK(first.bytes_max == 100);
    CHECK(p.next_write(60).bytes_max == 40);
    CHECK(p.next_write(100).reset);
}

TEST_CASE("a blocked address without a port cuts off every port, including its v4-mapped form",
          "[sim][fault]") {
    fault::plan p;
    auto host = asio::ip::make_address("10.1.2.3");
    p.block(fault::peer{host});
    CHECK(p.blocks(host, 1));
    CHECK(p.blocks(asio::ip::make_address("::ffff:10.1.2.3"), 80));
    CHECK_FALSE(p.blocks(asio::ip::make_address("10.1.2.4"), 1));
    p.unblock(fault::peer{host});
    CHECK_FALSE(p.blocks(host, 1));
    p.block(asio::ip::udp::endpoint(host, 5));
    p.heal();
    CHECK(p.blocked().empty());
}
