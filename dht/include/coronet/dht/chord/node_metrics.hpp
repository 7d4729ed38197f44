#pragma once
// A Chord node's state as Prometheus series, for a program's GET /metrics:
// lookups and their hops, routing-table and store sizes, traffic, rejected
// messages, timeouts and failed peers.

#include <coronet/dht/chord/node.hpp>
#include <coronet/metrics.hpp>

namespace coronet::dht::chord {

/// Adds observed series reading `n` at each scrape: scrape from the node's
/// executor, and keep `n` alive as long as the registry is scraped.
void register_metrics(metrics_registry& registry, const node& n);

} // namespace coronet::dht::chord
