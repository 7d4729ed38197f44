// Fan-out: plain subscribers each get every message once, a queue group gets
// it once between its members, in turns.
#include <coronet/pubsub/router.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

using coronet::pubsub::router;
using coronet::pubsub::subscription_id;

namespace {

std::vector<subscription_id> route(router& r, std::string_view topic) {
    std::vector<subscription_id> ids;
    r.route(topic, [&](subscription_id id) { ids.push_back(id); });
    std::sort(ids.begin(), ids.end());
    return ids;
}

} // namespace

TEST_CASE("every matching plain subscriber gets each message once", "[pubsub]") {
    router r;
    auto exact = r.subscribe("orders.eu");
    auto star = r.subscribe("orders.*");
    auto tail = r.subscribe("orders.>");
    auto all = r.subscribe(">");
    auto other = r.subscribe("users.*");
    CHECK(route(r, "orders.eu") == std::vector<subscription_id>{exact, star, tail, all});
    CHECK(route(r, "orders.us") == std::vector<subscription_id>{star, tail, all});
    CHECK(route(r, "orders.eu.created") == std::vector<subscription_id>{tail, all});
    CHECK(route(r, "users.1") == std::vector<subscription_id>{all, other});
    CHECK(route(r, "orders") == std::vector<subscription_id>{all});
}

TEST_CASE("a queue group of three shares 3000 messages exactly evenly while plain subscribers get all", "[pubsub]") {
    router r;
    const std::vector<subscription_id> workers = {r.subscribe("jobs.*", "workers"), r.subscribe("jobs.>", "workers"),
                                                  r.subscribe("jobs.resize", "workers")};
    auto audit = r.subscribe("jobs.>");
    std::map<subscription_id, int> got;
    for (int i = 0; i < 3000; ++i) {
        std::size_t deliveries = 0;
        r.route("jobs.resize", [&](subscription_id id) {
            ++got[id];
            ++deliveries;
        });
        REQUIRE(deliveries == 2); // one worker and the auditor
    }
    for (auto w : workers) CHECK(got[w] == 1000);
    CHECK(got[audit] == 3000);
    CHECK(r.groups() == 1);
}

TEST_CASE("a queue group sends each message only to members whose pattern matches", "[pubsub]") {
    router r;
    auto resize = r.subscribe("jobs.resize", "workers");
    auto any = r.subscribe("jobs.*", "workers");
    std::map<subscription_id, int> got;
    for (int i = 0; i < 10; ++i) r.route("jobs.crop", [&](subscription_id id) { ++got[id]; });
    CHECK(got[any] == 10);
    CHECK(got[resize] == 0);
}

TEST_CASE("two queue groups on overlapping patterns each get one delivery per message", "[pubsub]") {
    router r;
    std::vector<subscription_id> billing = {r.subscribe("orders.>", "billing"), r.subscribe("orders.*", "billing")};
    std::vector<subscription_id> shipping = {r.subscribe("orders.eu", "shipping"), r.subscribe("*.eu", "shipping"),
                                             r.subscribe(">", "shipping")};
    std::map<subscription_id, int> got;
    for (int i = 0; i < 600; ++i) {
        int to_billing = 0, to_shipping = 0;
        r.route("orders.eu", [&](subscription_id id) {
            ++got[id];
            to_billing += std::count(billing.begin(), billing.end(), id);
            to_shipping += std::count(shipping.begin(), shipping.end(), id);
        });
        REQUIRE(to_billing == 1);
        REQUIRE(to_shipping == 1);
    }
    for (auto id : billing) CHECK(got[id] == 300);
    for (auto id : shipping) CHECK(got[id] == 200);
}

TEST_CASE("a queue group keeps taking turns as members leave and join", "[pubsub]") {
    router r;
    auto a = r.subscribe("t", "g");
    auto b = r.subscribe("t", "g");
    auto c = r.subscribe("t", "g");
    CHECK(route(r, "t") == std::vector<subscription_id>{a});
    CHECK(route(r, "t") == std::vector<subscription_id>{b});
    CHECK(r.unsubscribe(c));
    CHECK(route(r, "t") == std::vector<subscription_id>{a}); // wraps past the departed member
    auto d = r.subscribe("t", "g");
    CHECK(route(r, "t") == std::vector<subscription_id>{b});
    CHECK(route(r, "t") == std::vector<subscription_id>{d});
    CHECK(route(r, "t") == std::vector<subscription_id>{a});
}

TEST_CASE("unsubscribe stops delivery and leaves the tree as if the subscription never was", "[pubsub]") {
    router r;
    auto keep = r.subscribe("a.b");
    const auto nodes_before = r.tree().node_count();
    auto plain = r.subscribe("a.*.c.>");
    auto grouped = r.subscribe("x.y.z", "g");
    CHECK(r.subscriptions() == 3);
    CHECK(r.groups() == 1);
    CHECK(r.unsubscribe(plain));
    CHECK(r.unsubscribe(grouped));
    CHECK_FALSE(r.unsubscribe(grouped));
    CHECK_FALSE(r.unsubscribe(12345));
    CHECK(r.subscriptions() == 1);
    CHECK(r.groups() == 0);
    CHECK(r.tree().node_count() == nodes_before);
    CHECK(route(r, "a.x.c.d").empty());
    CHECK(route(r, "x.y.z").empty());
    CHECK(r.unsubscribe(keep));
    CHECK(r.tree().node_count() == 1);
    CHECK(r.tree().empty());
}

TEST_CASE("a disconnecting client's subscriptions all go and the tree is bare again", "[pubsub]") {
    router r;
    std::vector<subscription_id> client;
    for (auto p : {"a", "a.*", "a.>", "*.b.c", ">", "q.r"}) client.push_back(r.subscribe(p));
    for (auto p : {"a", "a.*", "x.>"}) client.push_back(r.subscribe(p, "workers"));
    for (auto id : client) REQUIRE(r.unsubscribe(id));
    CHECK(r.subscriptions() == 0);
    CHECK(r.groups() == 0);
    CHECK(r.tree().node_count() == 1);
}

TEST_CASE("subscribing to an invalid pattern throws with the validation message", "[pubsub]") {
    router r;
    CHECK_THROWS_WITH(r.subscribe("a.>.b"), "pattern \"a.>.b\": level 2 is '>', which may only be the last level");
    CHECK_THROWS_AS(r.subscribe(""), std::invalid_argument);
    CHECK_THROWS_AS(r.subscribe("a..b", "g"), std::invalid_argument);
    CHECK(r.subscriptions() == 0);
    CHECK(r.groups() == 0);
    CHECK(r.tree().node_count() == 1);
}

TEST_CASE("subscription ids are fresh and never zero", "[pubsub]") {
    router r;
    auto a = r.subscribe("a");
    r.unsubscribe(a);
    auto b = r.subscribe("a");
    CHECK(a != 0);
    CHECK(b != a);
}
