// At-least-once: confirmed publishes, durable subscriptions that keep what
// was not acknowledged while their subscriber is away, and redelivery when a
// subscriber takes the durable name up again.
#include "pubsub/broker_support.hpp"

#include <fmt/format.h>

using namespace coronet;
using namespace std::chrono_literals;
using coronet::test::eventually;
using coronet::test::with_broker;
namespace asio = boost::asio;

TEST_CASE("unacknowledged messages are redelivered, in order, when a durable subscriber reconnects", "[pubsub][durable]") {
    auto scheme = GENERATE(as<std::string>{}, "tcp", "uring");
    with_broker(scheme, [](pubsub::broker& b) -> asio::awaitable<void> {
        auto pub = co_await pubsub::client::connect(b.url());
        std::uint64_t acked_up_to = 0;
        {
            auto worker = co_await pubsub::client::connect(b.url());
            auto s = co_await worker.subscribe_durable("invoices.>", "billing");
            CHECK(s.durable());
            for (int i = 1; i <= 10; ++i) co_await pub.publish_confirmed(fmt::format("invoices.{}", i), fmt::format("{}", i));
            for (int i = 1; i <= 10; ++i) {
                auto m = co_await s.next();
                REQUIRE(m.text() == fmt::format("{}", i));
                if (i == 4) {
                    s.ack(m); // 1..4 processed; 5..10 received but not acknowledged
                    acked_up_to = m.seq;
                }
            }
            co_await worker.flush(); // the ack has reached the broker
            CHECK(b.counters().durable_pending == 6);
        } // the worker crashes (its connection closes)
        CHECK(acked_up_to == 4);
        auto detached = [&] { return b.counters().connections == 1; };
        bool gone = co_await eventually(detached);
        REQUIRE(gone);
        // Published while nobody is subscribed: kept by the durable.
        for (int i = 11; i <= 15; ++i) co_await pub.publish_confirmed(fmt::format("invoices.{}", i), fmt::format("{}", i));
        CHECK(b.counters().durable_pending == 11);

        auto next_worker = co_await pubsub::client::connect(b.url());
        auto s = co_await next_worker.subscribe_durable("invoices.>", "billing");
        for (int i = 5; i <= 15; ++i) {
            auto m = co_await s.next();
            CHECK(m.text() == fmt::format("{}", i)); // nothing lost, nothing out of order
            CHECK(m.seq == static_cast<std::uint64_t>(i));
            s.ack(m);
        }
        CHECK(s.missed() == 0);
        co_await next_worker.flush();
        CHECK(b.counters().durable_pending == 0);
        CHECK(b.counters().redelivered == 11); // 6 unacknowledged + 5 kept while away
        CHECK(b.counters().confirmed == 15);
        // Unsubscribing ends the durable: nothing is kept any more.
        s.unsubscribe();
        co_await next_worker.flush();
        CHECK(b.counters().durables == 0);
    });
}

TEST_CASE("a durable name is held by one connection at a time, and a second subscriber is told so", "[pubsub][durable]") {
    with_broker("tcp", [](pubsub::broker& b) -> asio::awaitable<void> {
        auto a = co_await pubsub::client::connect(b.url());
        auto held = co_await a.subscribe_durable("jobs.>", "crunch");
        auto other = co_await pubsub::client::connect(b.url());
        std::string refused, mismatch;
        try {
            (void)co_await other.subscribe_durable("jobs.>", "crunch");
        } catch (const pubsub::broker_error& e) {
            refused = e.what();
        }
        CHECK_THAT(refused, Catch::Contains("in use"));
        a.close();
        auto released = [&] { return b.counters().connections == 1; };
        bool ok = co_await eventually(released);
        REQUIRE(ok);
        try {
            (void)co_await other.subscribe_durable("other.>", "crunch"); // same name, another pattern
        } catch (const pubsub::broker_error& e) {
            mismatch = e.what();
        }
        CHECK_THAT(mismatch, Catch::Contains("subscribes to jobs.>"));
        auto taken = co_await other.subscribe_durable("jobs.>", "crunch");
        CHECK(taken.durable());
    });
}

TEST_CASE("a durable subscription away too long keeps only the newest messages, and says how many it lost",
          "[pubsub][durable]") {
    pubsub::broker_options o;
    o.durable_messages_max = 100;
    with_broker(
        "tcp",
        [](pubsub::broker& b) -> asio::awaitable<void> {
            {
                auto c = co_await pubsub::client::connect(b.url());
                (void)co_await c.subscribe_durable("feed", "reader");
            }
            auto gone = [&] { return b.counters().connections == 0; };
            bool ok = co_await eventually(gone);
            REQUIRE(ok);
            auto pub = co_await pubsub::client::connect(b.url());
            for (int i = 1; i <= 1000; ++i) co_await pub.publish("feed", fmt::format("{}", i));
            co_await pub.flush();
            CHECK(b.counters().durable_pending == 100); // bounded while away
            CHECK(b.counters().dropped == 900);
            auto c = co_await pubsub::client::connect(b.url());
            auto s = co_await c.subscribe_durable("feed", "reader");
            auto first = co_await s.next();
            CHECK(first.seq == 901); // the gap is visible in seq
            CHECK(first.text() == "901");
        },
        o);
}

TEST_CASE("a confirmed publish the broker refuses throws with the reason; ack on a plain subscription is an error",
          "[pubsub][durable]") {
    pubsub::broker_options o;
    o.limits.payload_max = 16;
    with_broker(
        "tcp",
        [](pubsub::broker& b) -> asio::awaitable<void> {
            // The client allows more than the broker: the broker's refusal comes back in the puback.
            auto c = co_await pubsub::client::connect(b.url());
            std::string why;
            try {
                co_await c.publish_confirmed("big.one", std::string(17, 'x'));
            } catch (const pubsub::broker_error& e) {
                why = e.what();
            }
            CHECK_THAT(why, Catch::Contains("exceeds 16"));
            co_await c.publish_confirmed("small.one", "fits");
            auto plain = co_await c.subscribe("x");
            pubsub::message m;
            CHECK_THROWS_AS(plain.ack(m), std::logic_error);
        },
        o);
}
