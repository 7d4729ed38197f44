// Retained messages: the broker keeps the last message published with retain
// on each topic, and a new subscription gets those it matches first, marked.
#include "pubsub/broker_support.hpp"

#include <fmt/format.h>

#include <map>

using namespace coronet;
using coronet::test::with_broker;

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
            co_await pub.publish_retained("r.three", "3");              // a third topic: refused
            co_await pub.publish_retained("r.one", std::string(5000, 'x')); // over the bytes: refused
            co_await pub.publish_retained("r.two", "2b");                // replacing is fine
            co_await pub.flush();
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
