#include "failover.hpp"

#include "http_exchange.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include <iostream>
#include <optional>
#include <set>

namespace coronet::bench::kv_bench {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using clock = std::chrono::steady_clock;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

/// One round's probing: state shared by the launcher and its attempts, all
/// on one thread.
struct prober {
    const kv_system& system;
    const failover_spec& spec;
    std::vector<std::uint16_t> ports; ///< the survivors' client ports
    unsigned round = 0;
    clock::time_point killed_at;
    std::optional<clock::time_point> first_ack;
    bool over = false;      ///< acknowledged, or given up: attempts stop
    unsigned attempts = 0;  ///< launched
    unsigned running = 0;   ///< launched and not yet finished
    std::set<beast::tcp_stream*> waiting; ///< the attempts' streams, to cancel when it is over

    void finish() {
        over = true;
        for (auto* s : waiting) s->cancel();
    }
};

/// Keeps an attempt's stream in prober::waiting while the attempt lives.
class waiting_guard {
public:
    waiting_guard(prober& p, beast::tcp_stream& s) : _p(p), _s(s) { _p.waiting.insert(&_s); }
    ~waiting_guard() {
        _p.waiting.erase(&_s);
        --_p.running;
    }
    waiting_guard(const waiting_guard&) = delete;
    waiting_guard& operator=(const waiting_guard&) = delete;

private:
    prober& _p;
    beast::tcp_stream& _s;
};

/// One put, following up to two redirects (coronet's followers send writes
/// to the leader they know of, which may be the dead one).
asio::awaitable<void> attempt(prober& p, std::uint16_t port, unsigned n) {
    auto ex = co_await asio::this_coro::executor;
    beast::tcp_stream stream(ex);
    waiting_guard guard(p, stream);
    beast::flat_buffer buffer;
    http_response res;
    auto key = fmt::format("failover/{}/{}", p.round, n);
    for (int hop = 0; hop < 3 && port != 0 && !p.over; ++hop) {
        stream.close();
        buffer.clear();
        auto cec = co_await connect_loopback(stream, port, p.spec.attempt_timeout);
        if (cec || p.over) break;
        auto req = p.system.put_request(key, "after the leader was killed", port);
        auto ec = co_await exchange(stream, buffer, req, res, p.spec.attempt_timeout);
        if (ec) break;
        auto status = res.result_int();
        if (status == 200) {
            if (!p.first_ack) p.first_ack = clock::now();
            p.finish();
            break;
        }
        if (status != 307 && status != 308) break;
        port = redirect_port(res[bhttp::field::location]);
    }
}

/// Launches an attempt every attempt_interval, round-robin over the
/// survivors, until one is acknowledged or the round gives up.
asio::awaitable<void> launch(prober& p) {
    auto ex = co_await asio::this_coro::executor;
    asio::steady_timer tick(ex);
    auto give_up = p.killed_at + p.spec.give_up;
    for (unsigned n = 0; !p.over && clock::now() < give_up; ++n) {
        if (p.running < p.spec.in_flight_max) {
            ++p.attempts;
            ++p.running;
            // Owned by the io_context, whose run() in first_ack_after() waits
            // for every attempt; each is bounded by attempt_timeout per hop.
            asio::co_spawn(ex, attempt(p, p.ports[n % p.ports.size()], n), asio::detached);
        }
        tick.expires_after(p.spec.attempt_interval);
        co_await tick.async_wait(use_tuple);
    }
    p.finish();
}

/// Probes until a put is acknowledged; the prober's first_ack says when.
void probe(prober& p) {
    asio::io_context io(1);
    asio::co_spawn(io, launch(p), asio::detached);
    io.run();
}

} // namespace

failover_result run_failovers(cluster& c, const kv_system& system, const failover_spec& spec) {
    failover_result out;
    try {
        for (unsigned r = 0; r < spec.rounds; ++r) {
            auto leader = c.wait_healthy(spec.healthy_max);
            prober p{system, spec, {}, r, {}, {}, false, 0, 0, {}};
            for (std::size_t i = 0; i < c.size(); ++i)
                if (i != leader) p.ports.push_back(c.client_port(i));
            p.killed_at = clock::now();
            c.kill(leader);
            probe(p);
            c.restart(leader);
            if (!p.first_ack) {
                out.error = fmt::format("round {}: no put acknowledged within {} ms of killing the leader (member {})",
                                        r + 1, spec.give_up.count(), leader + 1);
                break;
            }
            double ms = std::chrono::duration<double, std::milli>(*p.first_ack - p.killed_at).count();
            out.rounds.push_back({leader, ms, p.attempts});
            std::cerr << fmt::format("  failover {}/{}: member {} killed, a put acknowledged after {:.0f} ms "
                                     "({} puts sent)\n",
                                     r + 1, spec.rounds, leader + 1, ms, p.attempts);
        }
        c.wait_healthy(spec.healthy_max); // the last restart recovered too
    } catch (const std::exception& e) {
        if (out.error.empty()) out.error = e.what();
    }
    return out;
}

} // namespace coronet::bench::kv_bench
