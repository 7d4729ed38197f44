// The Chord node on real loopback transports: the same code over udp:// and
// over connections (tcp://, uring://, through stream_datagram.hpp), so the
// bench can compare them and nothing in the node depends on which it is.
#include <coronet/dht/chord/hash.hpp>
#include <coronet/dht/chord/node.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <memory>
#include <vector>

namespace chord = coronet::dht::chord;
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

/// Runs handlers until done() or `bound` of real time passed (a guard
/// against a hang, not a timing assertion).
template <class Pred>
bool run_until(asio::io_context& io, Pred done, std::chrono::milliseconds bound = 30s) {
    auto give_up = std::chrono::steady_clock::now() + bound;
    while (!done()) {
        if (std::chrono::steady_clock::now() > give_up) return false;
        io.restart();
        io.run_one_for(10ms);
    }
    return true;
}

/// Runs `task` to completion on `io`; rethrows what it throws.
template <class T>
T run_task(asio::io_context& io, asio::awaitable<T> task) {
    std::optional<T> result;
    std::exception_ptr error;
    bool done = false;
    asio::co_spawn(io, std::move(task), [&](std::exception_ptr e, T v) {
        error = e;
        if (!e) result = std::move(v);
        done = true;
    });
    if (!run_until(io, [&] { return done; })) throw std::runtime_error("task did not finish");
    if (error) std::rethrow_exception(error);
    return std::move(*result);
}

void run_task(asio::io_context& io, asio::awaitable<void> task) {
    std::exception_ptr error;
    bool done = false;
    asio::co_spawn(io, std::move(task), [&](std::exception_ptr e) {
        error = e;
        done = true;
    });
    if (!run_until(io, [&] { return done; })) throw std::runtime_error("task did not finish");
    if (error) std::rethrow_exception(error);
}

struct loopback_ring {
    asio::io_context io;
    std::vector<std::unique_ptr<chord::node>> nodes;

    loopback_ring(const std::string& scheme, std::size_t n) {
        for (std::size_t i = 0; i < n; ++i) {
            chord::node_options o;
            o.listen = scheme + "://127.0.0.1:0";
            o.tick = 20ms;
            o.seed = i + 1;
            nodes.push_back(std::make_unique<chord::node>(io.get_executor(), o));
            nodes.back()->start();
        }
        nodes[0]->create();
        for (std::size_t i = 1; i < n; ++i) run_task(io, nodes[i]->join(nodes[0]->self().address, 20s));
    }

    ~loopback_ring() {
        for (auto& n : nodes) run_task(io, n->crash());
    }

    std::vector<chord::node*> live() {
        std::vector<chord::node*> v;
        for (auto& n : nodes)
            if (!n->stopped()) v.push_back(n.get());
        std::sort(v.begin(), v.end(), [](auto* a, auto* b) { return a->self().id < b->self().id; });
        return v;
    }

    bool consistent() {
        auto v = live();
        for (std::size_t i = 0; i < v.size(); ++i) {
            if (v[i]->routing().successor() != v[(i + 1) % v.size()]->self()) return false;
            if (v[i]->routing().predecessor() != v[(i + v.size() - 1) % v.size()]->self()) return false;
        }
        return true;
    }

    const chord::peer& owner_of(const chord::id& key) {
        auto v = live();
        for (auto* n : v)
            if (n->self().id >= key) return n->self();
        return v.front()->self();
    }
};

} // namespace

TEST_CASE("a Chord ring over udp, tcp or uring finds each key's true owner in both lookup styles and stores keys",
          "[dht][node][transport]") {
    auto scheme = GENERATE(as<std::string>{}, "udp", "tcp", "uring");
    loopback_ring ring(scheme, 5);
    REQUIRE(run_until(ring.io, [&] { return ring.consistent(); }));
    CHECK(ring.nodes[0]->self().address.starts_with("127.0.0.1:"));
    auto& asker = *ring.nodes[2];
    for (int i = 0; i < 40; ++i) {
        auto key = chord::hash_id("key-" + std::to_string(i), asker.routing().ring());
        auto style = i % 2 ? chord::lookup_style::iterative : chord::lookup_style::recursive;
        auto r = run_task(ring.io, asker.lookup(key, style, 5s));
        CHECK(r.owner == ring.owner_of(key));
    }
    for (int i = 0; i < 10; ++i)
        run_task(ring.io, ring.nodes[i % 5]->put("k" + std::to_string(i), "v" + std::to_string(i)));
    for (int i = 0; i < 10; ++i) {
        auto got = run_task(ring.io, ring.nodes[(i + 3) % 5]->get("k" + std::to_string(i)));
        REQUIRE(got);
        CHECK(got->value == "v" + std::to_string(i));
    }
}

TEST_CASE("a Chord ring over tcp routes around a crashed node and keeps its keys", "[dht][node][transport]") {
    loopback_ring ring("tcp", 5);
    REQUIRE(run_until(ring.io, [&] { return ring.consistent(); }));
    for (int i = 0; i < 10; ++i) run_task(ring.io, ring.nodes[0]->put("k" + std::to_string(i), "v"));
    run_task(ring.io, ring.nodes[3]->crash()); // its connections reset; connects to it are refused
    REQUIRE(run_until(ring.io, [&] { return ring.consistent(); }));
    for (int i = 0; i < 20; ++i) {
        auto key = chord::hash_id("after-" + std::to_string(i), ring.nodes[1]->routing().ring());
        auto style = i % 2 ? chord::lookup_style::iterative : chord::lookup_style::recursive;
        CHECK(run_task(ring.io, ring.nodes[1]->lookup(key, style, 5s)).owner == ring.owner_of(key));
    }
    for (int i = 0; i < 10; ++i) CHECK(run_task(ring.io, ring.nodes[4]->get("k" + std::to_string(i))).has_value());
}
