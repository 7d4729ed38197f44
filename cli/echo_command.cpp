// coronet echo serve|ping: the echo service over any transport URL, as raw
// bytes or as a Cap'n Proto RPC interface (--rpc).
#include "commands.hpp"
#include "echo_rpc_service.hpp"
#include "http_endpoint.hpp"

#include <coronet/histogram.hpp>
#include <coronet/metrics.hpp>
#include <coronet/rpc/client.hpp>
#include <coronet/rpc/server.hpp>
#include <coronet/rpc/server_metrics.hpp>
#include <coronet/transports/http_server.hpp>
#include <coronet/runtime.hpp>
#include <coronet/until_cancelled.hpp>
#include <coronet/transports/echo.hpp>
#include <coronet/transports/endpoint.hpp>

#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <fmt/core.h>

namespace coronet::cli {

namespace {

struct serve_options {
    std::string url = "tcp://127.0.0.1:7000";
    std::size_t threads = 1;
    unsigned read_timeout_ms = 0;
    bool busy_poll = false;
    bool rpc = false;
    std::string http; ///< HOST:PORT for GET /metrics; empty: none
};

struct ping_options {
    std::string url = "tcp://127.0.0.1:7000";
    std::size_t count = 1000;
    std::size_t bytes = 64;
    bool rpc = false;
};

http::server_options metrics_only(const metrics_registry& m) {
    http::server_options o;
    o.metrics = &m;
    return o;
}

asio::awaitable<http::response> no_such_page(const http::request&) {
    co_return http::json_error(http::status::not_found, "this server answers GET /metrics only");
}

int serve(const serve_options& o, const global_options& g) {
    runtime_options ro;
    ro.threads = o.threads;
    ro.busy_poll = o.busy_poll;
    ro.log = make_logger("coronet", parse_log_level(g.log_level));
    runtime rt(ro);
    // Thread-per-core: one server per context, each with its own listener on the
    // same port (SO_REUSEPORT would be needed for >1; keep it to one for now).
    if (o.threads != 1) throw std::invalid_argument("echo serve: --threads > 1 is not supported yet");
    std::optional<asio::ip::tcp::endpoint> http_at;
    if (!o.http.empty()) http_at = http_endpoint(o.http); // a bad flag fails before anything starts
    rt.spawn([](runtime& rt, serve_options o, std::optional<asio::ip::tcp::endpoint> http_at) -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        metrics_registry metrics;
        std::optional<http::server> api;
        if (http_at) api.emplace(ex, *http_at, no_such_page, metrics_only(metrics), rt.log());
        if (o.rpc) {
            rpc::server server(listen(ex, o.url), std::make_shared<echo_rpc_service>(), {}, rt.log());
            rpc::register_metrics(metrics, server);
            server.start();
            if (api) api->start();
            rt.log()->info("Cap'n Proto echo server (interface DemoEcho) listening on {}{} (Ctrl-C stops)",
                           server.url(), api ? "; metrics at " + api->url() + "/metrics" : "");
            co_await until_cancelled();
            if (api) co_await api->stop();
            co_await server.stop();
            rt.log()->info("echo server stopped after {} connection(s), {} call(s)", server.accepted(),
                           server.counters().calls_in);
            co_return;
        }
        echo::server_options so;
        if (o.read_timeout_ms) so.read_timeout = std::chrono::milliseconds(o.read_timeout_ms);
        echo::server server(listen(ex, o.url), so, rt.log());
        metrics.observe_counter("coronet_echo_connections_accepted", "Connections accepted.", {},
                                [&server] { return server.accepted(); });
        metrics.observe_gauge("coronet_echo_connections", "Connections open now.", {},
                              [&server] { return static_cast<std::int64_t>(server.connections()); });
        server.start();
        if (api) api->start();
        rt.log()->info("echo server listening on {}{} (Ctrl-C stops)", server.url(),
                       api ? "; metrics at " + api->url() + "/metrics" : "");
        co_await until_cancelled(); // until stop() / Ctrl-C cancels us
        if (api) co_await api->stop();
        co_await server.stop();
        rt.log()->info("echo server stopped after {} connection(s)", server.accepted());
    }(rt, o, http_at));
    rt.run();
    return 0;
}

int ping(const ping_options& o, const global_options& g) {
    runtime_options ro;
    ro.log = make_logger("coronet", parse_log_level(g.log_level));
    runtime rt(ro);
    histogram rtt;
    if (o.rpc) {
        rt.spawn([](ping_options o, histogram& rtt) -> asio::awaitable<void> {
            auto conn = co_await rpc::connect(o.url);
            auto echo = co_await conn.bootstrap_as<demo_schema::DemoEchoClient>();
            std::vector<capnp::byte> out(o.bytes);
            for (std::size_t i = 0; i < o.count; ++i) {
                for (std::size_t j = 0; j < out.size(); ++j) out[j] = static_cast<capnp::byte>(i + j);
                auto start = std::chrono::steady_clock::now();
                auto r = co_await echo.echo([&out](auto p) { p.setData(capnp::Data::Reader(out.data(), out.size())); });
                rtt.record(static_cast<std::uint64_t>((std::chrono::steady_clock::now() - start).count()));
                auto back = r->getData();
                if (!std::equal(back.begin(), back.end(), out.begin(), out.end()))
                    throw std::runtime_error("echo mismatch at call " + std::to_string(i));
            }
        }(o, rtt));
    } else {
        rt.spawn([](ping_options o, histogram& rtt) -> asio::awaitable<void> {
            auto s = co_await connect(o.url);
            std::vector<std::uint8_t> out(o.bytes), in(o.bytes);
            for (std::size_t i = 0; i < o.count; ++i) {
                for (std::size_t j = 0; j < out.size(); ++j) out[j] = static_cast<std::uint8_t>(i + j);
                auto start = std::chrono::steady_clock::now();
                co_await asio::async_write(s, asio::buffer(out), asio::use_awaitable);
                co_await asio::async_read(s, asio::buffer(in), asio::use_awaitable);
                rtt.record(static_cast<std::uint64_t>((std::chrono::steady_clock::now() - start).count()));
                if (in != out) throw std::runtime_error("echo mismatch at message " + std::to_string(i));
            }
        }(o, rtt));
    }
    rt.run();
    fmt::print("{} {} of {} B to {}: min {:.1f} µs, p50 {:.1f} µs, p99 {:.1f} µs, max {:.1f} µs\n",
               rtt.count(), o.rpc ? "calls" : "round trips", o.bytes, o.url, static_cast<double>(rtt.min()) / 1e3, rtt.percentile(50) / 1e3,
               rtt.percentile(99) / 1e3, static_cast<double>(rtt.max()) / 1e3);
    return 0;
}

} // namespace

void add_echo_command(CLI::App& app, const global_options& g, std::function<int()>& run) {
    auto* echo = app.add_subcommand("echo", "echo server and client over tcp://, uring:// or udp://");
    echo->require_subcommand(1);

    auto so = std::make_shared<serve_options>();
    auto* s = echo->add_subcommand("serve", "run an echo server until Ctrl-C");
    s->add_option("--url", so->url, "endpoint to listen on")->capture_default_str();
    s->add_option("--read-timeout-ms", so->read_timeout_ms, "close connections idle this long (0: never)");
    s->add_flag("--busy-poll", so->busy_poll, "spin instead of sleeping (lower latency, burns a core)");
    s->add_option("--threads", so->threads, "io_context threads")->capture_default_str();
    s->add_flag("--rpc", so->rpc, "serve the Cap'n Proto interface DemoEcho (cli/demo_echo.capnp) instead of raw bytes");
    s->add_option("--http", so->http, "HOST:PORT to serve GET /metrics on (Prometheus text)");
    s->callback([&run, so, &g] { run = [so, &g] { return serve(*so, g); }; });

    auto po = std::make_shared<ping_options>();
    auto* p = echo->add_subcommand("ping", "measure round trips to an echo server");
    p->add_option("--url", po->url, "endpoint to connect to")->capture_default_str();
    p->add_option("--count", po->count, "round trips")->capture_default_str()->check(CLI::Range(1, 10'000'000));
    p->add_option("--size", po->bytes, "message bytes")->capture_default_str()->check(CLI::Range(1, 16 << 20));
    p->add_flag("--rpc", po->rpc, "call DemoEcho.echo on an `echo serve --rpc` server, one call at a time");
    p->callback([&run, po, &g] { run = [po, &g] { return ping(*po, g); }; });
}

} // namespace coronet::cli
