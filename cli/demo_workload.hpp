#pragma once
// The demo's measurements against running processes: each is one pair of
// "sync" (one request at a time, waiting for each answer) and "async" (many
// in flight, or the work fanned out) runs of the same operation.

#include <cstddef>
#include <string>
#include <vector>

namespace coronet::cli {

struct kv_write_run {
    double one_client_p50_ms = 0; ///< one client, one write at a time
    double one_client_per_sec = 0;
    double many_clients_per_sec = 0; ///< `clients` threads writing at once
    unsigned clients = 0;
};

/// Writes demo keys through `leader_http` (host:port): `sequential` writes
/// from one client, then `clients` clients writing `each` at once. Throws if
/// a write is not acknowledged.
kv_write_run measure_kv_writes(const std::string& leader_http, std::size_t sequential, unsigned clients,
                               std::size_t each);

struct lookup_run {
    double p50_us = 0;   ///< per lookup, as a client of the HTTP API sees it
    double mean_hops = 0;
    std::size_t lookups = 0;
    std::size_t failed = 0;
};

/// `n` lookups of distinct keys in `style` (iterative|recursive), started
/// from each node of `https` in turn.
lookup_run measure_lookups(const std::vector<std::string>& https, const std::string& style, std::size_t n);

struct publish_run {
    double confirmed_per_sec = 0; ///< publish_confirmed: wait for the broker's ack each time
    double pipelined_per_sec = 0; ///< publish: queue and go on, flush at the end
    std::size_t delivered = 0;    ///< what the subscriber received of both
    std::size_t messages = 0;     ///< published each way
};

/// One subscriber on `broker_url`, `n` messages each way. Throws if the
/// subscriber does not get all 2n within 10 s.
publish_run measure_publish(const std::string& broker_url, std::size_t n);

} // namespace coronet::cli
