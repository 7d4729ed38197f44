// Broken and hostile clients: each gets an error frame and loses only its
// own connection; the broker goes on serving everyone else.
#include "pubsub/broker_support.hpp"
#include "pubsub/raw_client.hpp"

#include <cstring>

using namespace coronet;
using coronet::test::broker_thread;
using coronet::test::raw_client;
namespace wire = coronet::pubsub::wire;

namespace {

std::vector<std::byte> frame_with_body(std::uint32_t length, std::vector<std::uint8_t> body) {
    std::vector<std::byte> out(4 + body.size());
    std::memcpy(out.data(), &length, 4);
    if (!body.empty()) std::memcpy(out.data() + 4, body.data(), body.size());
    return out;
}

/// A well-behaved client still gets its messages.
void check_still_serving(broker_thread& b) {
    raw_client sub(b.url());
    sub.send(wire::sub{7, "alive.>", {}});
    REQUIRE(sub.ping());
    raw_client pub(b.url());
    std::string hello = "still here";
    pub.send(wire::publish{"alive.check", {}, wire::as_bytes(hello)});
    auto m = sub.next();
    REQUIRE(m);
    CHECK(m->op == wire::op::msg);
    CHECK(m->sid == 7);
    CHECK(m->text == hello);
}

} // namespace

TEST_CASE("malformed frames get an error frame and close only that client", "[pubsub][hostile]") {
    broker_thread b;
    raw_client bystander(b.url());
    bystander.send(wire::sub{1, "news.>", {}});
    REQUIRE(bystander.ping());
    struct hostile {
        const char* what;
        std::vector<std::byte> bytes;
        const char* reason;
    };
    const std::vector<hostile> cases = {
        {"unknown op", frame_with_body(1, {99}), "unknown op 99"},
        {"length over the limit", frame_with_body(64u << 20, {2}), "exceeds the limit"},
        {"empty frame", frame_with_body(0, {}), "empty frame"},
        {"string running past the end", frame_with_body(4, {2, 200, 0, 'a'}), "ends inside its topic"},
        {"sub with trailing bytes", frame_with_body(13, {3, 1, 0, 0, 0, 1, 0, 'a', 0, 0, 'x', 'y', 'z'}), "too many"},
        {"a frame only the broker sends", frame_with_body(1, {6}), "may not send"},
        {"unknown overflow policy", frame_with_body(10, {1, 9, 0, 0, 0, 0, 0, 0, 0, 0}), "unknown overflow policy"},
    };
    for (auto& c : cases) {
        INFO(c.what);
        raw_client bad(b.url());
        bad.send_bytes(c.bytes);
        auto e = bad.next();
        REQUIRE(e);
        CHECK(e->op == wire::op::error);
        CHECK(e->code == wire::error_code::malformed);
        CHECK_THAT(e->text, Catch::Contains(c.reason));
        CHECK_FALSE(bad.next()); // then closed
    }
    CHECK(b.counters().malformed == cases.size());
    CHECK(bystander.ping()); // untouched
    check_still_serving(b);
}

TEST_CASE("a refused request gets an error frame and the connection stays open", "[pubsub][hostile]") {
    pubsub::broker_options o;
    o.limits.payload_max = 100;
    o.subscriptions_per_connection_max = 3;
    broker_thread b(o);
    raw_client c(b.url());
    std::string big(101, 'x');
    c.send(wire::publish{"a..b", {}, {}});
    c.send(wire::publish{"a.b", {}, wire::as_bytes(big)});
    c.send(wire::sub{1, "a.>.b", {}});
    c.send(wire::unsub{42});
    for (std::uint32_t sid = 10; sid < 14; ++sid) c.send(wire::sub{sid, "ok.topic", {}});
    std::vector<std::pair<wire::error_code, std::string>> errors;
    for (int i = 0; i < 5; ++i) {
        auto e = c.next();
        REQUIRE(e);
        REQUIRE(e->op == wire::op::error);
        errors.emplace_back(e->code, e->text);
    }
    CHECK(errors[0].first == wire::error_code::bad_topic);
    CHECK_THAT(errors[0].second, Catch::Contains("level 2 is empty"));
    CHECK(errors[1].first == wire::error_code::too_large);
    CHECK(errors[2].first == wire::error_code::bad_topic);
    CHECK(errors[3].first == wire::error_code::unknown_sid);
    CHECK(errors[4].first == wire::error_code::limit);
    CHECK(c.ping()); // still open
    CHECK(b.counters().refused == 5);
    CHECK(b.counters().subscriptions == 3);
}

TEST_CASE("a client that leaves in the middle of a frame is dropped cleanly", "[pubsub][hostile]") {
    broker_thread b;
    {
        raw_client c(b.url());
        c.send(wire::sub{1, "x", {}});
        REQUIRE(c.ping());
        c.send_bytes(frame_with_body(1000, {2, 1, 0}));
    }
    CHECK(b.wait_for([](auto c) { return c.connections == 0 && c.subscriptions == 0; }));
    check_still_serving(b);
}
