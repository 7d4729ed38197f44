#include "dht_ring_bench.hpp"

#include "http_kv_compare.hpp"

#include "cluster.hpp"       // bench/kv: pick_ports
#include "peer_process.hpp"  // bench/pubsub: child processes stopped by PID
#include "progress.hpp"      // bench/report
#include "report.hpp"        // bench/kv: machine_line, percentile

#include <coronet/dht/chord/hash.hpp>
#include <coronet/dht/chord/node.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include <fmt/core.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <memory>
#include <random>
#include <thread>

namespace coronet::bench::dht_ring {

namespace {

namespace chord = dht::chord;
using clock_type = std::chrono::steady_clock;

struct cell {
    std::string transport;
    chord::lookup_style style;
    unsigned concurrency = 0;
    std::uint64_t lookups = 0, failures = 0, wrong = 0;
    double seconds = 0;
    std::vector<double> latency_us;
    double hops_sum = 0;
    double per_second() const { return seconds > 0 ? lookups / seconds : 0; }
    double mean_hops() const { return lookups ? hops_sum / lookups : 0; }
};

/// The first id at or after `key` among `ids` (sorted): the key's true owner.
chord::id true_owner(const std::vector<chord::id>& ids, const chord::id& key) {
    auto it = std::lower_bound(ids.begin(), ids.end(), key);
    return it == ids.end() ? ids.front() : *it;
}

asio::awaitable<void> lookup_loop(chord::node& n, cell& c, const std::vector<chord::id>& ids, std::uint64_t seed,
                                  clock_type::time_point until, std::uint64_t ops_max) {
    std::mt19937_64 rng(seed);
    while (clock_type::now() < until && c.lookups + c.failures < ops_max) {
        std::array<std::uint8_t, chord::id::bytes> b{};
        for (auto& x : b) x = static_cast<std::uint8_t>(rng());
        auto key = chord::id::from_bytes(b);
        auto t0 = clock_type::now();
        std::optional<chord::lookup_result> r;
        try {
            r = co_await n.lookup(key, c.style, std::chrono::seconds(2));
        } catch (const chord::request_error&) {
        }
        if (!r) {
            ++c.failures;
            continue;
        }
        c.latency_us.push_back(std::chrono::duration<double, std::micro>(clock_type::now() - t0).count());
        ++c.lookups;
        c.hops_sum += r->hops;
        c.wrong += r->owner.id != true_owner(ids, key);
    }
}

void run_cell(asio::io_context& io, chord::node& n, cell& c, const std::vector<chord::id>& ids, double seconds) {
    auto start = clock_type::now();
    auto until = start + std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(seconds));
    const std::uint64_t ops_max = 2'000'000; // a bound, whatever the machine
    int running = static_cast<int>(c.concurrency);
    for (unsigned i = 0; i < c.concurrency; ++i)
        asio::co_spawn(io, lookup_loop(n, c, ids, 1000 + i, until, ops_max), [&](std::exception_ptr) { --running; });
    while (running > 0) io.run_one_for(std::chrono::milliseconds(100));
    c.seconds = std::chrono::duration<double>(clock_type::now() - start).count();
}

const cell* find(const std::vector<cell>& cells, std::string_view transport, chord::lookup_style style, unsigned k) {
    for (const auto& c : cells)
        if (c.transport == transport && c.style == style && c.concurrency == k) return &c;
    return nullptr;
}

void print(const std::vector<cell>& cells, const options& o, std::ostream& out) {
    out << fmt::format("coronet bench dht: Chord lookups on a loopback ring of {} processes + this one\n", o.nodes);
    out << fmt::format("machine: {}; tick {} ms; {} s per cell\n\n", kv_bench::machine_line(), o.tick_ms, o.seconds);
    out << fmt::format("{:<10}{:<11}{:>12}{:>14}{:>11}{:>11}{:>11}{:>10}{:>8}\n", "transport", "style", "concurrent",
                       "lookups/s", "p50 us", "p99 us", "mean hops", "failed", "wrong");
    for (const auto& c : cells)
        out << fmt::format("{:<10}{:<11}{:>12}{:>14.0f}{:>11.0f}{:>11.0f}{:>11.2f}{:>10}{:>8}\n", c.transport,
                           to_string(c.style), c.concurrency, c.per_second(), kv_bench::percentile(c.latency_us, 50),
                           kv_bench::percentile(c.latency_us, 99), c.mean_hops(), c.failures, c.wrong);
    // The same load, async against sync: how much recursive routing buys.
    for (const auto& t : o.transports) {
        out << fmt::format("\nrecursive / iterative, {}:", t);
        for (auto k : o.concurrency) {
            auto* it = find(cells, t, chord::lookup_style::iterative, k);
            auto* rec = find(cells, t, chord::lookup_style::recursive, k);
            if (it && rec && it->per_second() > 0)
                out << fmt::format("  {} concurrent: {:.2f}x lookups/s, {:.2f}x p50", k,
                                   rec->per_second() / it->per_second(),
                                   kv_bench::percentile(rec->latency_us, 50) /
                                       std::max(1.0, kv_bench::percentile(it->latency_us, 50)));
        }
    }
    // Connections against datagrams, the same messages: what the transport costs.
    const auto& base = o.transports.front();
    for (std::size_t i = 1; i < o.transports.size(); ++i) {
        out << fmt::format("\n{} / {} lookups/s:", o.transports[i], base);
        for (auto style : {chord::lookup_style::iterative, chord::lookup_style::recursive})
            for (auto k : o.concurrency) {
                auto* b = find(cells, base, style, k);
                auto* c = find(cells, o.transports[i], style, k);
                if (b && c && b->per_second() > 0)
                    out << fmt::format("  {} x{}: {:.2f}x", to_string(style), k, c->per_second() / b->per_second());
            }
    }
    out << "\n";
}

void print_http_kv(const std::vector<http_kv_result>& systems, unsigned nodes, std::ostream& out) {
    if (systems.empty()) return;
    out << fmt::format("\nkeys through each DHT's own HTTP front, {} nodes each: puts via the first node, gets via "
                       "the last, one at a time\n", nodes);
    out << fmt::format("{:<10}{:>7}{:>11}{:>11}{:>11}{:>11}{:>11}{:>11}{:>8}{:>7}\n", "system", "keys", "put/s",
                       "put p50", "put p99", "get/s", "get p50", "get p99", "failed", "wrong");
    for (const auto& s : systems) {
        if (!s.skipped.empty()) {
            out << fmt::format("{:<10} skipped: {}\n", s.system, s.skipped);
            continue;
        }
        out << fmt::format("{:<10}{:>7}{:>11.0f}{:>9.0f}us{:>9.0f}us{:>11.0f}{:>9.0f}us{:>9.0f}us{:>8}{:>7}\n",
                           s.system, s.keys, s.put_seconds > 0 ? s.keys / s.put_seconds : 0,
                           kv_bench::percentile(s.put_us, 50), kv_bench::percentile(s.put_us, 99),
                           s.get_seconds > 0 ? s.keys / s.get_seconds : 0, kv_bench::percentile(s.get_us, 50),
                           kv_bench::percentile(s.get_us, 99), s.failed, s.wrong);
    }
    if (systems.size() == 2 && systems[1].skipped.empty() && systems[0].get_seconds > 0 && systems[1].get_seconds > 0)
        out << fmt::format("coronet vs opendht: {:.2f}x the gets/s, {:.2f}x the puts/s, get p50 {:.2f}x as long\n",
                           systems[1].get_seconds / systems[0].get_seconds,
                           systems[1].put_seconds / std::max(1e-9, systems[0].put_seconds),
                           kv_bench::percentile(systems[0].get_us, 50) /
                               std::max(1.0, kv_bench::percentile(systems[1].get_us, 50)));
}

boost::json::array http_kv_json(const std::vector<http_kv_result>& systems) {
    boost::json::array rows;
    for (const auto& s : systems)
        rows.push_back(boost::json::object{
            {"system", s.system},
            {"skipped", s.skipped},
            {"keys", s.keys},
            {"failed", s.failed},
            {"wrong", s.wrong},
            {"puts_per_s", s.put_seconds > 0 ? s.keys / s.put_seconds : 0},
            {"put_p50_us", kv_bench::percentile(s.put_us, 50)},
            {"put_p99_us", kv_bench::percentile(s.put_us, 99)},
            {"gets_per_s", s.get_seconds > 0 ? s.keys / s.get_seconds : 0},
            {"get_p50_us", kv_bench::percentile(s.get_us, 50)},
            {"get_p99_us", kv_bench::percentile(s.get_us, 99)}});
    return rows;
}

void write_json(const std::vector<cell>& cells, const std::vector<http_kv_result>& systems, const options& o,
                std::ostream& out) {
    boost::json::array rows;
    for (const auto& c : cells)
        rows.push_back(boost::json::object{{"transport", c.transport},
                                           {"style", to_string(c.style)},
                                           {"concurrency", c.concurrency},
                                           {"lookups", c.lookups},
                                           {"lookups_per_s", c.per_second()},
                                           {"p50_us", kv_bench::percentile(c.latency_us, 50)},
                                           {"p99_us", kv_bench::percentile(c.latency_us, 99)},
                                           {"mean_hops", c.mean_hops()},
                                           {"failed", c.failures},
                                           {"wrong_owner", c.wrong},
                                           {"seconds", c.seconds}});
    out << boost::json::serialize(boost::json::object{{"benchmark", "dht"},
                                                      {"machine", kv_bench::machine_line()},
                                                      {"nodes", o.nodes + 1},
                                                      {"tick_ms", o.tick_ms},
                                                      {"cell_seconds", o.seconds},
                                                      {"cells", std::move(rows)},
                                                      {"http_kv", http_kv_json(systems)}})
        << "\n";
}

} // namespace

namespace {

/// `coronet dht serve` processes on loopback, joined into one ring over `transport`.
struct process_ring {
    std::vector<std::unique_ptr<pubsub_bench::peer_process>> servers;
    std::vector<std::string> addresses; ///< the nodes' ip:port on the ring
    std::vector<std::string> https;     ///< their HTTP APIs
};

/// Node i takes ports[2i] on the ring and ports[2i + 1] for HTTP.
process_ring start_ring(const options& o, const std::string& transport, const std::vector<std::uint16_t>& ports) {
    process_ring r;
    for (unsigned i = 0; i < o.nodes; ++i) {
        auto address = fmt::format("127.0.0.1:{}", ports[2 * i]);
        r.https.push_back(fmt::format("127.0.0.1:{}", ports[2 * i + 1]));
        std::vector<std::string> args{"--log-level", "warn", "dht", "serve", "--listen", transport + "://" + address,
                                      "--http", r.https.back(), "--tick-ms", std::to_string(o.tick_ms)};
        if (i > 0) {
            args.push_back("--join");
            args.push_back(r.addresses.front());
        }
        // Waits until the node's HTTP port accepts: it has bound its Chord
        // port by then, and (past the first) is in the ring.
        r.servers.push_back(std::make_unique<pubsub_bench::peer_process>(
            o.program, args, ports[2 * i + 1], -1, std::make_unique<pubsub_bench::temp_dir>(),
            std::chrono::seconds(30)));
        r.addresses.push_back(address);
    }
    return r;
}

/// Joins the ring as one more node (in this process) and runs every cell from it.
void measure(const options& o, const std::string& transport, const process_ring& ring, std::uint16_t port,
             std::vector<cell>& cells, report::progress& shown) {
    asio::io_context io;
    chord::node_options no;
    no.listen = transport + "://127.0.0.1:" + std::to_string(port);
    no.tick = std::chrono::milliseconds(o.tick_ms);
    chord::node probe(io.get_executor(), no);
    probe.start();
    bool joined = false;
    std::exception_ptr failure;
    asio::co_spawn(io, probe.join(ring.addresses.front(), std::chrono::seconds(20)), [&](std::exception_ptr e) {
        failure = e;
        joined = true;
    });
    while (!joined) io.run_one_for(std::chrono::milliseconds(100));
    if (failure) std::rethrow_exception(failure);
    // Stabilization and fix_fingers, one finger per tick, for a few seconds.
    io.run_for(std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::duration<double>(o.settle_seconds)));

    std::vector<chord::id> ids{probe.self().id};
    for (const auto& a : ring.addresses) ids.push_back(chord::hash_id(a, probe.routing().ring()));
    std::sort(ids.begin(), ids.end());
    for (auto k : o.concurrency)
        for (auto style : {chord::lookup_style::iterative, chord::lookup_style::recursive}) {
            cell c;
            c.transport = transport;
            c.style = style;
            c.concurrency = k;
            run_cell(io, probe, c, ids, o.seconds);
            cells.push_back(std::move(c));
            shown.advance(fmt::format("{} {} x{}", transport, to_string(style), k));
        }
    bool stopped = false;
    asio::co_spawn(io, probe.stop(), [&](std::exception_ptr) { stopped = true; });
    while (!stopped) io.run_one_for(std::chrono::milliseconds(100));
}

} // namespace

int run(const options& o) {
    if (o.nodes < 1 || o.nodes > 64) throw std::invalid_argument("--nodes is 1..64");
    if (o.transports.empty()) throw std::invalid_argument("--transports names at least one of udp, tcp, uring");
    for (const auto& t : o.transports)
        if (t != "udp" && t != "tcp" && t != "uring")
            throw std::invalid_argument("--transports takes udp, tcp and uring, not '" + t + "'");
    std::vector<cell> cells;
    std::vector<http_kv_result> systems;
    report::progress shown("bench dht", o.transports.size() * o.concurrency.size() * 2 + (o.peers ? 2 : 0));
    // The same ports for every transport: a node's id is the hash of its
    // address, so every ring has the same ids, the same routes and the same
    // hop counts, and only the transport differs.
    auto ports = kv_bench::pick_ports(2 * o.nodes + 1);
    for (std::size_t i = 0; i < o.transports.size(); ++i) {
        auto ring = start_ring(o, o.transports[i], ports);
        measure(o, o.transports[i], ring, ports.back(), cells, shown);
        if (i == 0 && o.peers) {
            // The benchmark's own node has just left the ring: let its
            // neighbours close the gap first, as OpenDHT's ring gets its own
            // settling time after start-up.
            std::this_thread::sleep_for(std::chrono::duration<double>(o.settle_seconds));
            systems.push_back(measure_coronet_http(ring.https, o.http_keys));
            shown.advance("coronet HTTP keys");
        }
    } // every server stopped by PID, ring by ring, before the peer's ring starts
    if (o.peers) {
        systems.push_back(measure_opendht(o.nodes, o.http_keys, o.settle_seconds));
        shown.advance("opendht HTTP keys");
    }

    print(cells, o, std::cout);
    print_http_kv(systems, o.nodes, std::cout);
    if (!o.json.empty()) {
        std::ofstream f(o.json);
        write_json(cells, systems, o, f);
        if (!f) throw std::runtime_error("cannot write " + o.json);
    }
    for (const auto& c : cells)
        if (c.lookups == 0) return 1;
    if (!systems.empty() && (systems[0].failed > 0 || systems[0].wrong > 0)) return 1;
    return 0;
}

} // namespace coronet::bench::dht_ring
