// The sync client: plain threads publishing, subscribing and requesting.
#include "pubsub/broker_support.hpp"

#include <coronet/pubsub/blocking_client.hpp>

#include <thread>

using namespace coronet;
using namespace std::chrono_literals;
using coronet::test::broker_thread;

TEST_CASE("the blocking client publishes, receives with a timeout and makes requests from plain threads", "[pubsub]") {
    broker_thread b;
    pubsub::blocking_client subscriber(b.url());
    auto s = subscriber.subscribe("sensors.*.temp");
    pubsub::blocking_client publisher(b.url());
    publisher.publish("sensors.kitchen.temp", "21.5");
    publisher.publish("sensors.kitchen.humidity", "40");
    publisher.publish("sensors.garage.temp", "9.0");
    auto m1 = s.next(5s);
    auto m2 = s.next(5s);
    REQUIRE(m1);
    REQUIRE(m2);
    CHECK(m1->topic == "sensors.kitchen.temp");
    CHECK(m1->text() == "21.5");
    CHECK(m2->topic == "sensors.garage.temp");
    CHECK_FALSE(s.next(50ms)); // the humidity reading is not ours
    CHECK(s.missed() == 0);

    // A responder on its own thread answers one request.
    auto requests = subscriber.subscribe("svc.echo");
    std::thread responder([&] {
        if (auto r = requests.next(5s)) subscriber.publish(r->reply_to, "echo: " + std::string(r->text()));
    });
    auto reply = publisher.request("svc.echo", "ping", 5s);
    responder.join();
    CHECK(reply.text() == "echo: ping");
}

TEST_CASE("the blocking client reports a refused topic and an unreachable broker as exceptions", "[pubsub]") {
    broker_thread b;
    pubsub::blocking_client c(b.url());
    CHECK_THROWS_WITH(c.publish("bad topic", "x"), Catch::Contains("topic \"bad topic\""));
    c.flush(); // still usable
    auto url = b.url();
    auto closed_port = url.substr(0, url.rfind(':') + 1) + "1"; // nothing listens on port 1
    CHECK_THROWS(pubsub::blocking_client(closed_port));
}
