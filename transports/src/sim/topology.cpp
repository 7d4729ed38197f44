#include <coronet/transports/sim/topology.hpp>

#include <algorithm>
#include <charconv>
#include <numeric>
#include <random>
#include <stdexcept>
#include <utility>

namespace coronet::sim {

namespace {

constexpr auto unreachable = topology::unreachable;

[[noreturn]] void fail(const std::string& why) { throw std::invalid_argument("topology: " + why); }

// BFS from `source`, filling dist (unreachable for nodes not reached) and
// leaving the visit order in queue. Stops as soon as every node is reached:
// on dense graphs that is after a level or two instead of scanning all E
// edges, which keeps measure() on a full mesh O(N^2) rather than O(N^3).
// Returns the number of nodes reached, source included.
std::size_t bfs(const topology& t, node_index source, std::vector<std::uint32_t>& dist,
                std::vector<node_index>& queue) {
    auto n = t.size();
    dist.assign(n, unreachable);
    queue.clear();
    dist[source] = 0;
    queue.push_back(source);
    for (std::size_t head = 0; head < queue.size() && queue.size() < n; ++head) {
        auto u = queue[head];
        for (auto w : t.neighbours(u)) {
            if (dist[w] != unreachable) continue;
            dist[w] = dist[u] + 1;
            queue.push_back(w);
        }
    }
    return queue.size();
}

// Uniform in [0, bound) without modulo bias, and without std::
// distributions: their output differs between standard libraries, and a seed
// must name the same graph everywhere.
std::uint64_t below(std::mt19937_64& rng, std::uint64_t bound) {
    // Values under `threshold` would make the low residues more likely.
    auto threshold = (std::numeric_limits<std::uint64_t>::max() - bound + 1) % bound;
    for (;;) {
        auto x = rng();
        if (x >= threshold) return x % bound;
    }
}

// Uniform in [0, 1) from the top 53 bits, exact in a double.
double unit(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

node_index to_index(std::size_t i) { return static_cast<node_index>(i); }

} // namespace

topology::topology(std::size_t node_count, std::string name) : _name(std::move(name)) {
    // Indices must stay below `unreachable`, which routes and distances use
    // as their "none".
    if (node_count >= std::size_t{unreachable})
        fail(std::to_string(node_count) + " nodes is too many (at most " + std::to_string(unreachable - 1) + ")");
    _adjacency.resize(node_count);
}

void topology::check(node_index n, const char* what) const {
    if (n >= size())
        fail(std::string(what) + " node " + std::to_string(n) + " is out of range (the topology has " +
             std::to_string(size()) + " nodes)");
}

void topology::add_edge(node_index a, node_index b) {
    check(a, "edge");
    check(b, "edge");
    if (a == b) fail("self-loop on node " + std::to_string(a) + " (links join two distinct nodes)");
    auto& from_a = _adjacency[a];
    auto at = std::lower_bound(from_a.begin(), from_a.end(), b);
    if (at != from_a.end() && *at == b) return;
    from_a.insert(at, b);
    auto& from_b = _adjacency[b];
    from_b.insert(std::lower_bound(from_b.begin(), from_b.end(), a), a);
    ++_edges;
    _routes.clear();
}

const std::vector<node_index>& topology::neighbours(node_index n) const {
    check(n, "neighbours of");
    return _adjacency[n];
}

bool topology::adjacent(node_index a, node_index b) const {
    check(a, "adjacent");
    check(b, "adjacent");
    if (_adjacency[a].size() > _adjacency[b].size()) std::swap(a, b); // search the shorter list
    return std::binary_search(_adjacency[a].begin(), _adjacency[a].end(), b);
}

bool topology::connected() const {
    if (size() <= 1) return true;
    std::vector<std::uint32_t> dist;
    std::vector<node_index> queue;
    return bfs(*this, 0, dist, queue) == size();
}

std::vector<std::uint32_t> topology::distances_from(node_index source) const {
    check(source, "source");
    std::vector<std::uint32_t> dist;
    std::vector<node_index> queue;
    bfs(*this, source, dist, queue);
    return dist;
}

std::uint32_t topology::eccentricity(node_index n) const {
    check(n, "eccentricity of");
    std::vector<std::uint32_t> dist;
    std::vector<node_index> queue;
    if (bfs(*this, n, dist, queue) < size()) return unreachable;
    return dist[queue.back()]; // BFS order: the last node reached is a farthest one
}

std::vector<node_index> topology::bfs_tree_parents(node_index root) const {
    check(root, "root");
    std::vector<std::uint32_t> dist;
    std::vector<node_index> queue;
    bfs(*this, root, dist, queue);
    std::vector<node_index> parent(size(), unreachable);
    parent[root] = root;
    // The lowest-index neighbour one level up, rather than whichever the BFS
    // met first: then parent[v] == next_hop(v, root), the tree the routes use.
    for (auto v : queue) {
        if (v == root) continue;
        for (auto w : _adjacency[v]) {
            if (dist[w] + 1 == dist[v]) {
                parent[v] = w;
                break;
            }
        }
    }
    return parent;
}

const std::vector<node_index>& topology::route_row(node_index from) const {
    if (_routes.empty()) _routes.resize(size());
    auto& row = _routes[from];
    if (!row.empty()) return row;
    // A BFS that carries each node's first hop. Level 1 enters the queue in
    // ascending order and each node takes the first hop of the earliest
    // queued node that reaches it, so by induction every level stays sorted
    // by first hop and each node gets the lowest first hop of all its
    // shortest paths.
    auto n = size();
    row.assign(n, unreachable);
    row[from] = from; // marks it visited; cleared below
    std::vector<node_index> queue;
    queue.reserve(n);
    queue.push_back(from);
    for (auto w : _adjacency[from]) {
        row[w] = w;
        queue.push_back(w);
    }
    for (std::size_t head = 1; head < queue.size() && queue.size() < n; ++head) {
        auto u = queue[head];
        for (auto w : _adjacency[u]) {
            if (row[w] != unreachable) continue;
            row[w] = row[u];
            queue.push_back(w);
        }
    }
    row[from] = unreachable;
    return row;
}

std::optional<node_index> topology::next_hop(node_index from, node_index to) const {
    check(from, "route source");
    check(to, "route destination");
    auto hop = route_row(from)[to];
    if (hop == unreachable) return std::nullopt;
    return hop;
}

std::vector<node_index> topology::path(node_index from, node_index to) const {
    check(from, "route source");
    check(to, "route destination");
    std::vector<node_index> nodes{from};
    // Hop by hop through each node's own row: the path a forwarded packet
    // takes, which is what path MTU and per-hop faults must agree with.
    for (auto here = from; here != to;) {
        auto hop = route_row(here)[to];
        if (hop == unreachable) return {};
        nodes.push_back(hop);
        here = hop;
    }
    return nodes;
}

void topology::build_routes() const {
    for (std::size_t i = 0; i < size(); ++i) route_row(to_index(i));
}

topology_metrics measure(const topology& t) {
    auto n = t.size();
    topology_metrics m{};
    m.nodes = n;
    m.edges = t.edge_count();
    m.connected = true;
    if (n == 0) return m;

    m.degree.min = std::numeric_limits<std::size_t>::max();
    for (std::size_t i = 0; i < n; ++i) {
        auto d = t.neighbours(to_index(i)).size();
        m.degree.min = std::min(m.degree.min, d);
        m.degree.max = std::max(m.degree.max, d);
    }
    m.degree.mean = 2.0 * static_cast<double>(m.edges) / static_cast<double>(n);

    // One pair of buffers for all N searches.
    std::vector<std::uint32_t> dist;
    std::vector<node_index> queue;
    std::uint64_t hops_total = 0, pairs = 0;
    std::uint32_t longest = 0;
    for (std::size_t s = 0; s < n; ++s) {
        auto reached = bfs(t, to_index(s), dist, queue);
        if (reached < n) m.connected = false;
        for (std::size_t q = 1; q < reached; ++q) hops_total += dist[queue[q]];
        pairs += reached - 1;
        longest = std::max(longest, dist[queue.back()]);
    }
    m.diameter = m.connected ? longest : unreachable;
    m.mean_path_length = pairs == 0 ? 0.0 : static_cast<double>(hops_total) / static_cast<double>(pairs);
    return m;
}

topology ring(std::size_t n) {
    if (n < 3) fail("a ring needs at least 3 nodes, got " + std::to_string(n) + " (2 would need a double edge)");
    topology t(n, "ring");
    for (std::size_t i = 0; i < n; ++i) t.add_edge(to_index(i), to_index((i + 1) % n));
    return t;
}

topology star(std::size_t n) {
    if (n < 2) fail("a star needs a hub and at least one leaf, got " + std::to_string(n) + " nodes");
    topology t(n, "star");
    for (std::size_t i = 1; i < n; ++i) t.add_edge(0, to_index(i));
    return t;
}

topology hypercube(unsigned dimensions) {
    if (dimensions > 20) fail("a hypercube has at most 20 dimensions, got " + std::to_string(dimensions));
    auto n = std::size_t{1} << dimensions;
    topology t(n, "hypercube");
    for (std::size_t i = 0; i < n; ++i)
        for (unsigned bit = 0; bit < dimensions; ++bit) {
            auto j = i ^ (std::size_t{1} << bit);
            if (i < j) t.add_edge(to_index(i), to_index(j));
        }
    return t;
}

topology kary_tree(std::size_t k, std::size_t n) {
    if (k < 1) fail("a k-ary tree needs k >= 1 children per node, got " + std::to_string(k));
    if (n < 1) fail("a tree needs at least 1 node");
    topology t(n, "tree");
    for (std::size_t i = 1; i < n; ++i) t.add_edge(to_index((i - 1) / k), to_index(i));
    return t;
}

namespace {

std::size_t grid_size(const char* shape, std::size_t width, std::size_t height, std::size_t side_min) {
    if (width < side_min || height < side_min)
        fail(std::string("a ") + shape + " needs width and height >= " + std::to_string(side_min) + ", got " +
             std::to_string(width) + "x" + std::to_string(height));
    if (width > std::numeric_limits<std::size_t>::max() / height)
        fail(std::string("a ") + shape + " of " + std::to_string(width) + "x" + std::to_string(height) +
             " is too large");
    return width * height;
}

} // namespace

topology mesh2d(std::size_t width, std::size_t height) {
    topology t(grid_size("mesh", width, height, 1), "mesh");
    for (std::size_t y = 0; y < height; ++y)
        for (std::size_t x = 0; x < width; ++x) {
            auto i = y * width + x;
            if (x + 1 < width) t.add_edge(to_index(i), to_index(i + 1));
            if (y + 1 < height) t.add_edge(to_index(i), to_index(i + width));
        }
    return t;
}

topology torus2d(std::size_t width, std::size_t height) {
    // Below 3 a wrap-around link would double an existing one.
    topology t(grid_size("torus", width, height, 3), "torus");
    for (std::size_t y = 0; y < height; ++y)
        for (std::size_t x = 0; x < width; ++x) {
            auto i = y * width + x;
            t.add_edge(to_index(i), to_index(y * width + (x + 1) % width));
            t.add_edge(to_index(i), to_index((y + 1) % height * width + x));
        }
    return t;
}

topology full_mesh(std::size_t n) {
    if (n < 1) fail("a full mesh needs at least 1 node");
    topology t(n, "full");
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = i + 1; j < n; ++j) t.add_edge(to_index(i), to_index(j));
    return t;
}

topology random_graph(std::size_t n, double edge_probability, std::uint64_t seed) {
    if (n < 1) fail("a random graph needs at least 1 node");
    if (!(edge_probability >= 0.0 && edge_probability <= 1.0))
        fail("edge probability must be in [0, 1], got " + std::to_string(edge_probability));
    topology t(n, "random");
    std::mt19937_64 rng(seed);
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = i + 1; j < n; ++j)
            if (unit(rng) < edge_probability) t.add_edge(to_index(i), to_index(j));
    return t;
}

topology random_connected(std::size_t n, std::size_t extra_edges, std::uint64_t seed) {
    if (n < 1) fail("a random connected graph needs at least 1 node");
    topology t(n, "random-connected");
    auto free_pairs = n * (n - 1) / 2 - (n - 1); // n < 2^32, so n(n-1) fits
    if (extra_edges > free_pairs)
        fail(std::to_string(n) + " nodes leave room for " + std::to_string(free_pairs) +
             " edges beyond a spanning tree, not " + std::to_string(extra_edges));
    std::mt19937_64 rng(seed);

    // Shuffle the nodes, then join each to a random earlier one: a random
    // recursive tree whose shape does not follow the numbering.
    std::vector<node_index> order(n);
    std::iota(order.begin(), order.end(), node_index{0});
    for (auto i = n - 1; i > 0; --i) std::swap(order[i], order[below(rng, i + 1)]);
    for (std::size_t i = 1; i < n; ++i) t.add_edge(order[i], order[below(rng, i)]);

    if (extra_edges * 2 <= free_pairs) {
        // Sparse: a random pair is free at least half the time.
        for (std::size_t added = 0; added < extra_edges;) {
            auto a = to_index(below(rng, n)), b = to_index(below(rng, n));
            if (a == b || t.adjacent(a, b)) continue;
            t.add_edge(a, b);
            ++added;
        }
        return t;
    }
    // Dense: rejection would crawl, so list the free pairs and draw without
    // replacement (a partial Fisher-Yates shuffle).
    std::vector<std::pair<node_index, node_index>> pairs;
    pairs.reserve(free_pairs);
    for (std::size_t a = 0; a < n; ++a)
        for (std::size_t b = a + 1; b < n; ++b)
            if (!t.adjacent(to_index(a), to_index(b))) pairs.emplace_back(to_index(a), to_index(b));
    for (std::size_t i = 0; i < extra_edges; ++i) {
        std::swap(pairs[i], pairs[i + below(rng, pairs.size() - i)]);
        t.add_edge(pairs[i].first, pairs[i].second);
    }
    return t;
}

namespace {

constexpr std::size_t spec_nodes_max = std::size_t{1} << 20;
constexpr std::size_t spec_dense_nodes_max = std::size_t{1} << 12;
constexpr std::size_t spec_extra_edges_max = std::size_t{1} << 23;

[[noreturn]] void bad_spec(std::string_view spec, const std::string& why) {
    throw std::invalid_argument("bad topology spec '" + std::string(spec) + "': " + why +
                                " (expected ring:N, star:N, hypercube:D, tree:K:N, mesh:WxH, torus:WxH, "
                                "full:N, random:N:P:SEED or random-connected:N:EXTRA:SEED)");
}

std::vector<std::string_view> split(std::string_view text, char sep) {
    std::vector<std::string_view> parts;
    for (;;) {
        auto at = text.find(sep);
        parts.push_back(text.substr(0, at));
        if (at == std::string_view::npos) return parts;
        text.remove_prefix(at + 1);
    }
}

template <typename Number>
Number number(std::string_view spec, std::string_view text, const char* field) {
    Number value{};
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size())
        bad_spec(spec, std::string(field) + " '" + std::string(text) + "' is not a number");
    return value;
}

std::size_t count(std::string_view spec, std::string_view text, const char* field, std::size_t max) {
    auto value = number<std::uint64_t>(spec, text, field);
    if (value > max) bad_spec(spec, std::string(field) + " is at most " + std::to_string(max) + " here");
    return static_cast<std::size_t>(value);
}

topology parse_fields(std::string_view spec) {
    auto fields = split(spec, ':');
    auto kind = fields[0];
    auto want = [&](std::size_t n, const char* form) {
        if (fields.size() != n) bad_spec(spec, std::string(kind) + " takes the form " + form);
    };
    auto grid = [&](const char* form) {
        want(2, form);
        auto sides = split(fields[1], 'x');
        if (sides.size() != 2) bad_spec(spec, std::string(kind) + " takes the form " + form);
        auto w = count(spec, sides[0], "width", spec_nodes_max), h = count(spec, sides[1], "height", spec_nodes_max);
        if (w * h > spec_nodes_max) bad_spec(spec, "at most " + std::to_string(spec_nodes_max) + " nodes");
        return std::pair{w, h};
    };
    if (kind == "ring") {
        want(2, "ring:N");
        return ring(count(spec, fields[1], "N", spec_nodes_max));
    }
    if (kind == "star") {
        want(2, "star:N");
        return star(count(spec, fields[1], "N", spec_nodes_max));
    }
    if (kind == "hypercube") {
        want(2, "hypercube:D");
        return hypercube(static_cast<unsigned>(count(spec, fields[1], "D", 20)));
    }
    if (kind == "tree") {
        want(3, "tree:K:N");
        return kary_tree(count(spec, fields[1], "K", spec_nodes_max), count(spec, fields[2], "N", spec_nodes_max));
    }
    if (kind == "mesh") {
        auto [w, h] = grid("mesh:WxH");
        return mesh2d(w, h);
    }
    if (kind == "torus") {
        auto [w, h] = grid("torus:WxH");
        return torus2d(w, h);
    }
    if (kind == "full") {
        want(2, "full:N");
        return full_mesh(count(spec, fields[1], "N", spec_dense_nodes_max));
    }
    if (kind == "random") {
        want(4, "random:N:P:SEED");
        return random_graph(count(spec, fields[1], "N", spec_dense_nodes_max), number<double>(spec, fields[2], "P"),
                            number<std::uint64_t>(spec, fields[3], "SEED"));
    }
    if (kind == "random-connected") {
        want(4, "random-connected:N:EXTRA:SEED");
        return random_connected(count(spec, fields[1], "N", spec_nodes_max),
                                count(spec, fields[2], "EXTRA", spec_extra_edges_max),
                                number<std::uint64_t>(spec, fields[3], "SEED"));
    }
    bad_spec(spec, "unknown topology '" + std::string(kind) + "'");
}

} // namespace

topology parse_topology(std::string_view spec) {
    try {
        return parse_fields(spec);
    } catch (const std::invalid_argument& e) {
        std::string_view why = e.what();
        if (why.starts_with("bad topology spec")) throw;
        // A builder's complaint ("a ring needs at least 3 nodes"), with the
        // spec it came from and the accepted forms.
        if (why.starts_with("topology: ")) why.remove_prefix(10);
        bad_spec(spec, std::string(why));
    }
}

} // namespace coronet::sim
