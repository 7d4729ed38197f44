// A subscriber that stops reading costs the broker one bounded queue: its
// policy decides what it loses, the counters and its sequence numbers say
// exactly how much, and a fast subscriber on the same topic loses nothing.
#include "pubsub/broker_support.hpp"
#include "pubsub/raw_client.hpp"

#include <thread>

using namespace coronet;
using coronet::test::broker_thread;
using coronet::test::raw_client;
namespace wire = coronet::pubsub::wire;

namespace {

constexpr int messages = 20'000;
constexpr std::size_t payload_bytes = 1024;
constexpr std::uint32_t queue_max = 100;

/// Reads `count` messages in order from a fast subscriber on its own thread.
struct fast_reader {
    explicit fast_reader(const std::string& url) : client(url) {
        client.send(wire::sub{1, "flood", {}});
        REQUIRE(client.ping());
        thread = std::thread([this] {
            for (std::uint64_t expect = 1; expect <= messages; ++expect) {
                auto m = client.next();
                if (!m || m->op != wire::op::msg || m->seq != expect) return;
                ++received;
            }
        });
    }
    int finish() {
        thread.join();
        return received;
    }
    raw_client client;
    std::thread thread;
    int received = 0;
};

void flood(const std::string& url) {
    raw_client pub(url);
    std::string payload(payload_bytes, 'p');
    for (int i = 0; i < messages; ++i) pub.send(wire::publish{"flood", {}, wire::as_bytes(payload)});
    REQUIRE(pub.ping()); // all routed
}

} // namespace

TEST_CASE("a slow consumer under drop-oldest or drop-newest loses exactly what the counters say, and nobody else loses anything",
          "[pubsub][slow]") {
    auto policy = GENERATE(pubsub::overflow_policy::drop_oldest, pubsub::overflow_policy::drop_newest);
    INFO(to_string(policy));
    broker_thread b;
    raw_client slow(b.url(), 4096);
    slow.send(wire::hello{policy, queue_max, 0});
    slow.send(wire::sub{9, "flood", {}});
    REQUIRE(slow.ping());
    fast_reader fast(b.url());
    flood(b.url());
    CHECK(fast.finish() == messages); // every message, in order

    auto c = b.counters();
    INFO("dropped " << c.dropped << ", queued " << c.queued_messages << " (" << c.queued_bytes << " bytes)");
    CHECK(c.dropped > 0);
    CHECK(c.queued_messages <= queue_max); // the slow one's queue: bounded
    CHECK(c.queued_bytes <= queue_max * (payload_bytes + 64));

    // Now the slow consumer reads: what it gets plus what was dropped is
    // everything, and its sequence numbers show the gaps.
    std::uint64_t got = 0, gaps = 0, last = 0;
    while (got + c.dropped < messages) {
        auto m = slow.next();
        REQUIRE(m);
        if (m->op != wire::op::msg) continue;
        REQUIRE(m->seq > last);
        gaps += m->seq - last - 1;
        last = m->seq;
        ++got;
    }
    CHECK(got + c.dropped == messages);
    CHECK(gaps + (messages - last) == c.dropped);
    if (policy == pubsub::overflow_policy::drop_oldest) CHECK(last == messages); // the freshest is never the one dropped
    CHECK(b.counters().queued_messages == 0);
}

TEST_CASE("a slow consumer under the disconnect policy is closed, and nobody else notices", "[pubsub][slow]") {
    broker_thread b;
    raw_client slow(b.url(), 4096);
    slow.send(wire::hello{pubsub::overflow_policy::disconnect, queue_max, 0});
    slow.send(wire::sub{9, "flood", {}});
    REQUIRE(slow.ping());
    fast_reader fast(b.url());
    flood(b.url());
    CHECK(fast.finish() == messages);
    auto c = b.counters();
    CHECK(c.slow_disconnects == 1);
    CHECK(c.queued_messages <= queue_max);
    // What was in flight still arrives, then the connection ends.
    int frames = 0;
    while (slow.next() && frames < messages) ++frames;
    CHECK(frames < messages);
    // Left: the fast subscriber (the publisher has gone too).
    CHECK(b.wait_for([](auto c) { return c.connections == 1 && c.subscriptions == 1; }));
}
