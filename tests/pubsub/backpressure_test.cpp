// Backpressure: a publisher that asks for it is slowed down (the broker stops
// reading it) while a subscriber it fills is past the mark, instead of the
// subscriber's policy dropping its messages; and a confirmed publish says when
// a slow consumer dropped it.
#include "pubsub/broker_support.hpp"
#include "pubsub/raw_client.hpp"

#include <thread>

using namespace coronet;
using coronet::test::broker_thread;
using coronet::test::raw_client;
namespace wire = coronet::pubsub::wire;

namespace {

// 48 MB in all: more than the kernel's socket buffers can hide, so the
// broker's queue for a subscriber that does not read really fills.
constexpr int messages = 3'000;
constexpr std::uint32_t queue_max = 100;
const std::string payload(16 * 1024, 'p');

/// Publishes `messages` on its own thread; writes block while the broker is
/// not reading this connection.
struct flooding_publisher {
    explicit flooding_publisher(const std::string& url) : client(url) {
        client.send(wire::hello{pubsub::overflow_policy::drop_oldest, 0, 0, true});
        thread = std::thread([this] {
            try {
                for (int i = 0; i < messages; ++i)
                    client.send(wire::publish{"flood", {}, wire::as_bytes(payload), false});
                done = client.ping();
            } catch (const std::exception&) {
                // shut down by the destructor: a check failed while we wrote
            }
        });
    }
    ~flooding_publisher() {
        // Bounded: after a failed check the broker may never read us again,
        // and a thread blocked in a write must not hang the test.
        for (int i = 0; i < 3000 && !done; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
        if (!done) client.shutdown();
        thread.join();
    }
    raw_client client;
    std::thread thread;
    std::atomic<bool> done{false};
};

} // namespace

TEST_CASE("a publisher that asks for backpressure is paused while a subscriber it fills catches up, and nothing is dropped",
          "[pubsub][backpressure]") {
    pubsub::broker_options o;
    o.backpressure_wait_max = std::chrono::seconds(60); // longer than the test: only draining resumes it
    broker_thread b(o);
    raw_client slow(b.url(), 4096);
    slow.send(wire::hello{pubsub::overflow_policy::drop_newest, queue_max, 0});
    slow.send(wire::sub{7, "flood", {}});
    REQUIRE(slow.ping());
    {
        flooding_publisher pub(b.url());
        // The subscriber is not reading: its queue passes the mark and the
        // publisher is paused before the queue can overflow.
        REQUIRE(b.wait_for([](const pubsub::broker_counters& c) { return c.throttled >= 1; }));
        auto paused = b.counters();
        CHECK(paused.dropped == 0);
        CHECK(paused.published < messages);
        // Now it reads: every message arrives, in order, none dropped.
        std::uint64_t last = 0;
        while (last < messages) {
            auto m = slow.next();
            REQUIRE(m);
            if (m->op != wire::op::msg) continue;
            REQUIRE(m->seq == last + 1);
            last = m->seq;
        }
    }
    auto c = b.counters();
    CHECK(c.published == messages);
    CHECK(c.dropped == 0);
    CHECK(c.throttle_timeouts == 0);
}

TEST_CASE("a paused publisher resumes after backpressure_wait_max, and then the subscriber's own policy applies",
          "[pubsub][backpressure]") {
    pubsub::broker_options o;
    o.backpressure_wait_max = std::chrono::milliseconds(20);
    broker_thread b(o);
    raw_client slow(b.url(), 4096);
    slow.send(wire::hello{pubsub::overflow_policy::drop_newest, queue_max, 0});
    slow.send(wire::sub{7, "flood", {}});
    REQUIRE(slow.ping());
    {
        flooding_publisher pub(b.url()); // waited for here: it got through
    }
    auto c = b.counters();
    CHECK(c.published == messages);
    CHECK(c.throttle_timeouts >= 1);
    CHECK(c.dropped > 0); // drop-newest did the rest
}

TEST_CASE("a confirmed publish that a slow consumer dropped is answered slow_consumer, and the others still get it",
          "[pubsub][backpressure]") {
    coronet::test::with_broker("tcp", [](pubsub::broker& b) -> asio::awaitable<void> {
        raw_client slow(b.url(), 4096); // never reads
        slow.send(wire::hello{pubsub::overflow_policy::drop_newest, 4, 0});
        slow.send(wire::sub{1, "jobs", {}});
        auto fast_client = co_await pubsub::client::connect(b.url());
        auto fast = co_await fast_client.subscribe("jobs");
        auto both_subscribed = [&] { return b.counters().subscriptions == 2; };
        bool subscribed = co_await coronet::test::eventually(both_subscribed);
        REQUIRE(subscribed);
        auto pub = co_await pubsub::client::connect(b.url());
        std::string big(16 * 1024, 'j');
        int told_at = 0;
        for (int i = 1; i <= 2000 && !told_at; ++i) { // 32 MB at most: more than any socket buffers
            try {
                co_await pub.publish_confirmed("jobs", big);
            } catch (const pubsub::broker_error& e) {
                CHECK(e.code() == wire::error_code::slow_consumer);
                told_at = i;
            }
            auto m = co_await fast.next(); // the fast one gets every message, the dropped one too
            CHECK(m.seq == static_cast<std::uint64_t>(i));
        }
        REQUIRE(told_at > 0);
        CHECK(b.counters().dropped >= 1);
    });
}
