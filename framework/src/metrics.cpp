#include <coronet/metrics.hpp>

#include <fmt/format.h>

#include <stdexcept>

namespace coronet {

namespace {

bool valid_name(std::string_view n, bool allow_colon) {
    if (n.empty()) return false;
    auto ok = [&](char c, bool first) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (allow_colon && c == ':') ||
               (!first && c >= '0' && c <= '9');
    };
    for (std::size_t i = 0; i < n.size(); ++i)
        if (!ok(n[i], i == 0)) return false;
    return true;
}

std::string escape(std::string_view v) {
    std::string out;
    for (char c : v) {
        if (c == '\\') out += "\\\\";
        else if (c == '"') out += "\\\"";
        else if (c == '\n') out += "\\n";
        else out += c;
    }
    return out;
}

std::string render(const metric_labels& labels, std::string_view extra = {}) {
    std::string out;
    for (auto& [k, v] : labels) {
        if (!valid_name(k, false)) throw std::invalid_argument("metrics: invalid label name '" + k + "'");
        // Appends, not operator+ chains: GCC 12 warns falsely (-Wrestrict) on those.
        if (!out.empty()) out.append(",");
        out.append(k).append("=\"").append(escape(v)).append("\"");
    }
    if (!extra.empty()) {
        if (!out.empty()) out.append(",");
        out.append(extra);
    }
    if (out.empty()) return out;
    std::string wrapped("{");
    wrapped.append(out).append("}");
    return wrapped;
}

const char* type_name(int k) { return k == 0 ? "counter" : k == 1 ? "gauge" : "summary"; }

} // namespace

metrics::family& metrics::family_for(std::string_view name, std::string_view help, kind type) {
    if (!valid_name(name, true))
        throw std::invalid_argument("metrics: invalid metric name '" + std::string(name) +
                                    "' (expected [a-zA-Z_:][a-zA-Z0-9_:]*)");
    auto it = _families.find(name);
    if (it == _families.end()) it = _families.emplace(std::string(name), family{type, std::string(help), {}, {}, {}, {}}).first;
    if (it->second.type != type)
        throw std::invalid_argument("metrics: '" + std::string(name) + "' is already registered as a " +
                                    type_name(static_cast<int>(it->second.type)));
    return it->second;
}

namespace {
// One registration path for the three kinds: find or make the labelled child.
template <class T, class Map>
T& child(Map& children, std::map<std::string, metric_labels>& label_sets, const metric_labels& labels) {
    auto key = render(labels);
    label_sets.emplace(key, labels);
    auto& slot = children[key];
    if (!slot) slot = std::make_unique<T>();
    return *slot;
}
} // namespace

counter& metrics::counter(std::string_view name, std::string_view help, const metric_labels& labels) {
    std::lock_guard lock(_mutex);
    auto& f = family_for(name, help, kind::counter);
    return child<coronet::counter>(f.counters, f.label_sets, labels);
}

gauge& metrics::gauge(std::string_view name, std::string_view help, const metric_labels& labels) {
    std::lock_guard lock(_mutex);
    auto& f = family_for(name, help, kind::gauge);
    return child<coronet::gauge>(f.gauges, f.label_sets, labels);
}

histogram_metric& metrics::histogram(std::string_view name, std::string_view help, const metric_labels& labels) {
    std::lock_guard lock(_mutex);
    auto& f = family_for(name, help, kind::histogram);
    return child<histogram_metric>(f.histograms, f.label_sets, labels);
}

void metrics::write_prometheus(std::ostream& out) const {
    std::lock_guard lock(_mutex);
    for (auto& [name, f] : _families) {
        auto exposed = f.type == kind::counter ? name + "_total" : name;
        out << "# HELP " << exposed << ' ' << f.help << '\n';
        out << "# TYPE " << exposed << ' ' << type_name(static_cast<int>(f.type)) << '\n';
        for (auto& [key, c] : f.counters) out << exposed << key << ' ' << c->value() << '\n';
        for (auto& [key, g] : f.gauges) out << exposed << key << ' ' << g->value() << '\n';
        for (auto& [key, h] : f.histograms) {
            auto snap = h->snapshot();
            auto& labels = f.label_sets.at(key);
            for (auto [q, text] : {std::pair{50.0, "0.5"}, {99.0, "0.99"}, {99.9, "0.999"}})
                out << name << render(labels, fmt::format("quantile=\"{}\"", text)) << ' '
                    << fmt::format("{}", snap.percentile(q)) << '\n';
            out << name << "_sum" << key << ' ' << fmt::format("{}", snap.mean() * static_cast<double>(snap.count()))
                << '\n';
            out << name << "_count" << key << ' ' << snap.count() << '\n';
        }
    }
}

} // namespace coronet
