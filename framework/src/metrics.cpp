#include <coronet/metrics.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace coronet {

namespace {

// Reference: Prometheus "Exposition formats", text format 0.0.4, and the data
// model's name rules (prometheus.io/docs/concepts/data_model).

bool is_name_char(char c, bool first, bool allow_colon) {
    bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    bool digit = c >= '0' && c <= '9';
    return letter || (allow_colon && c == ':') || (!first && digit);
}

bool is_valid_name(std::string_view name, bool allow_colon) {
    if (name.empty()) return false;
    for (std::size_t i = 0; i < name.size(); ++i)
        if (!is_name_char(name[i], i == 0, allow_colon)) return false;
    return true;
}

const char* kind_name(metric_kind kind) {
    switch (kind) {
    case metric_kind::counter: return "counter";
    case metric_kind::gauge: return "gauge";
    case metric_kind::histogram: return "histogram";
    }
    return "?";
}

constexpr std::string_view total_suffix = "_total";

// The family name a counter is stored under: "x" and "x_total" are one counter.
std::string_view base_name(std::string_view name, metric_kind kind) {
    if (kind == metric_kind::counter && name.size() > total_suffix.size() && name.ends_with(total_suffix))
        name.remove_suffix(total_suffix.size());
    return name;
}

// The names this family's sample lines start with; two families must not share one.
std::vector<std::string> line_names(std::string_view name, metric_kind kind) {
    std::string n(name);
    switch (kind) {
    case metric_kind::counter: return {n + std::string(total_suffix)};
    case metric_kind::gauge: return {n};
    case metric_kind::histogram: return {n, n + "_sum", n + "_count"};
    }
    return {};
}

metric_labels canonical_labels(std::string_view metric, metric_kind kind, const metric_labels& labels) {
    auto fail = [&](const std::string& label, const char* why) {
        throw std::invalid_argument(fmt::format("metrics: label '{}' on '{}' {}", label, metric, why));
    };
    metric_labels sorted = labels;
    std::sort(sorted.begin(), sorted.end(), [](auto& a, auto& b) { return a.first < b.first; });
    for (std::size_t i = 0; i < sorted.size(); ++i) {
        auto& label = sorted[i].first;
        if (!is_valid_name(label, false)) fail(label, "is not a valid label name (expected [a-zA-Z_][a-zA-Z0-9_]*)");
        if (label.starts_with("__")) fail(label, "is reserved (names starting with __ belong to Prometheus)");
        if (kind == metric_kind::histogram && label == "quantile")
            fail(label, "is reserved (histograms are written as summaries, which add it)");
        if (i > 0 && sorted[i - 1].first == label) fail(label, "is given twice");
    }
    return sorted;
}

void append_escaped(std::string& out, std::string_view text, bool quote_too) {
    for (char c : text) {
        if (c == '\\') out.append("\\\\");
        else if (c == '\n') out.append("\\n");
        else if (quote_too && c == '"') out.append("\\\"");
        else out.push_back(c);
    }
}

// {a="1",b="2"}, or "" for no labels; `extra` is appended already rendered.
std::string render_labels(const metric_labels& labels, std::string_view extra = {}) {
    if (labels.empty() && extra.empty()) return {};
    std::string out = "{";
    for (auto& [name, value] : labels) {
        if (out.size() > 1) out.push_back(',');
        out.append(name).append("=\"");
        append_escaped(out, value, true);
        out.push_back('"');
    }
    if (!extra.empty()) {
        if (out.size() > 1) out.push_back(',');
        out.append(extra);
    }
    out.push_back('}');
    return out;
}

// Go's strconv-style floats, as Prometheus writes them: "NaN", "+Inf", shortest digits.
std::string format_value(double v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    return fmt::format("{}", v);
}

histogram_summary summarize(const histogram& h) {
    return {h.count(), h.sum(), h.min(), h.max(), h.p50(), h.p99(), h.p999()};
}

} // namespace

metrics_registry::series& metrics_registry::find_or_add(std::string_view name, std::string_view help, metric_kind kind,
                                                        const metric_labels& labels, bool observed) {
    if (!is_valid_name(name, true))
        throw std::invalid_argument(
            fmt::format("metrics: invalid metric name '{}' (expected [a-zA-Z_:][a-zA-Z0-9_:]*)", name));
    name = base_name(name, kind);
    auto canonical = canonical_labels(name, kind, labels);

    auto it = _families.find(name);
    if (it == _families.end()) {
        auto lines = line_names(name, kind);
        for (auto& line : lines)
            if (auto clash = _line_names.find(line); clash != _line_names.end())
                throw std::invalid_argument(fmt::format(
                    "metrics: '{}' would write lines named '{}', as '{}' already does", name, line, clash->second));
        for (auto& line : lines) _line_names.emplace(line, std::string(name));
        it = _families.emplace(std::string(name), family{kind, std::string(help), {}}).first;
    } else if (it->second.kind != kind) {
        throw std::invalid_argument(fmt::format("metrics: '{}' is already registered as a {}, not a {}", name,
                                                kind_name(it->second.kind), kind_name(kind)));
    } else if (it->second.help != help) {
        throw std::invalid_argument(fmt::format("metrics: '{}' is already registered with help \"{}\", not \"{}\"",
                                                name, it->second.help, help));
    }

    auto key = render_labels(canonical);
    auto& by_labels = it->second.series_by_labels;
    if (auto found = by_labels.find(key); found != by_labels.end()) {
        bool was_observed = found->second.read_counter || found->second.read_gauge;
        if (observed || was_observed)
            throw std::invalid_argument(
                fmt::format("metrics: '{}{}' is already registered{}", name, key, was_observed ? " as observed" : ""));
        return found->second;
    }
    // Built complete before it is inserted, so a failed allocation leaves no
    // series with a null metric behind.
    series s{std::move(canonical), nullptr, nullptr, nullptr, {}, {}};
    if (observed) return by_labels.emplace(std::move(key), std::move(s)).first->second;
    switch (kind) {
    case metric_kind::counter: s.counter = std::make_unique<coronet::counter>(); break;
    case metric_kind::gauge: s.gauge = std::make_unique<coronet::gauge>(); break;
    case metric_kind::histogram: s.histogram = std::make_unique<histogram_metric>(); break;
    }
    return by_labels.emplace(std::move(key), std::move(s)).first->second;
}

counter& metrics_registry::counter(std::string_view name, std::string_view help, const metric_labels& labels) {
    std::lock_guard lock(_mutex);
    return *find_or_add(name, help, metric_kind::counter, labels).counter;
}

gauge& metrics_registry::gauge(std::string_view name, std::string_view help, const metric_labels& labels) {
    std::lock_guard lock(_mutex);
    return *find_or_add(name, help, metric_kind::gauge, labels).gauge;
}

histogram_metric& metrics_registry::histogram(std::string_view name, std::string_view help,
                                              const metric_labels& labels) {
    std::lock_guard lock(_mutex);
    return *find_or_add(name, help, metric_kind::histogram, labels).histogram;
}

void metrics_registry::observe_counter(std::string_view name, std::string_view help, const metric_labels& labels,
                                       std::function<std::uint64_t()> read) {
    if (!read) throw std::invalid_argument(fmt::format("metrics: observed counter '{}' has no read function", name));
    std::lock_guard lock(_mutex);
    find_or_add(name, help, metric_kind::counter, labels, true).read_counter = std::move(read);
}

void metrics_registry::observe_gauge(std::string_view name, std::string_view help, const metric_labels& labels,
                                     std::function<std::int64_t()> read) {
    if (!read) throw std::invalid_argument(fmt::format("metrics: observed gauge '{}' has no read function", name));
    std::lock_guard lock(_mutex);
    find_or_add(name, help, metric_kind::gauge, labels, true).read_gauge = std::move(read);
}

std::vector<metric_snapshot> metrics_registry::snapshot() const {
    std::vector<metric_snapshot> out;
    std::lock_guard lock(_mutex);
    for (auto& [name, f] : _families) {
        for (auto& [key, s] : f.series_by_labels) {
            metric_snapshot m{name, f.help, f.kind, s.labels, 0, 0, {}};
            switch (f.kind) {
            case metric_kind::counter: m.counter_value = s.read_counter ? s.read_counter() : s.counter->value(); break;
            case metric_kind::gauge: m.gauge_value = s.read_gauge ? s.read_gauge() : s.gauge->value(); break;
            case metric_kind::histogram: m.summary = summarize(s.histogram->snapshot()); break;
            }
            out.push_back(std::move(m));
        }
    }
    return out;
}

void metrics_registry::write_prometheus(std::ostream& out) const {
    // Formatting works on a snapshot, so a slow stream never holds the registry lock.
    auto series = snapshot();
    const std::string* family = nullptr; // HELP and TYPE once per family: series arrive grouped
    std::string text;
    for (auto& m : series) {
        auto name = m.kind == metric_kind::counter ? m.name + std::string(total_suffix) : m.name;
        if (!family || *family != m.name) {
            family = &m.name;
            text.append("# HELP ").append(name).push_back(' ');
            append_escaped(text, m.help, false);
            text.append("\n# TYPE ")
                .append(name)
                .append(m.kind == metric_kind::counter ? " counter\n"
                        : m.kind == metric_kind::gauge ? " gauge\n"
                                                       : " summary\n");
        }
        auto labels = render_labels(m.labels);
        switch (m.kind) {
        case metric_kind::counter: text.append(fmt::format("{}{} {}\n", name, labels, m.counter_value)); break;
        case metric_kind::gauge: text.append(fmt::format("{}{} {}\n", name, labels, m.gauge_value)); break;
        case metric_kind::histogram: {
            bool empty = m.summary.count == 0;
            for (auto [quantile, value] : {std::pair{"0.5", m.summary.p50}, {"0.99", m.summary.p99},
                                           {"0.999", m.summary.p999}})
                text.append(fmt::format("{}{} {}\n", name,
                                        render_labels(m.labels, fmt::format("quantile=\"{}\"", quantile)),
                                        empty ? "NaN" : format_value(value)));
            text.append(fmt::format("{}_sum{} {}\n", name, labels, m.summary.sum));
            text.append(fmt::format("{}_count{} {}\n", name, labels, m.summary.count));
            break;
        }
        }
    }
    out << text;
}

} // namespace coronet
