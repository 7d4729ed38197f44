// coronet broker serve|pub|sub: the topic broker and two small clients.
#include "commands.hpp"
#include "http_endpoint.hpp"

#include <coronet/pubsub/broker.hpp>
#include <coronet/pubsub/broker_metrics.hpp>
#include <coronet/pubsub/client.hpp>
#include <coronet/pubsub/gateway.hpp>
#include <coronet/runtime.hpp>
#include <coronet/until_cancelled.hpp>
#include <coronet/transports/endpoint.hpp>

#include <fmt/core.h>

#include <iostream>
#include <optional>

namespace coronet::cli {

namespace {

constexpr const char* default_url = "tcp://127.0.0.1:4222";

struct serve_options {
    std::string url = default_url;
    std::string http; ///< also serve the HTTP/WebSocket gateway here (host:port)
    std::size_t queue_messages = 1u << 20;
    std::size_t queue_bytes = 64u << 20;
    std::string policy = "drop-oldest";
    std::size_t payload_max = 1u << 20;
};

struct gateway_command_options {
    std::string broker = default_url;
    std::string http = "127.0.0.1:8080";
};

struct pub_options {
    std::string url = default_url;
    std::string topic;
    std::vector<std::string> messages;
    std::size_t count = 1;
    bool retain = false;
    bool backpressure = false;
};

struct sub_options {
    std::string url = default_url;
    std::string pattern;
    std::string queue_group;
    std::size_t count = 0; ///< 0: until Ctrl-C
    std::string policy = "drop-oldest";
};

pubsub::overflow_policy policy_of(const std::string& s) {
    auto p = pubsub::parse_overflow_policy(s);
    if (!p) throw std::invalid_argument("unknown policy '" + s + "' (drop-oldest, drop-newest or disconnect)");
    return *p;
}

runtime make_runtime(const global_options& g) {
    runtime_options ro;
    ro.log = make_logger("coronet", parse_log_level(g.log_level));
    return runtime(ro);
}

int serve(const serve_options& o, const global_options& g) {
    pubsub::broker_options bo;
    bo.queue_messages_max = o.queue_messages;
    bo.queue_bytes_max = o.queue_bytes;
    bo.default_policy = policy_of(o.policy);
    bo.limits.payload_max = o.payload_max;
    auto rt = make_runtime(g);
    std::optional<asio::ip::tcp::endpoint> http;
    if (!o.http.empty()) http = http_endpoint(o.http);
    rt.spawn([](runtime& rt, std::string url, pubsub::broker_options bo,
                std::optional<asio::ip::tcp::endpoint> http) -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        pubsub::broker b(listen(ex, url), bo, rt.log());
        b.start();
        rt.log()->info("broker listening on {} (Ctrl-C stops)", b.url());
        metrics_registry metrics; // served by the gateway at /metrics; outlives it
        std::optional<pubsub::gateway> gw;
        if (http) {
            pubsub::gateway_options go;
            go.broker_url = b.url();
            go.client.limits = bo.limits;
            go.metrics = &metrics;
            go.topics = [&b] { return b.topics(); };
            gw.emplace(ex, *http, go, rt.log());
            pubsub::register_metrics(metrics, b);
            pubsub::register_metrics(metrics, *gw);
            gw->start();
            rt.log()->info("gateway on {} (WebSocket {}/ws, POST {}/publish/<topic>)", gw->url(), gw->url(), gw->url());
        }
        co_await until_cancelled();
        if (gw) co_await gw->stop();
        co_await b.stop();
        auto c = b.counters();
        rt.log()->info("broker stopped: {} published, {} delivered, {} dropped, {} slow consumers disconnected",
                       c.published, c.delivered, c.dropped, c.slow_disconnects);
    }(rt, o.url, bo, http));
    rt.run();
    return 0;
}

int gateway(const gateway_command_options& o, const global_options& g) {
    auto http = http_endpoint(o.http);
    auto rt = make_runtime(g);
    rt.spawn([](runtime& rt, gateway_command_options o, asio::ip::tcp::endpoint http) -> asio::awaitable<void> {
        pubsub::gateway_options go;
        go.broker_url = o.broker;
        pubsub::gateway gw(co_await asio::this_coro::executor, http, go, rt.log());
        gw.start();
        rt.log()->info("gateway on {} for broker {} (Ctrl-C stops)", gw.url(), o.broker);
        co_await until_cancelled();
        co_await gw.stop();
    }(rt, o, http));
    rt.run();
    return 0;
}

int pub(const pub_options& o, const global_options& g) {
    auto rt = make_runtime(g);
    rt.spawn([](pub_options o) -> asio::awaitable<void> {
        pubsub::client_options co;
        co.backpressure = o.backpressure;
        auto c = co_await pubsub::client::connect(o.url, co);
        std::size_t sent = 0;
        for (std::size_t i = 0; i < o.count; ++i)
            for (auto& m : o.messages) {
                if (o.retain) co_await c.publish_retained(o.topic, m);
                else co_await c.publish(o.topic, m);
                ++sent;
            }
        co_await c.flush(); // the broker has routed them all
        fmt::print("published {} message(s) to {}\n", sent, o.topic);
    }(o));
    rt.run();
    return 0;
}

int sub(const sub_options& o, const global_options& g) {
    auto rt = make_runtime(g);
    rt.spawn([](sub_options o) -> asio::awaitable<void> {
        pubsub::client_options co;
        co.policy = policy_of(o.policy);
        auto c = co_await pubsub::client::connect(o.url, co);
        auto s = co_await c.subscribe(o.pattern, o.queue_group);
        std::cerr << fmt::format("subscribed to {} on {}\n", o.pattern, o.url);
        for (std::size_t n = 0; o.count == 0 || n < o.count; ++n) {
            auto m = co_await s.next();
            std::cout << fmt::format("{} #{}{}: {}\n", m.topic, m.seq, m.retained ? " (retained)" : "", m.text())
                      << std::flush;
        }
        if (s.missed()) std::cerr << fmt::format("missed {} message(s) (a slow consumer)\n", s.missed());
    }(o));
    rt.run();
    return 0;
}

} // namespace

void add_broker_command(CLI::App& app, const global_options& g, std::function<int()>& run) {
    auto* broker = app.add_subcommand("broker", "topic publish/subscribe broker and clients");
    broker->require_subcommand(1);

    auto so = std::make_shared<serve_options>();
    auto* s = broker->add_subcommand("serve", "run a broker until Ctrl-C");
    s->add_option("--url", so->url, "endpoint to listen on (tcp://, uring://, fault+…)")->capture_default_str();
    s->add_option("--queue-messages", so->queue_messages, "per-client queue, messages")
        ->capture_default_str()
        ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 30));
    s->add_option("--queue-bytes", so->queue_bytes, "per-client queue, bytes")
        ->capture_default_str()
        ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 40));
    s->add_option("--policy", so->policy, "default for clients that do not choose: drop-oldest|drop-newest|disconnect")
        ->capture_default_str();
    s->add_option("--payload-max", so->payload_max, "largest payload accepted, bytes")
        ->capture_default_str()
        ->check(CLI::Range(std::size_t{1}, std::size_t{64} << 20));
    s->add_option("--http", so->http, "also serve the HTTP/WebSocket gateway on host:port (e.g. 127.0.0.1:8080)");
    s->callback([&run, so, &g] { run = [so, &g] { return serve(*so, g); }; });

    auto go = std::make_shared<gateway_command_options>();
    auto* gwc = broker->add_subcommand("gateway", "HTTP/WebSocket gateway to a running broker, until Ctrl-C");
    gwc->add_option("--broker", go->broker, "broker URL")->capture_default_str();
    gwc->add_option("--http", go->http, "host:port to serve HTTP and WebSocket on")->capture_default_str();
    gwc->callback([&run, go, &g] { run = [go, &g] { return gateway(*go, g); }; });

    auto po = std::make_shared<pub_options>();
    auto* p = broker->add_subcommand("pub", "publish messages to a topic");
    p->add_option("topic", po->topic, "dot-separated topic, e.g. orders.eu")->required();
    p->add_option("messages", po->messages, "message texts")->required();
    p->add_option("--url", po->url, "broker to connect to")->capture_default_str();
    p->add_option("--count", po->count, "send the messages this many times")
        ->capture_default_str()
        ->check(CLI::Range(std::size_t{1}, std::size_t{100'000'000}));
    p->add_flag("--retain", po->retain,
                "keep the (last) message as the topic's retained one for later subscribers; \"\" forgets it");
    p->add_flag("--backpressure", po->backpressure,
                "be slowed down, not dropped, when a subscriber falls behind (the broker stops reading)");
    p->callback([&run, po, &g] { run = [po, &g] { return pub(*po, g); }; });

    auto uo = std::make_shared<sub_options>();
    auto* u = broker->add_subcommand("sub", "print messages on topics matching a pattern");
    u->add_option("pattern", uo->pattern, "topic pattern: * matches one level, > the rest")->required();
    u->add_option("--url", uo->url, "broker to connect to")->capture_default_str();
    u->add_option("--queue-group", uo->queue_group, "share the messages with the group's other members");
    u->add_option("--count", uo->count, "exit after this many messages (0: never)")->capture_default_str();
    u->add_option("--policy", uo->policy, "when this client is too slow: drop-oldest|drop-newest|disconnect")
        ->capture_default_str();
    u->callback([&run, uo, &g] { run = [uo, &g] { return sub(*uo, g); }; });
}

} // namespace coronet::cli
