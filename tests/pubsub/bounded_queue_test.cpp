// A slow consumer under each overflow policy: the queue never holds more than
// its bounds, the drop counters are exact, and the right messages survive.
#include <coronet/pubsub/bounded_queue.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

using coronet::pubsub::bounded_queue;
using coronet::pubsub::overflow_policy;
using coronet::pubsub::parse_overflow_policy;
using coronet::pubsub::push_result;
using coronet::pubsub::to_string;

namespace {

std::vector<int> drain(bounded_queue<int>& q) {
    std::vector<int> out;
    while (!q.empty()) out.push_back(q.pop());
    return out;
}

std::vector<int> range(int from, int to) {
    std::vector<int> out;
    for (int i = from; i < to; ++i) out.push_back(i);
    return out;
}

} // namespace

TEST_CASE("drop_newest under a flood keeps the oldest messages and counts every refusal", "[pubsub]") {
    bounded_queue<int> q(100, 1'000'000, overflow_policy::drop_newest);
    for (int i = 0; i < 10'000; ++i) {
        auto r = q.push(i, 10);
        REQUIRE(r == (i < 100 ? push_result::queued : push_result::dropped_newest));
        REQUIRE(q.size() <= 100);
    }
    CHECK(q.dropped() == 9'900);
    CHECK(q.dropped_bytes() == 99'000);
    CHECK(q.bytes() == 1'000);
    CHECK(q.high_water() == 100);
    CHECK(drain(q) == range(0, 100));
    CHECK(q.bytes() == 0);
}

TEST_CASE("drop_oldest under a flood keeps the newest messages and counts every eviction", "[pubsub]") {
    bounded_queue<int> q(100, 1'000'000, overflow_policy::drop_oldest);
    for (int i = 0; i < 10'000; ++i) {
        auto r = q.push(i, 10);
        REQUIRE(r == (i < 100 ? push_result::queued : push_result::dropped_oldest));
        REQUIRE(q.size() <= 100);
    }
    CHECK(q.dropped() == 9'900);
    CHECK(q.dropped_bytes() == 99'000);
    CHECK(q.high_water() == 100);
    CHECK(drain(q) == range(9'900, 10'000));
}

TEST_CASE("disconnect under a flood reports overflow and the queue does not grow", "[pubsub]") {
    bounded_queue<int> q(100, 1'000'000, overflow_policy::disconnect);
    for (int i = 0; i < 100; ++i) REQUIRE(q.push(i, 10) == push_result::queued);
    for (int i = 100; i < 10'000; ++i) {
        REQUIRE(q.push(i, 10) == push_result::overflow);
        REQUIRE(q.size() == 100);
    }
    CHECK(q.dropped() == 9'900);
    CHECK(q.high_water() == 100);
    CHECK(drain(q) == range(0, 100));
}

TEST_CASE("the byte bound holds with mixed sizes under every policy, and every message is accounted for",
          "[pubsub]") {
    const auto policy = GENERATE(overflow_policy::drop_oldest, overflow_policy::drop_newest, overflow_policy::disconnect);
    INFO("policy " << to_string(policy));
    bounded_queue<int> q(50, 4'096, policy);
    std::mt19937 rng(42);
    std::uniform_int_distribution<std::size_t> size(0, 1'500);
    std::uint64_t pushed = 0, popped = 0, pushed_bytes = 0, popped_bytes = 0;
    for (int i = 0; i < 10'000; ++i) {
        auto bytes = size(rng);
        q.push(i, bytes);
        ++pushed;
        pushed_bytes += bytes;
        REQUIRE(q.size() <= 50);
        REQUIRE(q.bytes() <= 4'096);
        if (i % 7 == 0 && !q.empty()) { // a consumer that keeps up with one message in seven
            popped_bytes += q.front_bytes();
            q.pop();
            ++popped;
        }
    }
    CHECK(q.dropped() > 0);
    CHECK(pushed == popped + q.dropped() + q.size());
    CHECK(pushed_bytes == popped_bytes + q.dropped_bytes() + q.bytes());
    CHECK(q.high_water_bytes() <= 4'096);
}

TEST_CASE("drop_oldest evicts as many small messages as one big one needs", "[pubsub]") {
    bounded_queue<int> q(10, 100, overflow_policy::drop_oldest);
    for (int i = 0; i < 5; ++i) REQUIRE(q.push(i, 20) == push_result::queued);
    CHECK(q.push(99, 70) == push_result::dropped_oldest);
    CHECK(q.dropped() == 4);
    CHECK(q.dropped_bytes() == 80);
    CHECK(q.bytes() == 90);
    CHECK(drain(q) == std::vector<int>{4, 99});
}

TEST_CASE("a message larger than the byte bound is dropped or overflows without touching the queue", "[pubsub]") {
    bounded_queue<int> oldest(10, 100, overflow_policy::drop_oldest);
    bounded_queue<int> newest(10, 100, overflow_policy::drop_newest);
    bounded_queue<int> disconnect(10, 100, overflow_policy::disconnect);
    for (auto* q : {&oldest, &newest, &disconnect}) {
        REQUIRE(q->push(1, 30) == push_result::queued);
        INFO("policy " << to_string(q->policy()));
        auto r = q->push(2, 101);
        CHECK(r == (q == &disconnect ? push_result::overflow : push_result::dropped_newest));
        CHECK(q->dropped() == 1);
        CHECK(q->dropped_bytes() == 101);
        CHECK(drain(*q) == std::vector<int>{1}); // drop_oldest did not evict for a hopeless item
    }
}

TEST_CASE("a message of exactly the byte bound fits in an empty queue", "[pubsub]") {
    bounded_queue<int> q(10, 100, overflow_policy::drop_newest);
    CHECK(q.push(1, 100) == push_result::queued);
    CHECK(q.push(2, 0) == push_result::queued); // zero bytes still count against the message bound
    CHECK(q.push(3, 1) == push_result::dropped_newest);
    CHECK(q.size() == 2);
}

TEST_CASE("clear empties the queue without counting drops and the queue stays usable", "[pubsub]") {
    bounded_queue<std::string> q(3, 100, overflow_policy::drop_oldest);
    q.push("a", 1);
    q.push("b", 1);
    CHECK(q.clear() == 2);
    CHECK(q.empty());
    CHECK(q.bytes() == 0);
    CHECK(q.dropped() == 0);
    CHECK(q.high_water() == 2);
    q.push("c", 1);
    CHECK(q.front() == "c");
    CHECK(q.pop() == "c");
}

TEST_CASE("items keep their order across the ring's wrap-around and its growth", "[pubsub]") {
    bounded_queue<int> q(100'000, 100'000'000, overflow_policy::drop_newest);
    int next_in = 0, next_out = 0;
    // Interleave pushes and pops so the head walks around the ring while it grows.
    for (int round = 0; round < 200; ++round) {
        for (int i = 0; i < round % 37 + 3; ++i) REQUIRE(q.push(next_in++, 1) == push_result::queued);
        for (int i = 0; i < round % 23 && !q.empty(); ++i) REQUIRE(q.pop() == next_out++);
    }
    while (!q.empty()) REQUIRE(q.pop() == next_out++);
    CHECK(next_out == next_in);
    CHECK(q.bytes() == 0);
}

TEST_CASE("a drained queue keeps its slots for the next burst, and gives a deep burst's back after a shallow one",
          "[pubsub]") {
    using queue = bounded_queue<std::string>;
    queue q(1'000'000, 1'000'000'000, overflow_policy::drop_newest);
    auto burst = [&](std::size_t n) {
        for (std::size_t i = 0; i < n; ++i) q.push(std::to_string(i), 1);
        while (!q.empty()) q.pop();
    };
    burst(queue::retained_slots);
    auto small = q.capacity();
    CHECK(small >= queue::retained_slots);
    burst(queue::retained_slots);
    CHECK(q.capacity() == small); // reused, not reallocated

    burst(64 * queue::retained_slots);
    auto deep = q.capacity();
    CHECK(deep >= 64 * queue::retained_slots);
    burst(40 * queue::retained_slots); // over a quarter of the ring: kept
    CHECK(q.capacity() == deep);
    burst(10); // a shallow burst after the deep one: the ring is given back
    CHECK(q.capacity() <= queue::retained_slots);
}

TEST_CASE("a queue that can hold no message is refused at construction", "[pubsub]") {
    CHECK_THROWS_AS(bounded_queue<int>(0, 100, overflow_policy::drop_newest), std::invalid_argument);
}

TEST_CASE("overflow policies round-trip through their configuration names", "[pubsub]") {
    for (auto p : {overflow_policy::drop_oldest, overflow_policy::drop_newest, overflow_policy::disconnect})
        CHECK(parse_overflow_policy(to_string(p)) == p);
    CHECK(to_string(overflow_policy::drop_oldest) == "drop-oldest");
    CHECK(to_string(overflow_policy::drop_newest) == "drop-newest");
    CHECK(to_string(overflow_policy::disconnect) == "disconnect");
    CHECK_FALSE(parse_overflow_policy("drop_oldest"));
    CHECK_FALSE(parse_overflow_policy(""));
}
