#pragma once
// The topic broker: accepts clients on any coronet stream transport and
// routes every publish to the matching subscriptions, one member of each
// queue group among them.
//
// Each client has one bounded outgoing queue; when it falls behind, its
// overflow policy decides what it loses (its counters and the gaps in its
// sequence numbers say how much), and nobody else notices: publishers never
// wait for subscribers, and the broker's memory per client is bounded.

#include <coronet/clock.hpp>
#include <coronet/log.hpp>
#include <coronet/pubsub/overflow_policy.hpp>
#include <coronet/pubsub/wire.hpp>
#include <coronet/task_group.hpp>
#include <coronet/transports/any_listener.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace coronet::pubsub {

struct broker_options {
    wire::limits limits;
    std::size_t connections_max = 10'000;
    std::size_t subscriptions_per_connection_max = 10'000;
    /// A client's queue, unless its hello asks for less (never for more).
    /// The bytes bound is the one that usually binds (like Redis' 32 MB and
    /// NATS' 64 MB per subscriber): a burst of small messages is absorbed,
    /// not dropped.
    std::size_t queue_messages_max = 1u << 20;
    std::size_t queue_bytes_max = 64u << 20;
    /// For clients that do not say (no hello).
    overflow_policy default_policy = overflow_policy::drop_oldest;
    /// Bytes of queued messages gathered into one write.
    std::size_t write_batch_bytes = 256u << 10;
    /// Durable subscriptions (at-least-once) the broker keeps, and the
    /// unacknowledged messages each holds while its subscriber is away
    /// (beyond them the oldest go, counted in `dropped`).
    std::size_t durables_max = 10'000;
    std::size_t durable_messages_max = 65'536;
    std::size_t durable_bytes_max = 64u << 20;
    /// Topics counted by name in topics(): a bound, since topics are data.
    std::size_t topics_tracked_max = 10'000;
    /// Retained messages (the last one published with retain, per topic):
    /// beyond these bounds a new retained topic is refused (limit).
    std::size_t retained_topics_max = 10'000;
    std::size_t retained_bytes_max = 64u << 20;
    /// Backpressure, for publishers that ask for it in hello: when one of
    /// their messages leaves a subscriber's queue more than
    /// backpressure_high_percent full, the broker stops reading from that
    /// publisher (TCP then slows it down) until the queue is below half that
    /// mark, the subscriber leaves, or backpressure_wait_max passes (then the
    /// subscriber's own policy applies again). Never for the publisher's own
    /// queue: a client that publishes and subscribes on one connection must
    /// not wait for itself.
    unsigned backpressure_high_percent = 50;
    duration backpressure_wait_max = std::chrono::seconds(5);
};

struct broker_counters {
    std::uint64_t published = 0;     ///< publish frames accepted
    std::uint64_t delivered = 0;     ///< messages queued to a subscriber
    std::uint64_t dropped = 0;       ///< messages a slow consumer's policy dropped
    std::uint64_t slow_disconnects = 0; ///< clients closed by the disconnect policy
    std::uint64_t refused = 0;       ///< bad topics, oversize payloads, unknown sids: error frames sent
    std::uint64_t malformed = 0;     ///< connections closed for a malformed frame
    std::uint64_t accepted = 0;
    std::size_t connections = 0;
    std::size_t subscriptions = 0;
    std::size_t queued_messages = 0; ///< now, in every client's queue together
    std::size_t queued_bytes = 0;
    std::size_t durables = 0;
    std::size_t durable_pending = 0; ///< unacknowledged messages in durable subscriptions, now
    std::uint64_t redelivered = 0;   ///< sent from a durable's backlog to a subscriber taking it up (unacknowledged, or kept while nobody was there)
    std::uint64_t confirmed = 0;     ///< publishes acknowledged to their publisher
    std::uint64_t durable_stored = 0; ///< messages stored in durable subscriptions
    std::size_t retained = 0;         ///< topics with a retained message, now
    std::uint64_t throttled = 0;      ///< times a backpressure publisher's reads were paused
    std::uint64_t throttle_timeouts = 0; ///< pauses that ended at backpressure_wait_max
};

/// One connected client, now.
struct client_counters {
    std::string peer;
    overflow_policy policy{};
    std::size_t subscriptions = 0; ///< durable ones included
    std::uint64_t published = 0;
    std::uint64_t delivered = 0;   ///< queued to it
    std::uint64_t dropped = 0;     ///< by its policy
    std::size_t queued_messages = 0;
    std::size_t queued_bytes = 0;
};

/// One topic, since the broker started. The first topics_tracked_max topics
/// are counted by name; the rest together, under "(other topics)".
struct topic_counters {
    std::string topic;
    std::uint64_t published = 0;
    std::uint64_t delivered = 0; ///< queued to subscribers and durables
};

namespace detail {
class broker_state;
}

class broker {
public:
    broker(any_listener listener, broker_options options = {}, logger_ptr log = {});
    ~broker();
    broker(const broker&) = delete;
    broker& operator=(const broker&) = delete;

    const std::string& url() const;
    /// Starts accepting. Call on the listener's executor.
    void start();
    /// Stops accepting, closes every client and waits for all of them.
    asio::awaitable<void> stop();
    broker_counters counters() const;
    std::vector<client_counters> clients() const;
    /// Busiest first.
    std::vector<topic_counters> topics() const;

private:
    std::shared_ptr<detail::broker_state> _state;
};

} // namespace coronet::pubsub
