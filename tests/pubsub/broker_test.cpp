// The broker and its client over real loopback connections.
#include "pubsub/broker_support.hpp"

#include <boost/asio/detached.hpp>

#include <fmt/format.h>

#include <map>

using namespace coronet;
using namespace std::chrono_literals;
using coronet::test::eventually;
using coronet::test::with_broker;
namespace asio = boost::asio;

TEST_CASE("a subscriber receives every matching message in publish order, and nothing else", "[pubsub]") {
    auto scheme = GENERATE(as<std::string>{}, "tcp", "uring");
    with_broker(scheme, [](pubsub::broker& b) -> asio::awaitable<void> {
        auto pub = co_await pubsub::client::connect(b.url());
        auto sub_client = co_await pubsub::client::connect(b.url());
        auto orders = co_await sub_client.subscribe("orders.*");
        for (int i = 1; i <= 200; ++i) {
            co_await pub.publish(fmt::format("orders.{}", i % 7), fmt::format("{}", i));
            if (i % 50 == 0) co_await pub.publish("other.topic", "not for orders.*");
        }
        co_await pub.publish("orders.too.deep", "not for orders.*");
        for (int i = 1; i <= 200; ++i) {
            auto m = co_await orders.next();
            REQUIRE(m.text() == fmt::format("{}", i));
            CHECK(m.topic == fmt::format("orders.{}", i % 7));
            CHECK(m.seq == static_cast<std::uint64_t>(i));
        }
        co_await pub.flush(); // everything routed: nothing else may arrive
        co_await sub_client.flush();
        CHECK(orders.buffered() == 0);
        CHECK(orders.missed() == 0);
        CHECK(b.counters().published == 205);
        CHECK(b.counters().delivered == 200);
    });
}

TEST_CASE("wildcards over the wire: * takes one level, > takes the rest", "[pubsub]") {
    with_broker("tcp", [](pubsub::broker& b) -> asio::awaitable<void> {
        auto c = co_await pubsub::client::connect(b.url());
        auto star = co_await c.subscribe("a.*.c");
        auto tail = co_await c.subscribe("a.>");
        auto exact = co_await c.subscribe("a.b.c");
        for (auto t : {"a.b.c", "a.x.c", "a.b", "a.b.c.d", "a", "b.b.c"}) co_await c.publish(t, t);
        co_await c.flush();
        co_await c.flush(); // the deliveries, sent before the second pong, have arrived
        CHECK(star.buffered() == 2);  // a.b.c, a.x.c
        CHECK(tail.buffered() == 4);  // a.b.c, a.x.c, a.b, a.b.c.d
        CHECK(exact.buffered() == 1); // a.b.c
        auto first = co_await star.next();
        auto second = co_await star.next();
        auto only = co_await exact.next();
        CHECK(first.topic == "a.b.c");
        CHECK(second.topic == "a.x.c");
        CHECK(only.topic == "a.b.c");
    });
}

TEST_CASE("a queue group gives each message to exactly one member, in turn", "[pubsub]") {
    with_broker("tcp", [](pubsub::broker& b) -> asio::awaitable<void> {
        auto c = co_await pubsub::client::connect(b.url());
        std::vector<pubsub::subscription> workers;
        for (int i = 0; i < 3; ++i) workers.push_back(co_await c.subscribe("jobs.>", "workers"));
        auto audit = co_await c.subscribe("jobs.>");
        for (int i = 0; i < 300; ++i) co_await c.publish("jobs.build", fmt::format("{}", i));
        co_await c.flush();
        co_await c.flush();
        std::map<std::string, int> seen;
        for (auto& w : workers) {
            CHECK(w.buffered() == 100);
            while (w.buffered() > 0) {
                auto m = co_await w.next();
                ++seen[std::string(m.text())];
            }
        }
        CHECK(seen.size() == 300); // every job once, no job twice
        CHECK(audit.buffered() == 300);
    });
}

TEST_CASE("request/reply: a responder's answer reaches the requester through its inbox", "[pubsub]") {
    with_broker("tcp", [](pubsub::broker& b) -> asio::awaitable<void> {
        auto server = co_await pubsub::client::connect(b.url());
        auto requests = co_await server.subscribe("svc.upper");
        auto ex = co_await asio::this_coro::executor;
        asio::co_spawn(
            ex,
            [&]() -> asio::awaitable<void> {
                for (int i = 0; i < 3; ++i) {
                    auto m = co_await requests.next();
                    std::string up(m.text());
                    for (auto& ch : up) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
                    co_await server.publish(m.reply_to, up);
                }
            },
            asio::detached);
        auto caller = co_await pubsub::client::connect(b.url());
        for (auto word : {"one", "two", "three"}) {
            auto reply = co_await caller.request("svc.upper", word, 5s);
            std::string expected(word);
            for (auto& ch : expected) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
            CHECK(reply.text() == expected);
        }
        bool timed_out = false;
        try {
            co_await caller.request("svc.nobody", "hello", 50ms);
        } catch (const pubsub::broker_error& e) {
            timed_out = std::string(e.what()).find("timed out") != std::string::npos;
        }
        CHECK(timed_out);
    });
}

TEST_CASE("unsubscribing and disconnecting remove subscriptions from the broker", "[pubsub]") {
    with_broker("tcp", [](pubsub::broker& b) -> asio::awaitable<void> {
        auto c = co_await pubsub::client::connect(b.url());
        auto s1 = co_await c.subscribe("x.y");
        auto s2 = co_await c.subscribe("x.*", "g");
        CHECK(b.counters().subscriptions == 2);
        s1.unsubscribe();
        co_await c.flush();
        CHECK(b.counters().subscriptions == 1);
        {
            auto other = co_await pubsub::client::connect(b.url());
            for (int i = 0; i < 10; ++i) (void)co_await other.subscribe(fmt::format("t{}.>", i));
            CHECK(b.counters().subscriptions == 11);
        } // closed here
        auto one_left = [&] { return b.counters().subscriptions == 1; };
        bool cleaned = co_await eventually(one_left);
        CHECK(cleaned);
        c.close();
        auto none_left = [&] { return b.counters().subscriptions == 0 && b.counters().connections == 0; };
        bool all_gone = co_await eventually(none_left);
        CHECK(all_gone);
    });
}

TEST_CASE("bad topics and oversized payloads are refused with a clear error before anything is sent", "[pubsub]") {
    pubsub::broker_options o;
    o.limits.payload_max = 1024;
    with_broker(
        "tcp",
        [](pubsub::broker& b) -> asio::awaitable<void> {
            pubsub::client_options co;
            co.limits.payload_max = 1024;
            auto c = co_await pubsub::client::connect(b.url(), co);
            auto refused = [&](auto make) -> asio::awaitable<std::string> {
                try {
                    co_await make();
                } catch (const pubsub::broker_error& e) {
                    co_return e.what();
                }
                co_return "";
            };
            auto empty_level = [&] { return c.publish("a..b", "x"); };
            auto wildcard_topic = [&] { return c.publish("a.*", "x"); };
            auto tail_not_last = [&]() -> asio::awaitable<void> { (void)co_await c.subscribe("a.>.b"); };
            std::string big(1025, 'x');
            auto too_big = [&] { return c.publish("a.b", big); };
            auto e1 = co_await refused(empty_level);
            auto e2 = co_await refused(wildcard_topic);
            auto e3 = co_await refused(tail_not_last);
            auto e4 = co_await refused(too_big);
            CHECK_THAT(e1, Catch::Contains("level 2 is empty"));
            CHECK_THAT(e2, Catch::Contains("a.*"));
            CHECK_THAT(e3, Catch::Contains("last level"));
            CHECK_THAT(e4, Catch::Contains("exceeds 1024"));
            CHECK(c.is_open());
            co_await c.publish("a.b", std::string(1024, 'x')); // exactly the limit is fine
            co_await c.flush();
            CHECK(b.counters().published == 1);
        },
        o);
}

TEST_CASE("per-client and per-topic counters say who published, who got what, and stay bounded", "[pubsub]") {
    pubsub::broker_options o;
    o.topics_tracked_max = 3;
    with_broker(
        "tcp",
        [](pubsub::broker& b) -> asio::awaitable<void> {
            auto pub = co_await pubsub::client::connect(b.url());
            pubsub::client_options co;
            co.policy = pubsub::overflow_policy::drop_newest;
            auto sub = co_await pubsub::client::connect(b.url(), co);
            auto s1 = co_await sub.subscribe("t.>");
            auto s2 = co_await sub.subscribe("t.a");
            for (int i = 0; i < 5; ++i) co_await pub.publish("t.a", "x");
            for (int i = 0; i < 3; ++i) co_await pub.publish("t.b", "x");
            for (int i = 0; i < 10; ++i) co_await pub.publish(fmt::format("u.{}", i), "x"); // beyond the bound
            co_await pub.flush();
            auto topics = b.topics();
            REQUIRE(topics.size() == 4); // 3 by name + the rest together
            std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> by_name;
            for (auto& t : topics) by_name[t.topic] = {t.published, t.delivered};
            CHECK(by_name["t.a"] == std::pair<std::uint64_t, std::uint64_t>{5, 10}); // two matching subscriptions
            CHECK(by_name["t.b"] == std::pair<std::uint64_t, std::uint64_t>{3, 3});
            CHECK(by_name["(other topics)"].first == 9); // u.0 was the third name counted
            CHECK(topics.front().topic == "(other topics)");
            auto clients = b.clients();
            REQUIRE(clients.size() == 2);
            std::sort(clients.begin(), clients.end(), [](auto& a, auto& b) { return a.published > b.published; });
            CHECK(clients[0].published == 18);
            CHECK(clients[0].subscriptions == 0);
            CHECK(clients[1].published == 0);
            CHECK(clients[1].subscriptions == 2);
            CHECK(clients[1].delivered == 13);
            CHECK(clients[1].policy == pubsub::overflow_policy::drop_newest);
        },
        o);
}
