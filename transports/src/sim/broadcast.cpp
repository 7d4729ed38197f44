#include <coronet/transports/sim/broadcast.hpp>
#include <coronet/transports/sim/datagram.hpp>
#include <coronet/transports/sim/network.hpp>
#include <coronet/transports/sim/resolve.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <stdexcept>

namespace coronet::sim {

std::string_view to_string(broadcast_algorithm a) {
    switch (a) {
    case broadcast_algorithm::flooding: return "flooding";
    case broadcast_algorithm::spanning_tree: return "spanning-tree";
    }
    return "unknown";
}

broadcast_relay::broadcast_relay(std::vector<node_index> fanout) : _fanout(std::move(fanout)) {}

std::vector<node_index> broadcast_relay::receive(node_index from) {
    if (_seen) return {};
    _seen = true;
    std::vector<node_index> to;
    to.reserve(_fanout.size());
    for (auto n : _fanout)
        if (n != from) to.push_back(n);
    return to;
}

std::vector<std::vector<node_index>> broadcast_fanout(const topology& t, broadcast_algorithm a, node_index source) {
    std::vector<std::vector<node_index>> fanout(t.size());
    if (a == broadcast_algorithm::flooding) {
        for (node_index n = 0; n < t.size(); ++n) fanout[n] = t.neighbours(n);
        return fanout;
    }
    auto parent = t.bfs_tree_parents(source);
    // Ascending v keeps each child list sorted.
    for (node_index v = 0; v < t.size(); ++v)
        if (v != source && parent[v] != topology::unreachable) fanout[parent[v]].push_back(v);
    return fanout;
}

namespace {

// The wire format: the broadcast's id and the index of the node that sent
// this copy, so the receiver knows whom not to send it back to.
constexpr std::size_t message_bytes = 12;
constexpr std::uint64_t broadcast_id = 0xb40adca57;

std::array<std::byte, message_bytes> encode(std::uint64_t id, node_index sender) {
    std::array<std::byte, message_bytes> m;
    std::memcpy(m.data(), &id, 8);
    std::memcpy(m.data() + 8, &sender, 4);
    return m;
}

/// What one node's service saw; written by that node's code only, read by
/// run_broadcast() once the network is quiet.
struct node_record {
    bool reached = false;
    time_point first{};
    std::uint64_t sent = 0;
    std::uint64_t duplicates = 0;
};

struct relay_peers {
    std::vector<node_index> index;                // sorted, as the relay's fan-out
    std::vector<asio::ip::udp::endpoint> address; // address[i] is index[i]'s
};

std::string node_name(node_index i) { return fmt::format("n{}", i); }

asio::awaitable<void> forward(datagram_socket& sock, broadcast_relay& relay, const relay_peers& peers,
                              node_index self, node_index from, node_record& out) {
    auto message = encode(broadcast_id, self);
    for (auto to : relay.receive(from)) {
        auto at = std::lower_bound(peers.index.begin(), peers.index.end(), to) - peers.index.begin();
        co_await sock.async_send_to(asio::buffer(message), peers.address[static_cast<std::size_t>(at)],
                                    asio::use_awaitable);
        ++out.sent;
    }
}

/// The relay service of one node: binds `port`, originates the broadcast if
/// `origin`, then forwards the first copy it receives and counts the rest.
/// Runs until cancelled (the network's shutdown).
asio::awaitable<void> relay_service(node& self, broadcast_relay relay, std::uint16_t port, bool origin,
                                    node_record& out) {
    auto ex = self.get_executor();
    datagram_socket sock(ex, port);
    // The service knows its peers by name, as a configured one would.
    relay_peers peers;
    peers.index = relay.fanout();
    peers.address.reserve(peers.index.size());
    for (auto i : peers.index) peers.address.emplace_back(resolve(ex, node_name(i)), port);

    if (origin) {
        out.reached = true;
        out.first = self.clock().now();
        co_await forward(sock, relay, peers, self.index(), self.index(), out);
    }
    for (;;) {
        std::array<std::byte, 16> buf;
        asio::ip::udp::endpoint from;
        auto n = co_await sock.async_receive_from(asio::buffer(buf), from, asio::use_awaitable);
        std::uint64_t id = 0;
        node_index sender = 0;
        if (n != message_bytes) continue; // not a broadcast
        std::memcpy(&id, buf.data(), 8);
        std::memcpy(&sender, buf.data() + 8, 4);
        if (id != broadcast_id) continue;
        if (relay.seen()) {
            ++out.duplicates;
            continue;
        }
        out.reached = true;
        out.first = self.clock().now();
        co_await forward(sock, relay, peers, self.index(), sender, out);
    }
}

void check_node(const topology& t, node_index n, const char* what) {
    if (n >= t.size())
        throw std::invalid_argument(fmt::format("run_broadcast: {} {} is out of range (the topology has {} nodes)",
                                                what, n, t.size()));
}

} // namespace

broadcast_result run_broadcast(const topology& t, const broadcast_options& o) {
    check_node(t, o.source, "source");
    for (auto c : o.crashed) {
        check_node(t, c, "crashed node");
        if (c == o.source) throw std::invalid_argument("run_broadcast: the source cannot be crashed");
    }
    if (o.hop_latency <= duration::zero()) throw std::invalid_argument("run_broadcast: hop_latency must be positive");

    auto fanout = broadcast_fanout(t, o.algorithm, o.source);
    std::size_t degree_max = 0;
    for (node_index n = 0; n < t.size(); ++n) degree_max = std::max(degree_max, t.neighbours(n).size());

    // Declared before the network: its shutdown cancels the services that
    // write them.
    std::vector<node_record> records(t.size());
    network_options no;
    no.seed = o.seed;
    no.link.latency = o.hop_latency;
    // A node can get a copy from every neighbour at once; none may overflow.
    no.datagram_queue_max = std::max(no.datagram_queue_max, degree_max + 1);
    network net(no);
    net.add_nodes(t.size());
    net.lay_on(t);
    for (auto c : o.crashed) net.at(c).crash();

    auto live = [&](node_index n) { return net.at(n).up(); };
    for (node_index n = 0; n < t.size(); ++n)
        if (n != o.source && live(n))
            net.at(n).spawn(relay_service(net.at(n), broadcast_relay(fanout[n]), o.port, false, records[n]));
    net.run_for(duration::zero()); // every socket is bound before the first copy leaves
    auto start = net.now();
    auto& source = net.at(o.source);
    source.spawn(relay_service(source, broadcast_relay(fanout[o.source]), o.port, true, records[o.source]));
    net.run(); // until no copy is in flight; the services then wait forever

    if (net.stats().datagrams_overflowed != 0)
        throw std::runtime_error(fmt::format("run_broadcast: {} datagrams overflowed a receive queue",
                                             net.stats().datagrams_overflowed));
    broadcast_result r;
    r.packets_sent = net.stats().packets_sent;
    duration last{0};
    for (const auto& rec : records) {
        r.messages += rec.sent;
        r.duplicates += rec.duplicates;
        if (!rec.reached) continue;
        ++r.reached;
        last = std::max(last, rec.first - start);
    }
    r.rounds = static_cast<std::uint32_t>((last + o.hop_latency - duration(1)) / o.hop_latency);
    net.shutdown();
    return r;
}

// -- The experiment

std::span<const std::string_view> broadcast_shapes() {
    static constexpr std::array<std::string_view, 7> shapes{"ring", "star", "hypercube", "tree",
                                                            "torus", "full", "random"};
    return shapes;
}

std::string broadcast_topology_spec(std::string_view shape, std::size_t n, std::uint64_t seed) {
    auto unfit = [&](std::string_view why) {
        return std::invalid_argument(fmt::format("broadcast: no {} of {} nodes ({})", shape, n, why));
    };
    if (shape == "ring") return fmt::format("ring:{}", n);
    if (shape == "star") return fmt::format("star:{}", n);
    if (shape == "hypercube") {
        if (n == 0 || !std::has_single_bit(n)) throw unfit("a hypercube needs a power of two");
        return fmt::format("hypercube:{}", std::countr_zero(n));
    }
    if (shape == "tree") return fmt::format("tree:2:{}", n);
    if (shape == "torus") {
        // The largest side <= sqrt(n) that divides n: the squarest torus.
        std::size_t height = 0;
        for (std::size_t h = 3; h * h <= n; ++h)
            if (n % h == 0) height = h;
        if (height == 0) throw unfit("a torus needs N = W*H with W, H >= 3");
        return fmt::format("torus:{}x{}", n / height, height);
    }
    if (shape == "full") return fmt::format("full:{}", n);
    if (shape == "random") return fmt::format("random-connected:{}:{}:{}", n, n, seed);
    throw std::invalid_argument(fmt::format("broadcast: unknown topology '{}' (expected one of {})", shape,
                                            fmt::join(broadcast_shapes(), ", ")));
}

broadcast_row broadcast_experiment(std::string_view shape, std::size_t n, std::uint64_t seed) {
    broadcast_row row;
    row.shape = shape;
    row.spec = broadcast_topology_spec(shape, n, seed);
    auto t = parse_topology(row.spec);
    t.build_routes(); // once, instead of once per run
    row.metrics = measure(t);
    row.source_eccentricity = t.eccentricity(0);
    broadcast_options o;
    o.seed = seed;
    o.algorithm = broadcast_algorithm::flooding;
    row.flooding = run_broadcast(t, o);
    o.algorithm = broadcast_algorithm::spanning_tree;
    row.tree = run_broadcast(t, o);
    return row;
}

std::vector<std::string> broadcast_violations(const broadcast_row& row) {
    std::vector<std::string> bad;
    const auto& m = row.metrics;
    auto expect = [&](bool holds, std::string what) {
        if (!holds) bad.push_back(fmt::format("{} (N = {}): {}", row.spec, m.nodes, what));
    };
    auto ecc = row.source_eccentricity;
    expect(m.connected, "the topology is not connected");
    expect(row.flooding.reached == m.nodes,
           fmt::format("flooding reached {} of {} nodes", row.flooding.reached, m.nodes));
    expect(row.tree.reached == m.nodes, fmt::format("the tree reached {} of {} nodes", row.tree.reached, m.nodes));
    expect(row.flooding.rounds == ecc, fmt::format("flooding rounds {} != ecc(source) {}", row.flooding.rounds, ecc));
    expect(ecc <= m.diameter, fmt::format("ecc(source) {} > diameter {}", ecc, m.diameter));
    expect(row.tree.rounds == ecc, fmt::format("tree rounds {} != ecc(source) {}", row.tree.rounds, ecc));
    expect(row.tree.messages + 1 == m.nodes, fmt::format("tree messages {} != N - 1", row.tree.messages));
    expect(row.flooding.messages + (m.nodes - 1) == 2 * m.edges,
           fmt::format("flooding messages {} != 2E - (N - 1) = {}", row.flooding.messages,
                       2 * m.edges - (m.nodes - 1)));
    // The copies beyond each node's first: two per edge outside the tree.
    expect(row.flooding.duplicates == 2 * (m.edges - (m.nodes - 1)),
           fmt::format("flooding duplicates {} != 2(E - (N - 1))", row.flooding.duplicates));
    expect(row.tree.duplicates == 0, fmt::format("tree duplicates {} != 0", row.tree.duplicates));
    for (const auto* r : {&row.flooding, &row.tree})
        expect(r->messages == r->packets_sent,
               fmt::format("services sent {} messages but the network carried {}", r->messages, r->packets_sent));
    return bad;
}

} // namespace coronet::sim
