#pragma once
// The broker for browsers and scripts: an HTTP/WebSocket server (Boost.Beast)
// that is itself a broker client. Each WebSocket is its own broker connection,
// so a slow browser gets the broker's slow-consumer policy like any client,
// and the gateway holds at most `outbox_messages` per socket on top.
//
//   GET  /               a status page
//   GET  /status         the same as JSON
//   GET  /metrics        Prometheus text, when gateway_options::metrics is set
//   POST /publish/TOPIC  the body is the payload: 200 {"published":"TOPIC"},
//                        400 bad topic, 413 too large, 503 broker unreachable
//   GET  /ws             WebSocket; text frames are JSON:
//     -> {"op":"sub","pattern":"orders.>","group":"g","binary":false}
//     -> {"op":"unsub","pattern":"orders.>"}
//     -> {"op":"pub","topic":"orders.eu","data":"text"}
//     <- {"op":"msg","topic":"orders.eu","seq":7,"data":"text"}
//     <- {"op":"ok","for":"sub","pattern":"orders.>"}   (the broker has it)
//     <- {"op":"error","error":"…"}
//   binary frames carry u16 topic length, topic, payload, both ways (a
//   subscription made with "binary":true delivers that way).

#include <coronet/log.hpp>
#include <coronet/metrics.hpp>
#include <coronet/pubsub/broker.hpp>
#include <coronet/pubsub/client.hpp>
#include <coronet/task_group.hpp>

#include <boost/asio/ip/tcp.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace coronet::pubsub {

struct gateway_options {
    /// The broker every WebSocket and POST connects to.
    std::string broker_url = "tcp://127.0.0.1:4222";
    client_options client;
    std::size_t http_body_max = 1u << 20;
    std::size_t ws_message_max = 1u << 20;
    /// Messages waiting to be written to one WebSocket; beyond, the oldest go
    /// (and the browser is told how many in the next message's "missed").
    std::size_t outbox_messages = 4096;
    std::size_t connections_max = 10'000;
    /// What GET /metrics serves (broker_metrics.hpp fills one); none: 404.
    /// Not owned: it must outlive the gateway.
    const metrics_registry* metrics = nullptr;
    /// When the gateway runs in the broker's process (`broker serve --http`):
    /// the broker's per-topic counters, shown busiest first (at most
    /// status_topics_max) under "topics" in GET /status. Called on the
    /// gateway's executor, which must be the broker's.
    std::function<std::vector<topic_counters>()> topics;
    std::size_t status_topics_max = 50;
};

struct gateway_counters {
    std::uint64_t http_requests = 0;
    std::uint64_t published = 0;
    std::uint64_t delivered = 0; ///< messages written to WebSockets
    std::uint64_t dropped = 0;   ///< messages a slow WebSocket lost in its outbox
    std::uint64_t refused = 0;   ///< requests answered with an error
    std::size_t websockets = 0;
};

namespace detail {
class gateway_state;
}

class gateway {
public:
    /// Listens on `http` (host:port, port 0 for any).
    gateway(const asio::any_io_executor& ex, const asio::ip::tcp::endpoint& http, gateway_options o = {},
            logger_ptr log = {});
    ~gateway();
    gateway(const gateway&) = delete;
    gateway& operator=(const gateway&) = delete;

    /// http://host:port
    std::string url() const;
    void start();
    /// Stops accepting, closes every WebSocket and HTTP connection, waits.
    asio::awaitable<void> stop();
    gateway_counters counters() const;

private:
    std::shared_ptr<detail::gateway_state> _state;
};

} // namespace coronet::pubsub
