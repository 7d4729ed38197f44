#pragma once
// One node of the replicated KV store, assembled: the store (state machine),
// a Raft node on durable storage, the Raft transport over coronet streams,
// and the HTTP/JSON API. What `coronet kv serve` runs, and what tests start
// several of in one process.

#include <coronet/consensus/kv/http_api.hpp>
#include <coronet/consensus/kv/store.hpp>
#include <coronet/consensus/raft/node.hpp>
#include <coronet/consensus/raft/stream_transport.hpp>
#include <coronet/consensus/raft/storage.hpp>

#include <coronet/log.hpp>
#include <coronet/metrics.hpp>
#include <coronet/transports/http_server.hpp>

#include <filesystem>
#include <map>
#include <memory>
#include <string>

namespace coronet::consensus::kv {

struct member {
    std::string raft_url; ///< where its Raft transport listens: tcp://127.0.0.1:7101, uring://…
    std::string http;     ///< where its HTTP API listens: 127.0.0.1:8101
};

struct server_options {
    node_id id = 0;
    /// Every voter of a new cluster, this node included. A node restarted
    /// from its data directory takes its membership from there.
    std::map<node_id, member> members;
    /// Raft's WAL and snapshots; empty: in memory (lost when the process ends).
    std::filesystem::path data_dir;
    raft::sync_mode sync = raft::sync_mode::fsync;
    raft::node_options node;
    raft::stream_transport_options transport;
    store_options store;
    http_api_options api;
    http::server_options http;
    /// Serves /v1/faults/partition, through which a test harness cuts this
    /// node off from chosen peers (PUT "2,3"; DELETE heals; GET lists).
    /// Off by default: anyone who can reach the API could partition the node.
    bool fault_injection = false;
    /// A node joining a running cluster: it starts with no voters and waits
    /// to be added (POST /v1/members on the leader). `members` still names
    /// the others, so it can redirect writers and, once added, reach them.
    bool join = false;
};

/// Parses "ID=RAFT_URL=HOST:PORT" (the --peer flag); throws
/// std::invalid_argument naming what is wrong.
std::pair<node_id, member> parse_member(std::string_view spec);

class server {
public:
    /// Opens the data directory (throws storage_error if it is damaged, or
    /// held by another process) and binds the HTTP listener (throws if taken).
    server(asio::any_io_executor ex, server_options o, logger_ptr log = {});
    ~server();
    server(const server&) = delete;
    server& operator=(const server&) = delete;

    /// Binds the Raft listener (throws if taken), starts Raft and the HTTP API.
    void start();
    /// Stops answering, fails waiting requests, closes every connection.
    asio::awaitable<void> stop();

    /// Tells this node where another member is (one bound to port 0 learns
    /// its peers after they have started).
    void set_member(node_id id, const member& m);

    std::string http_url() const { return _http.url(); }
    std::string raft_url() const { return _transport.url(); }
    raft::node& raft() { return _node; }
    const store& state() const { return _store; }
    const raft::stream_transport& transport() const { return _transport; }
    /// What GET /metrics serves: Raft's term, role, commit and applied
    /// indexes, the Raft transport's traffic, the store and the HTTP API.
    const metrics_registry& metrics() const { return _metrics; }

private:
    asio::awaitable<http::response> route(const http::request& req);
    http::response faults(const http::request& req);
    static std::unique_ptr<raft::stable_store> open_storage(const server_options& o, const logger_ptr& log);
    static raft::node_options node_options_for(const server_options& o);
    void register_metrics(); // server_metrics.cpp
    /// A member's addresses arrived in the log (or were deleted: `now` null).
    void learn_member(std::string_view key, const item* now);

    metrics_registry _metrics; // first: the HTTP server that reads it, and the parts it reads, go before it
    server_options _options;
    logger_ptr _log;
    store _store;
    std::unique_ptr<raft::stable_store> _stable;
    raft::stream_transport _transport;
    raft::node _node;
    http_api _api;
    http::server _http;
};

} // namespace coronet::consensus::kv
