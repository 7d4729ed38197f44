#include <coronet/transports/http_server.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <fmt/format.h>

#include <array>
#include <set>
#include <sstream>

namespace coronet::http {

response make_response(status s, std::string body, std::string_view content_type) {
    response r{s, 11};
    r.set(bhttp::field::content_type, content_type);
    r.body() = std::move(body);
    r.prepare_payload();
    return r;
}

response json_error(status s, std::string_view why) {
    // Escaped by hand: this module does not depend on a JSON library.
    std::string body = "{\"error\":\"";
    for (char c : why) {
        if (c == '"' || c == '\\') {
            body += '\\';
            body += c;
        } else if (static_cast<unsigned char>(c) < 0x20) {
            body += fmt::format("\\u{:04x}", static_cast<unsigned>(static_cast<unsigned char>(c)));
        } else {
            body += c;
        }
    }
    body += "\"}\n";
    return make_response(s, std::move(body));
}

response prometheus_response(const metrics_registry& metrics) {
    std::ostringstream text;
    metrics.write_prometheus(text);
    return make_response(status::ok, std::move(text).str(), "text/plain; version=0.0.4; charset=utf-8");
}

namespace detail {

class server_state : public std::enable_shared_from_this<server_state> {
public:
    server_state(const asio::any_io_executor& ex, const asio::ip::tcp::endpoint& ep, handler h, server_options o,
                 logger_ptr l)
        : acceptor(ex, ep), on_request(std::move(h)), options(std::move(o)),
          log(l ? std::move(l) : make_logger("http")), tasks(ex) {}

    asio::awaitable<void> accept_loop();
    asio::awaitable<void> serve(asio::ip::tcp::socket s);
    asio::awaitable<response> answer(const request& req);
    asio::awaitable<void> linger(beast::tcp_stream& stream);

    asio::ip::tcp::acceptor acceptor;
    handler on_request;
    server_options options;
    logger_ptr log;
    task_group tasks;
    server_counters counts;
    std::set<beast::tcp_stream*> open; ///< closed by stop()
    bool stopping = false;
};

asio::awaitable<void> server_state::accept_loop() {
    auto self = shared_from_this();
    for (;;) {
        auto [ec, s] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
        if (ec == asio::error::operation_aborted || stopping) co_return;
        if (ec) {
            // Out of descriptors and the like: pause rather than spin.
            log->warn("http: accept failed: {}", ec.message());
            asio::steady_timer pause(acceptor.get_executor(), std::chrono::milliseconds(50));
            co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
            continue;
        }
        if (open.size() >= options.connections_max) {
            ++counts.refused;
            continue; // s closes here
        }
        tasks.spawn(serve(std::move(s)));
    }
}

asio::awaitable<response> server_state::answer(const request& req) {
    try {
        if (options.metrics && req.target() == "/metrics") {
            if (req.method() != verb::get) co_return json_error(status::method_not_allowed, "use GET /metrics");
            co_return prometheus_response(*options.metrics);
        }
        co_return co_await on_request(req);
    } catch (const std::exception& e) {
        ++counts.failed;
        log->warn("http: {} {} failed: {}", std::string_view(req.method_string()), std::string_view(req.target()),
                  e.what());
        co_return json_error(status::internal_server_error, e.what());
    }
}

asio::awaitable<void> server_state::linger(beast::tcp_stream& stream) {
    // The client may still be sending the body we refused; closing now would
    // reset the connection and lose our answer before it reads it. Read and
    // discard for a bounded time and amount first.
    beast::error_code ignored;
    stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    std::array<char, 16384> scratch;
    std::size_t drained = 0;
    stream.expires_after(std::chrono::seconds(1));
    while (drained < 4 * options.body_max && !stopping) {
        auto [ec, n] = co_await stream.async_read_some(asio::buffer(scratch), asio::as_tuple(asio::use_awaitable));
        if (ec) break;
        drained += n;
    }
}

asio::awaitable<void> server_state::serve(asio::ip::tcp::socket s) {
    auto self = shared_from_this();
    beast::tcp_stream stream(std::move(s));
    open.insert(&stream);
    counts.connections = open.size();
    beast::flat_buffer buffer;
    for (;;) {
        bhttp::request_parser<bhttp::string_body> parser;
        parser.body_limit(options.body_max);
        stream.expires_after(options.idle_timeout);
        auto [ec, n] = co_await bhttp::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
        if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::operation_aborted ||
            stopping || !stream.socket().is_open())
            break;
        if (ec) {
            // A request that cannot be parsed: say why, then close, since the
            // stream may be anywhere inside it.
            ++counts.refused;
            auto r = json_error(ec == bhttp::error::body_limit ? status::payload_too_large : status::bad_request,
                                ec.message());
            r.set(bhttp::field::server, options.name);
            r.keep_alive(false);
            co_await bhttp::async_write(stream, r, asio::as_tuple(asio::use_awaitable));
            co_await linger(stream);
            break;
        }
        stream.expires_never(); // the handler has its own deadlines
        ++counts.requests;
        const auto& req = parser.get();
        auto r = co_await answer(req);
        r.set(bhttp::field::server, options.name);
        r.version(req.version());
        r.keep_alive(req.keep_alive());
        if (stopping) break;
        stream.expires_after(options.idle_timeout);
        auto [wec, wn] = co_await bhttp::async_write(stream, r, asio::as_tuple(asio::use_awaitable));
        if (wec || !r.keep_alive()) break;
    }
    beast::error_code ignored;
    stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    open.erase(&stream);
    counts.connections = open.size();
}

} // namespace detail

server::server(const asio::any_io_executor& ex, const asio::ip::tcp::endpoint& ep, handler h, server_options o,
               logger_ptr log)
    : _state(std::make_shared<detail::server_state>(ex, ep, std::move(h), std::move(o), std::move(log))) {}

server::~server() {
    boost::system::error_code ignored;
    _state->acceptor.close(ignored);
}

std::string server::url() const {
    auto ep = local_endpoint();
    if (ep.address().is_v6()) return fmt::format("http://[{}]:{}", ep.address().to_string(), ep.port());
    return fmt::format("http://{}:{}", ep.address().to_string(), ep.port());
}

asio::ip::tcp::endpoint server::local_endpoint() const { return _state->acceptor.local_endpoint(); }

void server::start() { _state->tasks.spawn(_state->accept_loop()); }

asio::awaitable<void> server::stop() {
    auto state = _state;
    state->stopping = true;
    boost::system::error_code ignored;
    state->acceptor.close(ignored);
    for (auto* s : state->open) s->socket().close(ignored);
    state->tasks.cancel();
    co_await state->tasks.join();
}

server_counters server::counters() const { return _state->counts; }

std::optional<std::string> url_decode(std::string_view s, bool plus_is_space) {
    auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%') {
            if (i + 2 >= s.size()) return std::nullopt;
            int hi = hex(s[i + 1]), lo = hex(s[i + 2]);
            if (hi < 0 || lo < 0) return std::nullopt;
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else if (s[i] == '+' && plus_is_space) {
            out += ' ';
        } else {
            out += s[i];
        }
    }
    return out;
}

std::optional<std::string> query_param(std::string_view query, std::string_view name) {
    while (!query.empty()) {
        auto amp = query.find('&');
        auto pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        auto eq = pair.find('=');
        auto key = pair.substr(0, eq);
        if (key != name) continue;
        return url_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1), true);
    }
    return std::nullopt;
}

} // namespace coronet::http
