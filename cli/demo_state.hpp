#pragma once
// What the demo's dashboard shows: one JSON snapshot of every process,
// collected from their /v1/status and /metrics (a process that does not
// answer is shown as down).

#include "demo_layout.hpp"
#include "process_fleet.hpp"

#include <string>

namespace coronet::cli {

/// {"time", "gateway_ws", "kv": [...], "chord": [...], "broker": {...}}
std::string collect_demo_state(const process_fleet& fleet, const kv_cluster_procs& kv, const dht_ring_procs& ring,
                               const broker_procs& broker);

/// The value of the first sample of `series` (e.g. "coronet_broker_published_total")
/// in a Prometheus text page; 0 if absent.
double prometheus_value(const std::string& page, const std::string& series);

} // namespace coronet::cli
