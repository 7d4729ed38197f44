#include <coronet/rpc/server_metrics.hpp>

namespace coronet::rpc {

void register_metrics(metrics_registry& m, server& s) {
    // server::counters() sums over every connection, open or closed, so each
    // series reads it afresh: scrapes are rare, and one consistent cut is not
    // promised.
    auto counter = [&](const char* name, const char* help, std::uint64_t connection_counters::*f) {
        m.observe_counter(name, help, {}, [&s, f] { return s.counters().*f; });
    };
    counter("coronet_rpc_calls_answered", "Calls received: answered with a Return, or one-way (coronet's extension).",
            &connection_counters::calls_in);
    counter("coronet_rpc_calls_failed", "Questions answered with an exception.", &connection_counters::failed_in);
    counter("coronet_rpc_calls_cancelled", "Calls the caller cancelled (Finish before Return).",
            &connection_counters::cancelled_in);
    counter("coronet_rpc_calls_unimplemented", "Calls to interfaces or methods not served here.",
            &connection_counters::unimplemented_in);
    counter("coronet_rpc_calls_made", "Calls this server made to its peers.", &connection_counters::calls_out);
    counter("coronet_rpc_messages_in", "Cap'n Proto RPC messages received.", &connection_counters::messages_in);
    counter("coronet_rpc_messages_out", "Cap'n Proto RPC messages sent.", &connection_counters::messages_out);
    counter("coronet_rpc_bytes_in", "Bytes received (frames).", &connection_counters::bytes_in);
    counter("coronet_rpc_bytes_out", "Bytes sent (frames).", &connection_counters::bytes_out);
    counter("coronet_rpc_writes", "Gather writes to sockets (frames coalesce into one).",
            &connection_counters::writes);
    m.observe_counter("coronet_rpc_connections_accepted", "Connections accepted.", {},
                      [&s] { return s.accepted(); });
    m.observe_gauge("coronet_rpc_connections", "Connections open now.", {},
                    [&s] { return static_cast<std::int64_t>(s.connections()); });
    s.measure_call_latency(m.histogram("coronet_rpc_call_duration_ns",
                                       "Time from a Call read to its Return queued, in nanoseconds."));
}

} // namespace coronet::rpc
