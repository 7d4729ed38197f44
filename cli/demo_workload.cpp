#include "demo_workload.hpp"

#include <coronet/histogram.hpp>
#include <coronet/pubsub/client.hpp>
#include <coronet/transports/http_client.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>

#include <fmt/core.h>

#include <atomic>
#include <optional>
#include <stdexcept>
#include <thread>

namespace coronet::cli {

namespace {

using boost::beast::http::verb;
using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t) {
    return std::chrono::duration<double>(clock_type::now() - t).count();
}

/// A PUT, retried for up to 10 s while the cluster is unavailable (503, 504,
/// no answer: an election on a loaded machine); any other answer is final.
void put_or_throw(http::blocking_client& c, const std::string& key, const std::string& value) {
    auto give_up = clock_type::now() + std::chrono::seconds(10);
    for (;;) {
        std::string why;
        std::optional<http::reply> r;
        try {
            r = c.request(verb::put, "/v1/kv/" + key, value);
        } catch (const std::exception& e) {
            why = e.what(); // no answer in time
        }
        if (r) {
            if (r->status == 200) return;
            why = fmt::format("answered {}: {}", r->status, r->body);
            if (r->status != 503 && r->status != 504)
                throw std::runtime_error(fmt::format("demo: PUT {} {}", key, why));
        }
        if (clock_type::now() >= give_up)
            throw std::runtime_error(fmt::format("demo: PUT {} failed for 10 s: {}", key, why));
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

} // namespace

kv_write_run measure_kv_writes(const std::string& leader_http, std::size_t sequential, unsigned clients,
                               std::size_t each) {
    kv_write_run out;
    out.clients = clients;
    {
        http::blocking_client c("http://" + leader_http);
        histogram latency;
        auto t0 = clock_type::now();
        for (std::size_t i = 0; i < sequential; ++i) {
            auto start = clock_type::now();
            put_or_throw(c, fmt::format("demo/seq/{}", i), "v");
            latency.record(static_cast<std::uint64_t>((clock_type::now() - start).count()));
        }
        out.one_client_per_sec = static_cast<double>(sequential) / seconds_since(t0);
        out.one_client_p50_ms = latency.p50() / 1e6;
    }
    std::atomic<std::size_t> failures{0};
    std::string first_failure;
    std::mutex failure_mutex;
    std::vector<std::thread> writers;
    auto t1 = clock_type::now();
    for (unsigned w = 0; w < clients; ++w)
        writers.emplace_back([&, w] {
            try {
                http::blocking_client c("http://" + leader_http);
                for (std::size_t i = 0; i < each; ++i) put_or_throw(c, fmt::format("demo/par/{}/{}", w, i), "v");
            } catch (const std::exception& e) {
                if (failures++ == 0) {
                    std::lock_guard lock(failure_mutex);
                    first_failure = e.what();
                }
            }
        });
    for (auto& t : writers) t.join();
    if (failures) throw std::runtime_error(first_failure);
    out.many_clients_per_sec = static_cast<double>(clients * each) / seconds_since(t1);
    return out;
}

lookup_run measure_lookups(const std::vector<std::string>& https, const std::string& style, std::size_t n) {
    lookup_run out;
    std::vector<std::unique_ptr<http::blocking_client>> nodes;
    for (const auto& h : https) nodes.push_back(std::make_unique<http::blocking_client>("http://" + h));
    histogram latency;
    std::uint64_t hops = 0;
    for (std::size_t i = 0; i < n; ++i) {
        // Timed once; a lookup that fails is retried (twice, through the next
        // nodes) before it counts as failed: a loaded machine may miss a
        // deadline, a ring that loses lookups fails all three.
        std::optional<http::reply> answer;
        for (std::size_t attempt = 0; attempt < 3 && !answer; ++attempt) {
            auto start = clock_type::now();
            try {
                auto r = nodes[(i + attempt) % nodes.size()]->request(
                    verb::get, fmt::format("/v1/lookup/demo-{}?style={}", i, style));
                if (r.status == 200) answer = std::move(r);
            } catch (const std::exception&) {
            }
            if (attempt == 0) latency.record(static_cast<std::uint64_t>((clock_type::now() - start).count()));
        }
        if (!answer) {
            ++out.failed;
            continue;
        }
        hops += boost::json::parse(answer->body).at("hops").to_number<std::uint64_t>();
        ++out.lookups;
    }
    out.p50_us = latency.p50() / 1e3;
    out.mean_hops = out.lookups ? static_cast<double>(hops) / static_cast<double>(out.lookups) : 0;
    return out;
}

publish_run measure_publish(const std::string& broker_url, std::size_t n) {
    asio::io_context io;
    auto done = asio::co_spawn(io, [](std::string url, std::size_t n) -> asio::awaitable<publish_run> {
        publish_run out;
        out.messages = n;
        auto subscriber = co_await pubsub::client::connect(url);
        auto sub = co_await subscriber.subscribe("demo.>");
        auto publisher = co_await pubsub::client::connect(url);
        auto t0 = clock_type::now();
        for (std::size_t i = 0; i < n; ++i) co_await publisher.publish_confirmed("demo.confirmed", "m");
        out.confirmed_per_sec = static_cast<double>(n) / seconds_since(t0);
        auto t1 = clock_type::now();
        for (std::size_t i = 0; i < n; ++i) co_await publisher.publish("demo.pipelined", "m");
        co_await publisher.flush();
        out.pipelined_per_sec = static_cast<double>(n) / seconds_since(t1);
        while (out.delivered < 2 * n) {
            auto m = co_await sub.next_for(std::chrono::seconds(10));
            if (!m) break;
            ++out.delivered;
        }
        publisher.close();
        subscriber.close();
        co_return out;
    }(broker_url, n), asio::use_future);
    io.run();
    auto out = done.get();
    if (out.delivered != 2 * n)
        throw std::runtime_error(fmt::format("demo: the subscriber got {} of {} messages", out.delivered, 2 * n));
    return out;
}

} // namespace coronet::cli
