// The gateway's HTTP side: accepting, keep-alive requests, POST /publish,
// the status page and JSON; WebSocket upgrades go to gateway_ws.cpp.
#include "gateway_state.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/json.hpp>

#include <fmt/format.h>

#include <sstream>

namespace coronet::pubsub {

namespace detail {

namespace {

constexpr auto idle_timeout = std::chrono::seconds(30);

http::response<http::string_body> reply(http::status s, unsigned version, std::string body,
                                        std::string_view type = "application/json") {
    http::response<http::string_body> r{s, version};
    r.set(http::field::server, "coronet-gateway");
    r.set(http::field::content_type, type);
    r.body() = std::move(body);
    r.prepare_payload();
    return r;
}

http::response<http::string_body> json_error(http::status s, unsigned version, std::string_view why) {
    return reply(s, version, boost::json::serialize(boost::json::object{{"error", why}}) + "\n");
}

boost::json::object status_json(const gateway_counters& c, const gateway_options& o) {
    boost::json::object s{{"broker", o.broker_url},     {"websockets", c.websockets}, {"http_requests", c.http_requests},
                          {"published", c.published},   {"delivered", c.delivered},   {"dropped", c.dropped},
                          {"refused", c.refused}};
    if (o.topics) {
        boost::json::array topics;
        for (const auto& t : o.topics()) {
            if (topics.size() >= o.status_topics_max) break;
            topics.push_back({{"topic", t.topic}, {"published", t.published}, {"delivered", t.delivered}});
        }
        s["topics"] = std::move(topics);
    }
    return s;
}

std::string status_page(const gateway_counters& c, const gateway_options& o) {
    return fmt::format(R"(<!doctype html>
<html><head><meta charset="utf-8"><title>coronet broker gateway</title>
<style>body{{font-family:sans-serif;margin:2em}} td{{padding:.2em 1em}}</style></head>
<body><h1>coronet broker gateway</h1>
<p>Broker: <code>{}</code>. WebSocket: <code>/ws</code>; publish: <code>POST /publish/&lt;topic&gt;</code>;
JSON: <a href="/status">/status</a>.</p>
<table>
<tr><td>open WebSockets</td><td id="websockets">{}</td></tr>
<tr><td>HTTP requests</td><td>{}</td></tr>
<tr><td>published</td><td id="published">{}</td></tr>
<tr><td>delivered to WebSockets</td><td id="delivered">{}</td></tr>
<tr><td>dropped (slow WebSockets)</td><td id="dropped">{}</td></tr>
<tr><td>refused</td><td>{}</td></tr>
</table></body></html>
)",
                       o.broker_url, c.websockets, c.http_requests, c.published, c.delivered, c.dropped, c.refused);
}

} // namespace

gateway_state::gateway_state(const asio::any_io_executor& ex, const asio::ip::tcp::endpoint& ep, gateway_options o,
                             logger_ptr l)
    : acceptor(ex, ep), options(std::move(o)), log(l ? std::move(l) : make_logger("gateway")), tasks(ex) {}

asio::awaitable<void> gateway_state::accept_loop() {
    for (;;) {
        auto [ec, s] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
        if (ec == asio::error::operation_aborted || stopping) co_return;
        if (ec) {
            log->warn("gateway: accept failed: {}", ec.message());
            continue;
        }
        forget_closed();
        if (open.size() >= options.connections_max) continue; // s closes here
        tasks.spawn(serve(std::move(s)));
    }
}

asio::awaitable<void> gateway_state::serve(asio::ip::tcp::socket s) {
    auto self = shared_from_this();
    struct http_connection final : closable {
        explicit http_connection(asio::ip::tcp::socket s) : stream(std::move(s)) {}
        void close() override { stream.close(); }
        beast::tcp_stream stream;
    };
    auto conn = std::make_shared<http_connection>(std::move(s));
    open.push_back(conn);
    auto* stream = &conn->stream;
    beast::flat_buffer buffer;
    try {
        for (;;) {
            http::request_parser<http::string_body> parser;
            parser.body_limit(options.http_body_max);
            stream->expires_after(idle_timeout);
            auto [ec, n] = co_await http::async_read(*stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
            if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::operation_aborted)
                break;
            if (ec) { // a request that cannot be parsed (or too large): say so, then close
                ++counts.refused;
                auto status = ec == http::error::body_limit ? http::status::payload_too_large : http::status::bad_request;
                auto r = json_error(status, 11, ec.message());
                r.keep_alive(false);
                co_await http::async_write(*stream, r, asio::as_tuple(asio::use_awaitable));
                break;
            }
            auto req = parser.release();
            if (beast::websocket::is_upgrade(req) && req.target() == "/ws") {
                stream->expires_never();
                co_await websocket(std::move(*stream), std::move(req));
                co_return;
            }
            ++counts.http_requests;
            auto r = co_await handle(req);
            r.keep_alive(req.keep_alive());
            auto [wec, wn] = co_await http::async_write(*stream, r, asio::as_tuple(asio::use_awaitable));
            if (wec || !r.keep_alive()) break;
        }
    } catch (const std::exception& e) {
        log->info("gateway: connection ended: {}", e.what());
    }
    beast::error_code ignored;
    stream->socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
}

asio::awaitable<http::response<http::string_body>> gateway_state::handle(const http::request<http::string_body>& req) {
    auto target = std::string_view(req.target());
    if (req.method() == http::verb::get && (target == "/" || target == "/index.html"))
        co_return reply(http::status::ok, req.version(), status_page(counts, options), "text/html; charset=utf-8");
    if (req.method() == http::verb::get && target == "/metrics" && options.metrics) {
        std::ostringstream text;
        options.metrics->write_prometheus(text);
        co_return reply(http::status::ok, req.version(), std::move(text).str(),
                        "text/plain; version=0.0.4; charset=utf-8");
    }
    if (req.method() == http::verb::get && target == "/status")
        co_return reply(http::status::ok, req.version(), boost::json::serialize(status_json(counts, options)) + "\n");
    constexpr std::string_view publish_prefix = "/publish/";
    if (target.starts_with(publish_prefix)) {
        if (req.method() != http::verb::post) {
            ++counts.refused;
            auto r = json_error(http::status::method_not_allowed, req.version(), "use POST to publish");
            r.set(http::field::allow, "POST");
            co_return r;
        }
        co_return co_await publish(target.substr(publish_prefix.size()), req.body(), req.version());
    }
    ++counts.refused;
    co_return json_error(http::status::not_found, req.version(),
                         fmt::format("no such resource: {} (try /, /status, /metrics, POST /publish/<topic>, /ws)", target));
}

asio::awaitable<http::response<http::string_body>> gateway_state::publish(std::string_view topic,
                                                                          const std::string& body, unsigned version) {
    auto self = shared_from_this();
    if (auto e = topic_error(topic, options.client.limits.topics)) {
        ++counts.refused;
        co_return json_error(http::status::bad_request, version, *e);
    }
    if (body.size() > options.client.limits.payload_max) {
        ++counts.refused;
        co_return json_error(http::status::payload_too_large, version,
                             fmt::format("payload of {} bytes exceeds {}", body.size(), options.client.limits.payload_max));
    }
    // A local copy: another request may replace _poster while this one waits.
    auto poster = _poster;
    try {
        if (!poster || !poster->is_open()) {
            poster = std::make_shared<client>(co_await client::connect(options.broker_url, options.client));
            _poster = poster;
        }
        co_await poster->publish(topic, body);
        co_await poster->flush(); // 200 means the broker has routed it
    } catch (const std::exception& e) {
        ++counts.refused;
        co_return json_error(http::status::service_unavailable, version,
                             fmt::format("broker {} unavailable: {}", options.broker_url, e.what()));
    }
    ++counts.published;
    co_return reply(http::status::ok, version, boost::json::serialize(boost::json::object{{"published", topic}}) + "\n");
}

} // namespace detail

gateway::gateway(const asio::any_io_executor& ex, const asio::ip::tcp::endpoint& http, gateway_options o,
                 logger_ptr log)
    : _state(std::make_shared<detail::gateway_state>(ex, http, std::move(o), std::move(log))) {}

gateway::~gateway() {
    boost::system::error_code ignored;
    _state->acceptor.close(ignored);
}

std::string gateway::url() const {
    auto ep = _state->acceptor.local_endpoint();
    return fmt::format("http://{}:{}", ep.address().to_string(), ep.port());
}

void gateway::start() { _state->tasks.spawn(_state->accept_loop()); }

asio::awaitable<void> gateway::stop() {
    auto state = _state;
    state->stopping = true;
    boost::system::error_code ignored;
    state->acceptor.close(ignored);
    for (auto& w : state->open)
        if (auto c = w.lock()) c->close();
    state->close_poster();
    state->tasks.cancel();
    co_await state->tasks.join();
}

gateway_counters gateway::counters() const { return _state->counts; }

} // namespace coronet::pubsub
