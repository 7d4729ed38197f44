#include <coronet/pubsub/broker_metrics.hpp>

namespace coronet::pubsub {

namespace {

template <class Counts>
using field = std::uint64_t Counts::*;

} // namespace

void register_metrics(metrics_registry& m, const broker& b) {
    // broker::counters() adds up the queues of every client, so each series
    // reads it afresh: a scrape is rare, and one consistent cut is not promised.
    auto counter = [&](const char* name, const char* help, field<broker_counters> f) {
        m.observe_counter(name, help, {}, [&b, f] { return b.counters().*f; });
    };
    auto gauge = [&](const char* name, const char* help, std::size_t broker_counters::*f) {
        m.observe_gauge(name, help, {}, [&b, f] { return static_cast<std::int64_t>(b.counters().*f); });
    };
    counter("coronet_broker_published", "Publish frames accepted.", &broker_counters::published);
    counter("coronet_broker_delivered", "Messages queued to a subscriber.", &broker_counters::delivered);
    counter("coronet_broker_dropped", "Messages a slow consumer's policy dropped.", &broker_counters::dropped);
    counter("coronet_broker_slow_disconnects", "Clients closed by the disconnect policy.",
            &broker_counters::slow_disconnects);
    counter("coronet_broker_refused", "Requests answered with an error frame (bad topic, oversize payload).",
            &broker_counters::refused);
    counter("coronet_broker_malformed", "Connections closed for a malformed frame.", &broker_counters::malformed);
    counter("coronet_broker_accepted", "Client connections accepted.", &broker_counters::accepted);
    counter("coronet_broker_redelivered", "Messages redelivered from a durable subscription's backlog.",
            &broker_counters::redelivered);
    counter("coronet_broker_confirmed", "Publishes acknowledged to their publisher.", &broker_counters::confirmed);
    counter("coronet_broker_throttled", "Times a backpressure publisher's reads were paused for a full subscriber.",
            &broker_counters::throttled);
    counter("coronet_broker_throttle_timeouts", "Pauses that ended at backpressure_wait_max.",
            &broker_counters::throttle_timeouts);
    gauge("coronet_broker_retained", "Topics with a retained message.", &broker_counters::retained);
    gauge("coronet_broker_connections", "Clients connected now.", &broker_counters::connections);
    gauge("coronet_broker_subscriptions", "Subscriptions now.", &broker_counters::subscriptions);
    gauge("coronet_broker_queued_messages", "Messages waiting in every client's queue together.",
          &broker_counters::queued_messages);
    gauge("coronet_broker_queued_bytes", "Bytes waiting in every client's queue together.",
          &broker_counters::queued_bytes);
    gauge("coronet_broker_durable_pending", "Unacknowledged messages in durable subscriptions.",
          &broker_counters::durable_pending);
}

void register_metrics(metrics_registry& m, const gateway& g) {
    auto counter = [&](const char* name, const char* help, field<gateway_counters> f) {
        m.observe_counter(name, help, {}, [&g, f] { return g.counters().*f; });
    };
    counter("coronet_gateway_http_requests", "HTTP requests to the gateway.", &gateway_counters::http_requests);
    counter("coronet_gateway_published", "Messages published through the gateway.", &gateway_counters::published);
    counter("coronet_gateway_delivered", "Messages written to WebSockets.", &gateway_counters::delivered);
    counter("coronet_gateway_dropped", "Messages a slow WebSocket lost in its outbox.", &gateway_counters::dropped);
    counter("coronet_gateway_refused", "Requests answered with an error.", &gateway_counters::refused);
    m.observe_gauge("coronet_gateway_websockets", "WebSockets open now.", {},
                    [&g] { return static_cast<std::int64_t>(g.counters().websockets); });
}

} // namespace coronet::pubsub
