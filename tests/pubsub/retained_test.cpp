// Retained messages: the broker keeps the last message published with retain
// on each topic, and a new subscription gets those it matches first, marked.
#include "pubsub/broker_support.hpp"
#include "pubsub/raw_client.hpp"

#include <fmt/format.h>

#include <cstring>
#include <map>

using namespace coronet;
using coronet::test::with_broker;
namespace wire = coronet::pubsub::wire;

TEST_CASE("a new subscriber first gets the last retained message of every topic it matches, marked retained",
          "[pubsub][retained]") {
    with_broker("tcp", [](pubsub::broker& b) -> asio::awaitable<void> {
        auto pub = co_await pubsub::client::connect(b.url());
        co_await pub.publish_retained("config.db", "v1");
        co_await pub.publish_retained("config.db", "v2"); // replaces v1
        co_await pub.publish_retained("config.cache", "c1");
        co_await pub.publish_retained("other.thing", "o1");
        co_await pub.publish("config.db", "not retained"); // goes to nobody; keeps v2
        co_await pub.flush();
        CHECK(b.counters().retained == 3);

        auto sub_client = co_await pubsub::client::connect(b.url());
        auto config = co_await sub_client.subscribe("config.>");
        co_await pub.publish("config.db", "live");
        std::map<std::string, std::string> retained;
        for (int i = 0; i < 2; ++i) {
            auto m = co_await config.next();
            CHECK(m.retained);
            CHECK(m.seq == static_cast<std::uint64_t>(i + 1)); // counted like any match
            retained[m.topic] = std::string(m.text());
        }
        CHECK(retained == std::map<std::string, std::string>{{"config.cache", "c1"}, {"config.db", "v2"}});
        auto live = co_await config.next();
        CHECK(live.text() == "live");
        CHECK_FALSE(live.retained);
        CHECK(config.missed() == 0);
    });
}

TEST_CASE("an empty retained publish forgets the topic's retained message, and queue groups get none",
          "[pubsub][retained]") {
    with_broker("tcp", [](pubsub::broker& b) -> asio::awaitable<void> {
        auto pub = co_await pubsub::client::connect(b.url());
        co_await pub.publish_retained("state.a", "kept");
        co_await pub.publish_retained("state.b", "forgotten");
        co_await pub.publish_retained("state.b", "");
        co_await pub.flush();
        CHECK(b.counters().retained == 1);

        auto c = co_await pubsub::client::connect(b.url());
        auto plain = co_await c.subscribe("state.*");
        auto worker = co_await c.subscribe("state.*", "workers");
        co_await pub.publish("state.c", "marker");
        auto first = co_await plain.next();
        CHECK(first.text() == "kept");
        CHECK(first.retained);
        auto second = co_await plain.next();
        CHECK(second.text() == "marker");
        auto w = co_await worker.next(); // the group member starts at live traffic
        CHECK(w.text() == "marker");
        CHECK_FALSE(w.retained);
    });
}

TEST_CASE("retained messages beyond the broker's bounds are refused, and what is retained stays intact",
          "[pubsub][retained]") {
    pubsub::broker_options o;
    o.retained_topics_max = 2;
    o.retained_bytes_max = 4096;
    with_broker(
        "tcp",
        [](pubsub::broker& b) -> asio::awaitable<void> {
            auto pub = co_await pubsub::client::connect(b.url());
            co_await pub.publish_retained("r.one", "1");
            co_await pub.publish_retained("r.two", "2");
            // Refusals come back to the call that caused them.
            std::vector<wire::error_code> refused;
            for (auto [topic, text] : std::vector<std::pair<std::string, std::string>>{
                     {"r.three", "3"}, {"r.one", std::string(5000, 'x')}}) { // a third topic; over the bytes
                std::optional<wire::error_code> code;
                try {
                    co_await pub.publish_retained(topic, text);
                } catch (const pubsub::broker_error& e) {
                    code = e.code();
                }
                if (code) refused.push_back(*code);
            }
            CHECK(refused == std::vector<wire::error_code>{wire::error_code::limit, wire::error_code::limit});
            co_await pub.publish_retained("r.two", "2b"); // replacing is fine
            auto later = co_await pub.subscribe("unrelated"); // and the next request is not blamed
            (void)later;
            auto c = b.counters();
            CHECK(c.retained == 2);
            CHECK(c.refused == 2);
            auto sub_client = co_await pubsub::client::connect(b.url());
            auto all = co_await sub_client.subscribe("r.*");
            std::map<std::string, std::string> got;
            for (int i = 0; i < 2; ++i) {
                auto m = co_await all.next();
                got[m.topic] = std::string(m.text());
            }
            CHECK(got == std::map<std::string, std::string>{{"r.one", "1"}, {"r.two", "2b"}});
        },
        o);
}

TEST_CASE("a client that does not announce retained_msg gets retained messages as plain msg frames",
          "[pubsub][retained]") {
    coronet::test::broker_thread b;
    {
        coronet::test::raw_client pub(b.url());
        pub.send(wire::publish{"news.today", {}, wire::as_bytes("headline"), true});
        REQUIRE(pub.ping());
    }
    auto first_message = [&](bool announces) {
        coronet::test::raw_client c(b.url());
        wire::hello h;
        h.retained_aware = announces;
        c.send(h);
        c.send(wire::sub{1, "news.*", {}});
        auto m = c.next();
        REQUIRE(m);
        REQUIRE(m->op == wire::op::msg);
        CHECK(m->text == "headline");
        return m->retained;
    };
    CHECK_FALSE(first_message(false)); // op 16: what clients older than op 19 read
    CHECK(first_message(true));        // op 19
}

TEST_CASE("hello's flags byte is optional, and flags this broker does not know are ignored", "[pubsub][retained]") {
    auto decode_hello = [](std::vector<std::byte> frame) {
        frame.erase(frame.begin(), frame.begin() + wire::length_bytes);
        return std::get<wire::hello>(wire::decode(frame));
    };
    std::vector<std::byte> plain;
    wire::encode(plain, wire::hello{pubsub::overflow_policy::drop_newest, 7, 9});
    CHECK(plain.size() == wire::length_bytes + 1 + 1 + 4 + 4); // no flags byte when no flag is set
    auto h = decode_hello(plain);
    CHECK_FALSE(h.backpressure);
    CHECK_FALSE(h.retained_aware);
    CHECK(h.queue_messages == 7);

    std::vector<std::byte> both;
    wire::encode(both, wire::hello{pubsub::overflow_policy::drop_oldest, 0, 0, true, true});
    h = decode_hello(both);
    CHECK(h.backpressure);
    CHECK(h.retained_aware);

    auto later = plain;
    later.push_back(std::byte{0x80 | wire::hello::retained_flag}); // a flag from a later version, and a known one
    std::uint32_t n = static_cast<std::uint32_t>(later.size() - wire::length_bytes);
    std::memcpy(later.data(), &n, sizeof n);
    h = decode_hello(later);
    CHECK(h.retained_aware);
    CHECK_FALSE(h.backpressure);

    auto extra = later;
    extra.push_back(std::byte{0});
    CHECK_THROWS_AS(decode_hello(extra), wire::protocol_error); // still bounded: nothing after the flags

    std::vector<std::byte> retained;
    wire::encode(retained, wire::publish{"t", {}, wire::as_bytes("x"), true});
    retained.erase(retained.begin(), retained.begin() + wire::length_bytes);
    CHECK(std::get<wire::publish>(wire::decode(retained)).retain);
}
