// coronet sim broadcast: flooding and a spanning-tree broadcast on each
// topology and size, as real datagram services on the simulated network;
// prints rounds and messages next to degree, diameter and eccentricity
// (docs/topologies.md).
#include "sim_command.hpp"

#include <coronet/transports/sim/broadcast.hpp>

#include <boost/json.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <iostream>

namespace coronet::cli {

void print_table(const table& t, bool markdown, std::ostream& out) {
    std::vector<std::size_t> width(t[0].size(), 0);
    for (const auto& row : t)
        for (std::size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
    auto left = [](std::size_t c) { return c == 0; };
    auto line = [&](const std::vector<std::string>& row) {
        std::string s = markdown ? "|" : "";
        for (std::size_t c = 0; c < row.size(); ++c) {
            s += markdown ? " " : (c == 0 ? "" : "  ");
            s += left(c) ? fmt::format("{:<{}}", row[c], width[c]) : fmt::format("{:>{}}", row[c], width[c]);
            if (markdown) s += " |";
        }
        out << s << "\n";
    };
    line(t[0]);
    if (markdown) {
        std::string s = "|";
        for (std::size_t c = 0; c < width.size(); ++c)
            s += left(c) ? ":" + std::string(width[c] + 1, '-') + "|" : std::string(width[c] + 1, '-') + ":|";
        out << s << "\n";
    }
    for (std::size_t r = 1; r < t.size(); ++r) line(t[r]);
}

namespace {

// full:N has O(N^2) edges and flooding it sends (N-1)^2 datagrams: 4096 nodes
// is the most parse_topology() builds for it (16.8M datagrams; 1024 nodes
// take ~4 s and ~400 MB).
constexpr std::size_t broadcast_nodes_max = 4096;

struct broadcast_cli_options {
    std::vector<std::size_t> sizes{16, 64, 256, 1024};
    std::vector<std::string> shapes{sim::broadcast_shapes().begin(), sim::broadcast_shapes().end()};
    std::uint64_t seed = 1;
    std::string json_path;
    std::string svg_path;
    bool markdown = false;
};

table broadcast_table(const std::vector<sim::broadcast_row>& rows) {
    table t{{"topology", "N", "edges", "degree min/mean/max", "diameter", "mean path", "ecc(src)", "flood rounds",
             "flood msgs", "tree rounds", "tree msgs", "msgs flood/tree"}};
    for (const auto& r : rows) {
        const auto& m = r.metrics;
        auto tree_messages = std::max<std::uint64_t>(1, r.tree.messages);
        auto ratio = static_cast<double>(r.flooding.messages) / static_cast<double>(tree_messages);
        t.push_back({r.shape, std::to_string(m.nodes), std::to_string(m.edges),
                     fmt::format("{}/{:.2f}/{}", m.degree.min, m.degree.mean, m.degree.max),
                     std::to_string(m.diameter), fmt::format("{:.2f}", m.mean_path_length),
                     std::to_string(r.source_eccentricity), std::to_string(r.flooding.rounds),
                     std::to_string(r.flooding.messages), std::to_string(r.tree.rounds),
                     std::to_string(r.tree.messages), fmt::format("{:.2f}", ratio)});
    }
    return t;
}


boost::json::object to_json(const sim::broadcast_result& r) {
    return {{"reached", r.reached},
            {"rounds", r.rounds},
            {"messages", r.messages},
            {"packets_sent", r.packets_sent},
            {"duplicates", r.duplicates}};
}

void write_json(const std::string& path, const broadcast_cli_options& o, const std::vector<sim::broadcast_row>& rows,
                const std::vector<double>& seconds, bool relations_hold) {
    boost::json::array out_rows;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const auto& r = rows[i];
        const auto& m = r.metrics;
        out_rows.push_back(boost::json::object{
            {"topology", r.shape},
            {"spec", r.spec},
            {"nodes", m.nodes},
            {"edges", m.edges},
            {"degree", {{"min", m.degree.min}, {"mean", m.degree.mean}, {"max", m.degree.max}}},
            {"diameter", m.diameter},
            {"mean_path_length", m.mean_path_length},
            {"source", 0},
            {"source_eccentricity", r.source_eccentricity},
            {"flooding", to_json(r.flooding)},
            {"tree", to_json(r.tree)},
            {"real_seconds", seconds[i]},
        });
    }
    boost::json::object doc{{"experiment", "broadcast"},
                            {"seed", o.seed},
                            {"hop_latency_ms", 1},
                            {"relations_hold", relations_hold},
                            {"rows", std::move(out_rows)}};
    std::ofstream f(path);
    if (!f) throw std::runtime_error("cannot write " + path);
    f << boost::json::serialize(doc) << "\n";
}

// -- The plot: two log-log panels, rounds and messages against N.

struct series {
    std::string label; // written at the line's right end; empty for none
    std::string colour;
    bool line = true;     // else markers only
    bool dashed = false;
    bool squares = false; // open squares as markers, else filled circles
    std::vector<std::pair<double, double>> points;
};

struct panel {
    std::string title;
    double x0, y0, width, height; // the plot area, in pixels
    std::vector<series> lines;    // drawn in order: the last one on top
};

std::string power_label(double v) {
    auto n = static_cast<std::uint64_t>(std::llround(v));
    if (n >= (1u << 20) && n % (1u << 20) == 0) return fmt::format("{}M", n >> 20);
    if (n >= 1024 && n % 1024 == 0) return fmt::format("{}K", n >> 10);
    return std::to_string(n);
}

void draw_series(std::string& svg, const series& s, const auto& px, const auto& py) {
    std::string pts;
    for (auto [x, y] : s.points) pts += fmt::format("{:.1f},{:.1f} ", px(x), py(y));
    if (s.line)
        svg += fmt::format("<polyline points='{}' fill='none' stroke='{}' stroke-width='2'{}/>\n", pts, s.colour,
                           s.dashed ? " stroke-dasharray='5,3'" : "");
    for (auto [x, y] : s.points)
        svg += s.squares ? fmt::format("<rect x='{:.1f}' y='{:.1f}' width='8' height='8' fill='none' stroke='{}'/>\n",
                                       px(x) - 4, py(y) - 4, s.colour)
                         : fmt::format("<circle cx='{:.1f}' cy='{:.1f}' r='2.5' fill='{}'/>\n", px(x), py(y), s.colour);
}

/// Names each labelled line at its right end. Lines that end on the same
/// value share one label ("star = full": one hides the other); labels are
/// then pushed apart so they never overlap.
void draw_end_labels(std::string& svg, const panel& p, const auto& py) {
    struct label {
        double value;
        std::vector<const series*> lines;
    };
    std::vector<label> labels;
    for (const auto& s : p.lines) {
        if (s.label.empty() || s.points.empty()) continue;
        auto v = s.points.back().second;
        auto same = std::find_if(labels.begin(), labels.end(), [&](const label& l) { return l.value == v; });
        if (same != labels.end()) same->lines.push_back(&s);
        else labels.push_back({v, {&s}});
    }
    std::sort(labels.begin(), labels.end(), [](const label& a, const label& b) { return a.value > b.value; });
    double previous = -1e300;
    for (const auto& l : labels) {
        double y = std::max(py(l.value) + 4, previous + 13);
        previous = y;
        svg += fmt::format("<text x='{:.1f}' y='{:.1f}'>", p.x0 + p.width + 6, y);
        for (std::size_t i = 0; i < l.lines.size(); ++i)
            svg += fmt::format("{}<tspan fill='{}'>{}</tspan>", i ? " = " : "", l.lines[i]->colour, l.lines[i]->label);
        svg += "</text>\n";
    }
}

/// Log2 axes: x over the sizes, y from the power of two below the smallest
/// value to the one above the largest.
void draw_panel(std::string& svg, const panel& p, const std::vector<std::size_t>& sizes) {
    double x_lo = std::log2(static_cast<double>(sizes.front())), x_hi = std::log2(static_cast<double>(sizes.back()));
    if (x_hi - x_lo < 1) x_lo -= 1, x_hi += 1;
    double y_min = 1e300, y_max = 1;
    for (const auto& s : p.lines)
        for (auto [x, y] : s.points) y_min = std::min(y_min, std::max(1.0, y)), y_max = std::max(y_max, y);
    double y_lo = std::floor(std::log2(y_min)), y_hi = std::max(y_lo + 1, std::ceil(std::log2(y_max)));
    int y_step = y_hi - y_lo > 10 ? 2 : 1; // at most ~10 grid lines
    auto px = [&](double v) { return p.x0 + (std::log2(v) - x_lo) / (x_hi - x_lo) * p.width; };
    auto py = [&](double v) {
        return p.y0 + p.height - (std::log2(std::max(1.0, v)) - y_lo) / (y_hi - y_lo) * p.height;
    };

    svg += fmt::format("<text x='{:.1f}' y='{:.1f}' text-anchor='middle' font-weight='bold'>{}</text>\n",
                       p.x0 + p.width / 2, p.y0 - 10, p.title);
    for (double e = y_lo; e <= y_hi; e += y_step) {
        double y = py(std::exp2(e));
        svg += fmt::format("<line x1='{:.1f}' y1='{:.1f}' x2='{:.1f}' y2='{:.1f}' stroke='#ddd'/>\n", p.x0, y,
                           p.x0 + p.width, y);
        svg += fmt::format("<text x='{:.1f}' y='{:.1f}' text-anchor='end'>{}</text>\n", p.x0 - 5, y + 4,
                           power_label(std::exp2(e)));
    }
    for (auto n : sizes) {
        double x = px(static_cast<double>(n));
        svg += fmt::format("<line x1='{:.1f}' y1='{:.1f}' x2='{:.1f}' y2='{:.1f}' stroke='#ddd'/>\n", x, p.y0, x,
                           p.y0 + p.height);
        svg += fmt::format("<text x='{:.1f}' y='{:.1f}' text-anchor='middle'>{}</text>\n", x, p.y0 + p.height + 15, n);
    }
    svg += fmt::format("<rect x='{:.1f}' y='{:.1f}' width='{:.1f}' height='{:.1f}' fill='none' stroke='#444'/>\n",
                       p.x0, p.y0, p.width, p.height);
    svg += fmt::format("<text x='{:.1f}' y='{:.1f}' text-anchor='middle'>N (log scale)</text>\n", p.x0 + p.width / 2,
                       p.y0 + p.height + 30);
    for (const auto& s : p.lines) draw_series(svg, s, px, py);
    draw_end_labels(svg, p, py);
}

std::string broadcast_svg(const broadcast_cli_options& o, const std::vector<sim::broadcast_row>& rows) {
    static constexpr std::array<const char*, 8> colours{"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728",
                                                        "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"};
    auto sizes = o.sizes;
    std::sort(sizes.begin(), sizes.end());
    panel rounds{"Rounds to reach every node", 45, 40, 260, 230, {}};
    panel messages{"Messages sent", 475, 40, 260, 230, {}};
    std::vector<series> tree_rounds, tree_msgs;
    bool one_tree_line = true; // tree messages are N - 1 on every shape: one line, not seven
    for (std::size_t i = 0; i < o.shapes.size(); ++i) {
        std::string colour = colours[i % colours.size()];
        series flood_r{o.shapes[i], colour, true, false, false, {}}, flood_m = flood_r;
        series tree_r{"", colour, false, false, true, {}}, tree_m{"", colour, true, true, true, {}};
        for (const auto& r : rows) {
            if (r.shape != o.shapes[i]) continue;
            auto n = static_cast<double>(r.metrics.nodes);
            flood_r.points.emplace_back(n, r.flooding.rounds);
            tree_r.points.emplace_back(n, r.tree.rounds);
            flood_m.points.emplace_back(n, static_cast<double>(r.flooding.messages));
            tree_m.points.emplace_back(n, static_cast<double>(r.tree.messages));
            one_tree_line = one_tree_line && r.tree.messages + 1 == r.metrics.nodes;
        }
        rounds.lines.push_back(std::move(flood_r));
        messages.lines.push_back(std::move(flood_m));
        tree_rounds.push_back(std::move(tree_r));
        tree_msgs.push_back(std::move(tree_m));
    }
    if (one_tree_line && !tree_msgs.empty()) {
        tree_msgs.resize(1);
        tree_msgs[0].colour = "#000";
    }
    // The tree on top: its points sit on the flooding lines.
    for (auto& s : tree_rounds) rounds.lines.push_back(std::move(s));
    for (auto& s : tree_msgs) messages.lines.push_back(std::move(s));

    std::string svg = "<svg xmlns='http://www.w3.org/2000/svg' width='860' height='360' font-family='sans-serif' "
                      "font-size='11'>\n<rect width='860' height='360' fill='white'/>\n";
    draw_panel(svg, rounds, sizes);
    draw_panel(svg, messages, sizes);
    svg += "<line x1='45' y1='318' x2='63' y2='318' stroke='#444' stroke-width='2'/>"
           "<circle cx='54' cy='318' r='2.5' fill='#444'/><text x='68' y='322'>flooding</text>\n"
           "<rect x='130' y='314' width='8' height='8' fill='none' stroke='#444'/>"
           "<text x='143' y='322'>spanning tree (in its shape's colour)</text>\n";
    if (one_tree_line)
        svg += "<line x1='375' y1='318' x2='393' y2='318' stroke='#000' stroke-width='2' stroke-dasharray='5,3'/>"
               "<text x='398' y='322'>spanning tree messages: N-1 on every shape</text>\n";
    svg += fmt::format("<text x='45' y='338' fill='#555'>Tree rounds equal flooding rounds on every shape: both are "
                       "the source's eccentricity. Lines ending on one value share a label.</text>\n"
                       "<text x='45' y='352' fill='#555'>coronet sim broadcast: source node 0, 1 ms per hop, no "
                       "loss, seed {}.</text>\n",
                       o.seed);
    return svg + "</svg>\n";
}

int broadcast(const broadcast_cli_options& o) {
    // Every (shape, size) is checked before the first run: a bad size fails
    // at once, not after a minute of work.
    for (const auto& shape : o.shapes)
        for (auto n : o.sizes) sim::broadcast_topology_spec(shape, n, o.seed);
    std::vector<sim::broadcast_row> rows;
    std::vector<double> seconds;
    auto t0 = std::chrono::steady_clock::now();
    for (const auto& shape : o.shapes)
        for (auto n : o.sizes) {
            auto t = std::chrono::steady_clock::now();
            rows.push_back(sim::broadcast_experiment(shape, n, o.seed));
            seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count());
            fmt::print(stderr, "{:<28} {:8.3f} s real\n", rows.back().spec, seconds.back());
        }
    fmt::print(stderr, "total {:.3f} s real\n",
               std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());

    std::vector<std::string> violations;
    for (const auto& r : rows)
        for (auto& v : sim::broadcast_violations(r)) violations.push_back(std::move(v));
    print_table(broadcast_table(rows), o.markdown, std::cout);
    if (!o.json_path.empty()) write_json(o.json_path, o, rows, seconds, violations.empty());
    if (!o.svg_path.empty()) {
        std::ofstream f(o.svg_path);
        if (!f) throw std::runtime_error("cannot write " + o.svg_path);
        f << broadcast_svg(o, rows);
    }
    for (const auto& v : violations) fmt::print(stderr, "relation violated: {}\n", v);
    if (!violations.empty()) return 1;
    fmt::print(stderr, "every row: flood rounds = tree rounds = ecc(src) <= diameter, tree msgs = N-1, "
                       "flood msgs = 2E-(N-1)\n");
    return 0;
}

} // namespace

void add_sim_command(CLI::App& app, const global_options& g, std::function<int()>& run) {
    auto* sim = app.add_subcommand("sim", "experiments on the simulated network (virtual time, deterministic)");
    sim->require_subcommand(1);
    auto o = std::make_shared<broadcast_cli_options>();
    std::vector<std::string> shapes(sim::broadcast_shapes().begin(), sim::broadcast_shapes().end());
    auto* b = sim->add_subcommand(
        "broadcast", "flooding vs a BFS spanning tree on each topology: rounds and messages (docs/topologies.md)");
    b->add_option("--sizes", o->sizes, "node counts, comma-separated")
        ->delimiter(',')
        ->capture_default_str()
        ->check(CLI::Range(std::size_t{3}, broadcast_nodes_max));
    b->add_option("--topologies", o->shapes, "shapes, comma-separated")
        ->delimiter(',')
        ->capture_default_str()
        ->check(CLI::IsMember(shapes));
    b->add_option("--seed", o->seed, "seeds the random topology and the simulator")->capture_default_str();
    b->add_option("--json", o->json_path, "also write the rows as JSON to this file");
    b->add_option("--svg", o->svg_path, "also plot rounds and messages against N as SVG to this file");
    b->add_flag("--markdown", o->markdown, "print the table as Markdown");
    b->callback([&run, o] { run = [o] { return broadcast(*o); }; });
    add_sim_raft_command(*sim, run);
}

} // namespace coronet::cli
