#include "bench_report.hpp"

#include "gnuplot_chart.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

namespace coronet::bench::report {

namespace json = boost::json;

namespace {

/// A table cell: '|' would end it.
std::string cell_text(std::string s) {
    for (std::size_t at = 0; (at = s.find('|', at)) != std::string::npos; at += 2) s.replace(at, 1, "\\|");
    return s;
}

double number(const json::value& v) { return v.is_null() ? 0.0 : v.to_number<double>(); }

double field(const json::object& o, std::string_view key) {
    auto* v = o.if_contains(key);
    return v ? number(*v) : 0.0;
}

std::string text(const json::object& o, std::string_view key) {
    auto* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

/// Collects the section's Markdown and its charts.
struct section_writer {
    const std::filesystem::path& dir;
    const std::string& gnuplot;
    report_result& result;
    std::ostringstream md;

    void chart_or_note(const chart& c, const std::string& file) {
        if (gnuplot.empty()) return;
        auto svg = dir / file;
        render_svg(c, svg, gnuplot);
        result.charts.push_back(svg);
        md << fmt::format("![{}]({})\n\n", c.title, file);
    }
};

std::vector<std::string> ordered_unique(const json::array& cells, std::string_view key) {
    std::vector<std::string> out;
    std::set<std::string> seen;
    for (const auto& c : cells) {
        auto s = text(c.as_object(), key);
        if (seen.insert(s).second) out.push_back(s);
    }
    return out;
}

void transports_section(const json::object& r, section_writer& w) {
    const auto& cells = r.at("cells").as_array();
    auto variants = ordered_unique(cells, "variant");
    auto workloads = ordered_unique(cells, "workload");
    w.md << "| workload | variant | ops/s | p50 µs | p99 µs | vs baseline |\n|---|---|---:|---:|---:|---:|\n";
    for (const auto& cv : cells) {
        const auto& c = cv.as_object();
        auto ratio = c.if_contains("ratio_to_baseline");
        w.md << fmt::format("| {} | {} | {:.0f} | {:.1f} | {:.1f} | {} |\n", cell_text(text(c, "workload")),
                            cell_text(text(c, "variant")),
                            field(c, "ops_per_sec"), field(c, "p50_us"), field(c, "p99_us"),
                            ratio ? fmt::format("{:.2f}× {}", number(*ratio), cell_text(text(c, "baseline"))) : "");
    }
    w.md << "\n";
    auto cell = [&](const std::string& v, const std::string& wl) -> const json::object* {
        for (const auto& c : cells)
            if (text(c.as_object(), "variant") == v && text(c.as_object(), "workload") == wl) return &c.as_object();
        return nullptr;
    };
    // Latency percentiles per transport, on the first (sequential) workload.
    chart latency{"Latency per transport (" + workloads.front() + ")", "", "µs (log scale)", false, true, variants, {}};
    for (const char* p : {"p50_us", "p99_us"}) {
        series s{std::string(p).substr(0, 3), {}, {}, false};
        for (const auto& v : variants) s.bars.push_back(cell(v, workloads.front()) ? field(*cell(v, workloads.front()), p) : 0);
        latency.lines.push_back(std::move(s));
    }
    w.chart_or_note(latency, "transports-latency.svg");
    chart throughput{"Throughput per workload", "", "ops/s", false, false, workloads, {}};
    for (const auto& v : variants) {
        series s{v, {}, {}, false};
        for (const auto& wl : workloads) s.bars.push_back(cell(v, wl) ? field(*cell(v, wl), "ops_per_sec") : 0);
        throughput.lines.push_back(std::move(s));
    }
    w.chart_or_note(throughput, "transports-throughput.svg");
}

void kv_section(const json::object& r, section_writer& w) {
    const auto& cells = r.at("cells").as_array();
    auto systems = ordered_unique(cells, "system");
    w.md << "| system | clients | puts/s | p50 µs | p99 µs | errors | elections |\n|---|---:|---:|---:|---:|---:|---:|\n";
    for (const auto& cv : cells) {
        const auto& c = cv.as_object();
        w.md << fmt::format("| {} | {:.0f} | {:.0f} | {:.0f} | {:.0f} | {:.0f} | {:.0f} |\n", cell_text(text(c, "system")),
                            field(c, "clients"), field(c, "puts_per_sec"), field(c, "p50_us"), field(c, "p99_us"),
                            field(c, "errors"), field(c, "elections"));
    }
    w.md << "\n";
    if (auto* f = r.if_contains("failovers"); f && f->is_array()) {
        w.md << "| system | failover p50 ms | p99 ms |\n|---|---:|---:|\n";
        for (const auto& fv : f->as_array())
            w.md << fmt::format("| {} | {:.0f} | {:.0f} |\n", text(fv.as_object(), "system"),
                                field(fv.as_object(), "p50_ms"), field(fv.as_object(), "p99_ms"));
        w.md << "\n";
    }
    chart latency{"Raft commit latency, sync vs async replication (p50)", "clients", "ms", true, true, {}, {}};
    chart rate{"Throughput", "clients", "puts/s", true, true, {}, {}};
    for (const auto& sys : systems) {
        series lat{sys, {}, {}, false}, put{sys, {}, {}, false};
        for (const auto& cv : cells) {
            const auto& c = cv.as_object();
            if (text(c, "system") != sys || field(c, "puts_per_sec") <= 0) continue;
            lat.points.emplace_back(field(c, "clients"), field(c, "p50_us") / 1e3);
            put.points.emplace_back(field(c, "clients"), field(c, "puts_per_sec"));
        }
        latency.lines.push_back(std::move(lat));
        rate.lines.push_back(std::move(put));
    }
    w.chart_or_note(latency, "kv-latency.svg");
    w.chart_or_note(rate, "kv-throughput.svg");
}

void chord_section(const json::object& r, section_writer& w) {
    const auto& points = r.at("path_length").at("points").as_array();
    w.md << "| N | ½·log2 N | iterative mean path | recursive mean path |\n|---:|---:|---:|---:|\n";
    series model{"½·log2 N (the paper)", {}, {}, true}, iterative{"iterative", {}, {}, false},
        recursive{"recursive", {}, {}, false};
    for (const auto& pv : points) {
        const auto& p = pv.as_object();
        double n = field(p, "nodes");
        double it = p.contains("iterative") ? field(p.at("iterative").at("path_length").as_object(), "mean") : 0;
        double rc = p.contains("recursive") ? field(p.at("recursive").at("path_length").as_object(), "mean") : 0;
        w.md << fmt::format("| {:.0f} | {:.1f} | {:.2f} | {:.2f} |\n", n, field(p, "half_log2_n"), it, rc);
        model.points.emplace_back(n, field(p, "half_log2_n"));
        if (it > 0) iterative.points.emplace_back(n, it);
        if (rc > 0) recursive.points.emplace_back(n, rc);
    }
    w.md << "\n";
    chart c{"Chord lookup path length against N", "nodes (N)", "mean path length", true, false, {},
            {model, iterative, recursive}};
    w.chart_or_note(c, "chord-path-length.svg");
}

} // namespace

report_result write_report(const std::vector<std::filesystem::path>& json_files, const std::filesystem::path& dir) {
    std::filesystem::create_directories(dir);
    report_result result;
    result.markdown = dir / "report.md";
    auto gnuplot = find_gnuplot();
    if (gnuplot.empty()) result.note = "no charts: gnuplot is not installed (apt-get install gnuplot-nox)";
    std::ostringstream md;
    md << "# coronet benchmark report\n\n";
    if (!result.note.empty()) md << "_" << result.note << "._\n\n";
    for (const auto& file : json_files) {
        std::ifstream in(file);
        if (!in) throw std::runtime_error("cannot read " + file.string());
        std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        json::value v;
        try {
            v = json::parse(body);
        } catch (const std::exception& e) {
            throw std::runtime_error(file.string() + " is not JSON: " + e.what());
        }
        if (!v.is_object()) throw std::runtime_error(file.string() + " is not a benchmark's JSON object");
        const auto& r = v.as_object();
        auto kind = text(r, "benchmark");
        section_writer w{dir, gnuplot, result, {}};
        md << fmt::format("## {} (`{}`)\n\n", kind.empty() ? "unknown" : kind, file.filename().string());
        md << fmt::format("Machine: {}{}.\n\n", text(r, "machine"),
                          r.contains("quick") && r.at("quick").is_bool() && r.at("quick").as_bool()
                              ? " — a --quick run" : "");
        try {
            if (kind == "transports") transports_section(r, w);
            else if (kind == "kv") kv_section(r, w);
            else if (kind == "chord") chord_section(r, w);
            else w.md << "No report section for this benchmark yet; its JSON has the numbers.\n\n";
        } catch (const std::out_of_range& e) {
            throw std::runtime_error(file.string() + ": a field the report needs is missing (" + e.what() + ")");
        }
        md << w.md.str();
    }
    std::ofstream out(result.markdown);
    out << md.str();
    if (!out) throw std::runtime_error("cannot write " + result.markdown.string());
    return result;
}

} // namespace coronet::bench::report
