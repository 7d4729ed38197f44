#pragma once
// An RPC server's traffic as Prometheus series, for a program's GET /metrics
// (http::server_options::metrics): calls answered, failed and cancelled, how
// long they took, messages and bytes each way, connections.

#include <coronet/metrics.hpp>
#include <coronet/rpc/server.hpp>

namespace coronet::rpc {

/// Observed series reading `s` at each scrape (scrape from its executor, and
/// keep it alive as long as the registry is scraped), and the call-duration
/// summary `coronet_rpc_call_duration_ns`, which connections accepted after
/// this call record into: call it before start().
void register_metrics(metrics_registry& registry, server& s);

} // namespace coronet::rpc
