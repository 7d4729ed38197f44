#include "http_kv_compare.hpp"

#include "cluster.hpp"      // bench/kv: pick_ports
#include "peer_process.hpp" // bench/pubsub: child processes stopped by PID

#include <coronet/dht/chord/hash.hpp>
#include <coronet/transports/http_client.hpp>

#include <fmt/core.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <thread>

namespace coronet::bench::dht_ring {

namespace {

namespace chord = dht::chord;
using boost::beast::http::verb;
using clock_type = std::chrono::steady_clock;

constexpr const char* dhtnode_program = "/usr/bin/dhtnode";

/// 64 hex digits: valid base64 too, so OpenDHT stores and returns it as is.
std::string value_of(std::size_t i) { return fmt::format("{:064x}", i * 0x9e3779b97f4a7c15ull); }

/// The 160-bit id of a key, as OpenDHT names it (40 hex digits).
std::string info_hash(const std::string& key) { return chord::hash_id(key, chord::ring(160)).to_hex(); }

double us_since(clock_type::time_point t) {
    return std::chrono::duration<double, std::micro>(clock_type::now() - t).count();
}

/// One timed request; its reply, or nothing if it failed.
template <class F>
std::optional<http::reply> timed(std::vector<double>& samples, F&& request) {
    auto t0 = clock_type::now();
    std::optional<http::reply> r;
    try {
        r = request();
    } catch (const std::exception&) {
    }
    samples.push_back(us_since(t0));
    return r;
}

template <class Put, class Get, class Check>
void run_keys(http_kv_result& out, std::size_t keys, Put put, Get get, Check check) {
    out.keys = keys;
    auto t0 = clock_type::now();
    for (std::size_t i = 0; i < keys; ++i) {
        auto r = timed(out.put_us, [&] { return put(i); });
        if (!r || r->status != 200) ++out.failed;
    }
    out.put_seconds = std::chrono::duration<double>(clock_type::now() - t0).count();
    auto t1 = clock_type::now();
    for (std::size_t i = 0; i < keys; ++i) {
        auto r = timed(out.get_us, [&] { return get(i); });
        if (!r || r->status != 200) ++out.failed;
        else if (!check(i, r->body)) ++out.wrong;
    }
    out.get_seconds = std::chrono::duration<double>(clock_type::now() - t1).count();
}

} // namespace

http_kv_result measure_coronet_http(const std::vector<std::string>& https, std::size_t keys) {
    http_kv_result out;
    out.system = "coronet";
    http::blocking_client writer("http://" + https.front()), reader("http://" + https.back());
    run_keys(
        out, keys,
        [&](std::size_t i) { return writer.request(verb::put, fmt::format("/v1/kv/bench-{}", i), value_of(i)); },
        [&](std::size_t i) { return reader.request(verb::get, fmt::format("/v1/kv/bench-{}?raw=1", i)); },
        [](std::size_t i, const std::string& body) { return body == value_of(i); });
    return out;
}

http_kv_result measure_opendht(unsigned nodes, std::size_t keys, double settle_seconds) {
    http_kv_result out;
    out.system = "opendht";
    if (!std::filesystem::exists(dhtnode_program)) {
        out.skipped = "dhtnode is not installed (apt-get install dhtnode)";
        return out;
    }
    auto ports = kv_bench::pick_ports(2 * nodes);
    std::vector<std::unique_ptr<pubsub_bench::peer_process>> servers;
    std::vector<std::string> https;
    for (unsigned i = 0; i < nodes; ++i) {
        // -s: a service, no interactive shell; every node runs its REST
        // proxy, so the benchmark can wait for its port and use any of them.
        std::vector<std::string> args{"-s", "-p", std::to_string(ports[2 * i]), "--proxyserver",
                                      std::to_string(ports[2 * i + 1])};
        if (i > 0) args.insert(args.end(), {"-b", fmt::format("127.0.0.1:{}", ports[0])});
        servers.push_back(std::make_unique<pubsub_bench::peer_process>(
            dhtnode_program, args, ports[2 * i + 1], -1, std::make_unique<pubsub_bench::temp_dir>(),
            std::chrono::seconds(30)));
        https.push_back(fmt::format("127.0.0.1:{}", ports[2 * i + 1]));
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(settle_seconds)); // routing tables fill
    http::blocking_client writer("http://" + https.front()), reader("http://" + https.back());
    run_keys(
        out, keys,
        [&](std::size_t i) {
            return writer.request(verb::post, "/" + info_hash(fmt::format("bench-{}", i)),
                                  fmt::format("{{\"data\":\"{}\"}}", value_of(i)));
        },
        [&](std::size_t i) { return reader.request(verb::get, "/" + info_hash(fmt::format("bench-{}", i))); },
        [](std::size_t i, const std::string& body) {
            return body.find(fmt::format("\"data\":\"{}\"", value_of(i))) != std::string::npos;
        });
    return out; // the processes are stopped by PID as `servers` goes
}

} // namespace coronet::bench::dht_ring
