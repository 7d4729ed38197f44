// The broker on sim://: the same code on virtual time, over a lossy, jittery
// network, deterministic for a seed.
#include "sim/sim_support.hpp"

#include <coronet/pubsub/broker.hpp>
#include <coronet/pubsub/client.hpp>
#include <coronet/transports/endpoint.hpp>

#include <fmt/format.h>

using namespace coronet;
using namespace std::chrono_literals;
namespace asio = boost::asio;

TEST_CASE("the broker runs unchanged on sim:// over a lossy network: every message, in order, the same for a seed",
          "[pubsub][sim]") {
    for (auto seed : test::test_seeds(1, 3)) {
        INFO(test::replay_command(seed));
        std::uint64_t hashes[2] = {};
        for (int run = 0; run < 2; ++run) {
            sim::network_options o;
            o.seed = seed;
            o.link.latency = 2ms;
            o.link.jitter = 3ms;
            o.link.loss = 0.05;
            sim::network net(o);
            auto& broker_node = net.add_node("broker");
            auto& pub_node = net.add_node("pub");
            auto& sub_node = net.add_node("sub");
            pubsub::broker b(listen(broker_node.get_executor(), "sim://broker:4222"));
            b.start();
            std::vector<std::string> got;
            bool subscribed = false, confirmed = false;
            sub_node.spawn([](std::vector<std::string>& got, bool& subscribed) -> asio::awaitable<void> {
                auto c = co_await pubsub::client::connect("sim://broker:4222");
                auto s = co_await c.subscribe("prices.>");
                subscribed = true;
                for (int i = 0; i < 100; ++i) {
                    auto m = co_await s.next();
                    got.push_back(fmt::format("{}={}", m.topic, m.text()));
                }
            }(got, subscribed));
            pub_node.spawn([](bool& subscribed, bool& confirmed) -> asio::awaitable<void> {
                auto c = co_await pubsub::client::connect("sim://broker:4222");
                while (!subscribed) co_await c.flush(); // a round trip of virtual time
                for (int i = 0; i < 99; ++i) co_await c.publish(fmt::format("prices.s{}", i % 4), fmt::format("{}", i));
                co_await c.publish_confirmed("prices.last", "99");
                confirmed = true;
            }(subscribed, confirmed));
            net.run_for(2min);
            CHECK(confirmed);
            REQUIRE(got.size() == 100);
            for (int i = 0; i < 99; ++i) CHECK(got[i] == fmt::format("prices.s{}={}", i % 4, i));
            CHECK(got[99] == "prices.last=99");
            net.run_task(broker_node, b.stop());
            hashes[run] = net.trace_hash();
        }
        CHECK(hashes[0] == hashes[1]);
    }
}
