#include <coronet/transports/http_client.hpp>

#include <coronet/transports/url.hpp>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <fmt/format.h>

#include <stdexcept>

namespace coronet::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

namespace {

constexpr std::string_view scheme_prefix = "http://";

/// "http://host:port/path…" -> ("http://host:port", "/path…").
std::pair<std::string, std::string> split_url(const std::string& url) {
    if (!url.starts_with(scheme_prefix)) throw std::runtime_error("not an http:// URL: '" + url + "'");
    auto slash = url.find('/', scheme_prefix.size());
    if (slash == std::string::npos) return {url, "/"};
    return {url.substr(0, slash), url.substr(slash)};
}

} // namespace

blocking_client::blocking_client(std::string base, std::chrono::milliseconds timeout)
    : _base(std::move(base)), _timeout(timeout) {
    while (!_base.empty() && _base.back() == '/') _base.pop_back();
    split_url(_base); // validates
}

void blocking_client::connect() {
    auto u = parse_url("tcp://" + _base.substr(scheme_prefix.size()));
    _stream.emplace(_io);
    _stream->expires_after(_timeout);
    beast::error_code ec;
    _stream->async_connect(u.tcp_endpoint(), [&](beast::error_code e) { ec = e; });
    _io.restart();
    _io.run();
    if (ec) throw beast::system_error(ec);
}

reply blocking_client::exchange(bhttp::verb method, const std::string& target, const std::string& body) {
    // A kept-alive connection the server closed meanwhile fails on first
    // use; one fresh attempt tells that apart from a node that is down.
    for (int attempt = 0;; ++attempt) {
        bool reused = _stream.has_value();
        try {
            if (!_stream) connect();
            bhttp::request<bhttp::string_body> req{method, target, 11};
            req.set(bhttp::field::host, _base.substr(scheme_prefix.size()));
            req.set(bhttp::field::user_agent, "coronet");
            req.body() = body;
            req.prepare_payload();
            // tcp_stream's deadline applies to async operations only, so
            // each step is asynchronous and the context runs until it ends.
            beast::error_code ec;
            _stream->expires_after(_timeout);
            bhttp::async_write(*_stream, req, [&](beast::error_code e, std::size_t) { ec = e; });
            _io.restart();
            _io.run();
            // A server refusing a large body answers and closes before it has
            // read it all: the answer may still be there to read.
            bool write_failed = ec == asio::error::broken_pipe || ec == asio::error::connection_reset;
            if (ec && !write_failed) throw beast::system_error(ec);
            beast::flat_buffer buffer;
            bhttp::response_parser<bhttp::string_body> parser;
            parser.body_limit(std::size_t{64} << 20);
            bhttp::async_read(*_stream, buffer, parser, [&](beast::error_code e, std::size_t) { ec = e; });
            _io.restart();
            _io.run();
            if (ec) throw beast::system_error(ec);
            auto res = parser.release();
            reply r{res.result_int(), std::move(res.body()), std::string(res[bhttp::field::location]), _base};
            if (!res.keep_alive()) _stream.reset();
            return r;
        } catch (const beast::system_error& e) {
            _stream.reset();
            if (reused && attempt == 0) continue;
            throw std::runtime_error(fmt::format("{}{}: {}", _base, target, e.code().message()));
        }
    }
}

reply blocking_client::request(bhttp::verb method, const std::string& target, const std::string& body) {
    auto path = target;
    for (int hop = 0;; ++hop) {
        auto r = exchange(method, path, body);
        bool redirect = r.status == 301 || r.status == 302 || r.status == 307 || r.status == 308;
        if (!redirect || r.location.empty() || hop == 4) return r;
        auto [base, rest] = split_url(r.location);
        if (base != _base) {
            _base = base;
            _stream.reset();
        }
        path = rest;
    }
}

std::string url_encode(std::string_view s, bool keep_slash) {
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/'))
            out += static_cast<char>(c);
        else
            out += fmt::format("%{:02X}", c);
    }
    return out;
}

} // namespace coronet::http
