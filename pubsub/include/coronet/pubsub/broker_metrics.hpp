#pragma once
// The broker's and the gateway's counters as Prometheus series, for the
// gateway's GET /metrics (gateway_options::metrics): publishes, deliveries,
// drops by slow-consumer policy, queue depths, connections.

#include <coronet/metrics.hpp>
#include <coronet/pubsub/broker.hpp>
#include <coronet/pubsub/gateway.hpp>

namespace coronet::pubsub {

/// Observed series reading `b` (or `g`) at each scrape: scrape from its
/// executor, and keep it alive as long as the registry is scraped.
void register_metrics(metrics_registry& registry, const broker& b);
void register_metrics(metrics_registry& registry, const gateway& g);

} // namespace coronet::pubsub
