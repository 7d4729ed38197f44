#include "put_load.hpp"

#include "http_exchange.hpp"

#include <coronet/histogram.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include <stdexcept>

namespace coronet::bench::kv_bench {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr unsigned redirects_max = 3;

/// Everything the clients of one cell share; they all run on one thread.
struct cell_state {
    const kv_system& system;
    std::uint16_t port;
    const load_spec& spec;
    clock::time_point measure_from, end;
    std::string value;
    histogram latency_ns;
    std::uint64_t puts = 0, errors = 0, redirects = 0;
    std::string first_error;

    void fail(std::string why) {
        ++errors;
        if (first_error.empty()) first_error = std::move(why);
    }
};

/// A response body fit for one line of an error message.
std::string trimmed(std::string_view body) {
    body = body.substr(0, 200);
    while (!body.empty() && (body.back() == '\n' || body.back() == '\r' || body.back() == ' ')) body.remove_suffix(1);
    return std::string(body);
}

/// One put from one client: sent to `port`, following redirects (a coronet
/// follower answers 307 with the leader's URL; the leader may move during a
/// cell) by reconnecting there. True once acknowledged; `port` is where the
/// client's connection now goes.
asio::awaitable<bool> put_once(cell_state& c, beast::tcp_stream& stream, beast::flat_buffer& buffer,
                               std::uint16_t& port, const std::string& key) {
    http_response res;
    for (unsigned hop = 0; hop <= redirects_max; ++hop) {
        if (!stream.socket().is_open()) {
            buffer.clear();
            auto ec = co_await connect_loopback(stream, port, c.spec.request_timeout);
            if (ec) {
                c.fail(fmt::format("connect to port {}: {}", port, ec.message()));
                co_return false;
            }
        }
        auto req = c.system.put_request(key, c.value, port);
        auto ec = co_await exchange(stream, buffer, req, res, c.spec.request_timeout);
        if (ec) {
            c.fail(fmt::format("put: {}", ec.message()));
            co_return false;
        }
        auto status = res.result_int();
        if (status == 200) co_return true;
        auto to = status == 307 || status == 308 ? redirect_port(res[beast::http::field::location]) : 0;
        if (to == 0) {
            c.fail(fmt::format("put answered {}: {}", status, trimmed(res.body())));
            co_return false;
        }
        ++c.redirects;
        port = to;
        stream.close();
    }
    c.fail(fmt::format("put redirected more than {} times", redirects_max));
    co_return false;
}

/// One client: put after put on keys of its own until the cell ends. A put
/// that fails is counted, then the next one follows a pause (reconnecting
/// first if the connection is gone).
asio::awaitable<void> client(cell_state& c, unsigned id) {
    auto ex = co_await asio::this_coro::executor;
    beast::tcp_stream stream(ex);
    beast::flat_buffer buffer;
    asio::steady_timer pause(ex);
    std::uint16_t port = c.port;
    for (std::uint64_t seq = 0; clock::now() < c.end; ++seq) {
        auto key = fmt::format("bench/{}/{}", id, seq);
        auto sent = clock::now();
        bool acknowledged = co_await put_once(c, stream, buffer, port, key);
        auto done = clock::now();
        if (!acknowledged) {
            pause.expires_after(20ms);
            co_await pause.async_wait(use_tuple);
        } else if (sent >= c.measure_from && sent < c.end) {
            // Counted by when it was sent, however late its answer: a put
            // stuck past the end must weigh on the tail, not vanish from it.
            ++c.puts;
            c.latency_ns.record(static_cast<std::uint64_t>((done - sent).count()));
        }
    }
}

std::string value_of(std::size_t bytes) {
    std::string v(bytes, 'v');
    for (std::size_t i = 0; i < bytes; ++i) v[i] = "0123456789abcdefghijklmnopqrstuvwxyz"[(i * 7 + 3) % 36];
    return v;
}

} // namespace

load_result run_put_load(const kv_system& system, std::uint16_t port, const load_spec& spec) {
    if (spec.clients == 0 || spec.clients > spec.clients_max)
        throw std::invalid_argument(fmt::format("clients must be 1..{}, not {}", spec.clients_max, spec.clients));
    static_assert(std::is_same_v<clock::duration, std::chrono::nanoseconds>, "latencies are recorded in ns");
    auto start = clock::now();
    auto measure_from = start + spec.warmup;
    cell_state c{system, port, spec, measure_from, measure_from + spec.measure, value_of(spec.value_bytes), {}, 0, 0, 0,
                 {}};
    asio::io_context io(1);
    for (unsigned i = 0; i < spec.clients; ++i) {
        // The io_context owns the clients: run() returns once every one has
        // ended, each bounded by the cell's end plus one request timeout.
        auto on_exit = [&c](std::exception_ptr e) {
            if (!e) return;
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& x) {
                c.fail(fmt::format("client failed: {}", x.what()));
            }
        };
        asio::co_spawn(io, client(c, i), on_exit);
    }
    io.run();

    load_result r;
    r.clients = spec.clients;
    r.seconds = std::chrono::duration<double>(spec.measure).count();
    r.puts = c.puts;
    r.errors = c.errors;
    r.redirects = c.redirects;
    r.first_error = c.first_error;
    r.puts_per_sec = static_cast<double>(c.puts) / r.seconds;
    r.p50_us = c.latency_ns.p50() / 1e3;
    r.p99_us = c.latency_ns.p99() / 1e3;
    r.max_us = static_cast<double>(c.latency_ns.max()) / 1e3;
    return r;
}

} // namespace coronet::bench::kv_bench
