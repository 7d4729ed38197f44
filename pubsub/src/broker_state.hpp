#pragma once
// What the broker's sessions share: the router, which session each
// subscription id belongs to, and the counters. One executor: no locks.

#include <coronet/pubsub/bounded_queue.hpp>
#include <coronet/pubsub/broker.hpp>
#include <coronet/pubsub/router.hpp>
#include <coronet/pubsub/text_hash.hpp>

#include "published.hpp"

#include <boost/unordered/unordered_flat_map.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace coronet::pubsub::detail {

class session;

struct delivery {
    body_ref body;
    std::uint32_t sid = 0;
    std::uint64_t seq = 0;
    bool retained = false; ///< a retained message sent to a new subscription
};

class broker_state : public std::enable_shared_from_this<broker_state> {
public:
    broker_state(any_listener l, broker_options o, logger_ptr log);

    asio::awaitable<void> accept_loop();
    asio::awaitable<void> serve(any_stream s);

    /// Queues `p` to every recipient the router picks, and stores it in
    /// every durable subscription it matches.
    /// `cached`: the counters of the publisher's previous topic, if it was
    /// this one (updated to this topic's on return).
    /// `from`: the publishing session, told of subscribers its message
    /// filled past the backpressure mark (if it asked for backpressure).
    /// Returns how many copies slow consumers' policies dropped.
    std::uint64_t publish(const wire::publish& p, topic_counters*& cached, session* from = nullptr);

    /// Keeps `p` as its topic's retained message (an empty payload forgets
    /// it). Returns an error to refuse it (over the retained bounds).
    std::optional<wire::error> retain(const wire::publish& p);
    /// Queues to a new subscription every retained message it matches.
    void send_retained(subscription_id id, std::string_view pattern);

    /// At-least-once. A durable subscription outlives its subscriber: it stays
    /// in the router and keeps what was not acknowledged, bounded.
    struct durable {
        durable(std::string n, std::string p, subscription_id i, const broker_options& o)
            : name(std::move(n)), pattern(std::move(p)), id(i),
              pending(o.durable_messages_max, o.durable_bytes_max, overflow_policy::drop_oldest) {}
        std::string name;
        std::string pattern;
        subscription_id id;
        session* attached = nullptr;
        std::uint32_t sid = 0;  ///< the attached session's
        std::uint64_t seq = 0;  ///< of the last message stored
        bounded_queue<delivery> pending; ///< unacknowledged, oldest first
    };
    struct refusal {
        wire::error_code code;
        std::string text;
    };
    /// Attaches `s` (as `sid`) to the durable `name`, creating it if new, and
    /// queues everything it holds to `s` again. Returns an error to refuse.
    std::optional<refusal> attach_durable(session& s, std::uint32_t sid, std::string_view pattern,
                                             std::string_view name);
    void detach_durable(std::string_view name);
    void ack_durable(std::string_view name, std::uint64_t seq);
    void remove_durable(std::string_view name);
    std::size_t durable_pending() const;
    /// Registers a client's sid; throws std::invalid_argument (bad pattern).
    subscription_id subscribe(session& s, std::uint32_t sid, std::string_view pattern, std::string_view group);
    void unsubscribe(subscription_id id);

    any_listener listener;
    broker_options options;
    std::shared_ptr<body_pool> bodies = body_pool::make();
    logger_ptr log;
    task_group tasks;
    router routes;
    broker_counters counts;
    std::vector<std::weak_ptr<session>> sessions;
    /// Per-topic counters, bounded by options.topics_tracked_max.
    /// Values held by pointer, so a session may keep one for its last topic.
    boost::unordered_flat_map<std::string, std::unique_ptr<topic_counters>, text_hash, text_equal> topics;
    topic_counters other_topics{"(other topics)"};

private:
    /// Where a subscription id's messages go: a client's sid, or a durable.
    struct target {
        session* to = nullptr;
        std::uint32_t sid = 0;
        std::uint64_t seq = 0; ///< messages matched so far, delivered or dropped
        durable* keeper = nullptr;
    };
    boost::unordered_flat_map<subscription_id, target> _targets;
    boost::unordered_flat_map<std::string, std::unique_ptr<durable>> _durables;
    std::vector<session*> _overflowed; ///< disconnect policy: closed after routing
public:
    /// Copies of a message that a subscriber's policy refused (drop-newest,
    /// or a full queue under disconnect): what a confirmed publish reports.
    std::uint64_t refused_copies = 0;
private:
    /// Retained messages by topic; bounded by options.retained_*.
    boost::unordered_flat_map<std::string, body_ref, text_hash, text_equal> _retained;
    std::size_t _retained_bytes = 0;
};

} // namespace coronet::pubsub::detail
