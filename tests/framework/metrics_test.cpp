#include <coronet/metrics.hpp>

#include <catch2/catch.hpp>

#include <cctype>
#include <cmath>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace coronet;

namespace {

std::string prometheus_text(const metrics_registry& registry) {
    std::ostringstream out;
    registry.write_prometheus(out);
    return out.str();
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

struct sample {
    std::string name;
    metric_labels labels; // unescaped
    double value = 0;
};

// A strict reader for one sample line, `name{label="value",...} value`, as a
// scraper sees it; nullopt for anything malformed.
std::optional<sample> parse_sample(const std::string& line) {
    sample out;
    std::size_t i = 0;
    auto name_char = [&](bool first) {
        char c = line[i];
        auto u = static_cast<unsigned char>(c);
        return std::isalpha(u) || c == '_' || c == ':' || (!first && std::isdigit(u));
    };
    while (i < line.size() && name_char(out.name.empty())) out.name.push_back(line[i++]);
    if (out.name.empty() || i == line.size()) return std::nullopt;
    if (line[i] == '{') {
        ++i;
        while (i < line.size() && line[i] != '}') {
            std::string label, value;
            while (i < line.size() && line[i] != '=') label.push_back(line[i++]);
            if (label.empty() || line.compare(i, 2, "=\"") != 0) return std::nullopt;
            for (i += 2; i < line.size() && line[i] != '"'; ++i) {
                if (line[i] != '\\') {
                    value.push_back(line[i]);
                    continue;
                }
                char escaped = ++i < line.size() ? line[i] : '?';
                if (escaped == 'n') value.push_back('\n');
                else if (escaped == '\\' || escaped == '"') value.push_back(escaped);
                else return std::nullopt;
            }
            if (i++ == line.size()) return std::nullopt; // the closing quote
            out.labels.emplace_back(std::move(label), std::move(value));
            if (i < line.size() && line[i] == ',') ++i;
        }
        if (i++ == line.size()) return std::nullopt; // the closing brace
    }
    if (i == line.size() || line[i] != ' ') return std::nullopt;
    auto value = line.substr(i + 1);
    std::size_t used = 0;
    out.value = std::stod(value, &used); // accepts "NaN", as Prometheus does
    if (used != value.size()) return std::nullopt;
    return out;
}

} // namespace

TEST_CASE("the same name and labels return the same metric object", "[metrics]") {
    metrics_registry registry;
    auto& a = registry.counter("rpc_calls", "Calls.", {{"method", "echo"}, {"transport", "tcp"}});
    auto& b = registry.counter("rpc_calls", "Calls.", {{"transport", "tcp"}, {"method", "echo"}});
    auto& c = registry.counter("rpc_calls", "Calls.", {{"method", "put"}, {"transport", "tcp"}});
    auto& d = registry.counter("rpc_calls_total", "Calls.", {{"method", "echo"}, {"transport", "tcp"}});
    CHECK(&a == &b); // label order does not matter
    CHECK(&a != &c);
    CHECK(&a == &d); // "_total" is how the counter is written, not a different counter
    for (int i = 0; i < 100; ++i) registry.counter("filler_" + std::to_string(i), "Filler.").inc();
    CHECK(&registry.counter("rpc_calls", "Calls.", {{"method", "echo"}, {"transport", "tcp"}}) == &a); // stable
    CHECK(&registry.gauge("depth", "Depth.") == &registry.gauge("depth", "Depth."));
    CHECK(&registry.histogram("rtt_ns", "RTT.") == &registry.histogram("rtt_ns", "RTT."));
}

TEST_CASE("counters, gauges and histogram metrics are exact under concurrent updates", "[metrics]") {
    metrics_registry registry;
    auto& c = registry.counter("events", "Events.");
    auto& g = registry.gauge("depth", "Queue depth.");
    auto& h = registry.histogram("latency_ns", "Latency.");
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < 10'000; ++i) {
                c.inc();
                g.inc();
                g.dec();
                h.record(static_cast<std::uint64_t>(t * 1000 + i % 100));
            }
        });
    for (auto& t : threads) t.join();
    CHECK(c.value() == 40'000);
    CHECK(g.value() == 0);
    auto snap = h.snapshot();
    CHECK(snap.count() == 40'000);
    CHECK(snap.min() == 0);
    CHECK(snap.max() == 3099);
}

TEST_CASE("metrics are written in the Prometheus text format", "[metrics]") {
    metrics_registry registry;
    registry.counter("bytes_sent", "Bytes sent.", {{"transport", "tcp"}}).inc(42);
    registry.counter("bytes_sent", "Bytes sent.", {{"transport", "udp"}}).inc(7);
    registry.gauge("connections", "Open connections.").set(-3);
    auto& rtt = registry.histogram("rtt_ns", "Round trip.\nIn \\ns.", {{"peer", "b"}});
    for (std::uint64_t v = 1; v <= 1000; ++v) rtt.record(v);
    registry.histogram("rtt_ns", "Round trip.\nIn \\ns.", {{"peer", "a"}}); // registered, never recorded
    auto text = prometheus_text(registry);
    // 1..1000 recorded: p50 is 500, whose bucket [500, 503] reports 503; p99 is
    // 990 (bucket [984, 991]); p99.9 is 999 (bucket [992, 999]).
    CHECK(text ==
          "# HELP bytes_sent_total Bytes sent.\n"
          "# TYPE bytes_sent_total counter\n"
          "bytes_sent_total{transport=\"tcp\"} 42\n"
          "bytes_sent_total{transport=\"udp\"} 7\n"
          "# HELP connections Open connections.\n"
          "# TYPE connections gauge\n"
          "connections -3\n"
          "# HELP rtt_ns Round trip.\\nIn \\\\ns.\n"
          "# TYPE rtt_ns summary\n"
          "rtt_ns{peer=\"a\",quantile=\"0.5\"} NaN\n"
          "rtt_ns{peer=\"a\",quantile=\"0.99\"} NaN\n"
          "rtt_ns{peer=\"a\",quantile=\"0.999\"} NaN\n"
          "rtt_ns_sum{peer=\"a\"} 0\n"
          "rtt_ns_count{peer=\"a\"} 0\n"
          "rtt_ns{peer=\"b\",quantile=\"0.5\"} 503\n"
          "rtt_ns{peer=\"b\",quantile=\"0.99\"} 991\n"
          "rtt_ns{peer=\"b\",quantile=\"0.999\"} 999\n"
          "rtt_ns_sum{peer=\"b\"} 500500\n"
          "rtt_ns_count{peer=\"b\"} 1000\n");

    // Read it back as a scraper would: HELP then TYPE name a family before any
    // of its samples, and every sample line parses.
    std::map<std::string, std::string> type_of;
    std::string current;
    std::vector<sample> samples;
    for (auto& line : lines_of(text)) {
        INFO(line);
        if (line.rfind("# HELP ", 0) == 0) {
            current = line.substr(7, line.find(' ', 7) - 7);
        } else if (line.rfind("# TYPE ", 0) == 0) {
            auto rest = line.substr(7);
            REQUIRE(rest.substr(0, rest.find(' ')) == current);
            type_of[current] = rest.substr(rest.find(' ') + 1);
        } else {
            auto parsed = parse_sample(line);
            REQUIRE(parsed);
            CHECK(parsed->name.rfind(current, 0) == 0); // a sample of the current family
            samples.push_back(*parsed);
        }
    }
    CHECK(type_of == std::map<std::string, std::string>{
                         {"bytes_sent_total", "counter"}, {"connections", "gauge"}, {"rtt_ns", "summary"}});
    REQUIRE(samples.size() == 13);
    CHECK(samples[1].name == "bytes_sent_total");
    CHECK(samples[1].labels == metric_labels{{"transport", "udp"}});
    CHECK(samples[1].value == 7);
    CHECK(samples[2].value == -3);
    CHECK(samples[3].labels == metric_labels{{"peer", "a"}, {"quantile", "0.5"}});
    CHECK(std::isnan(samples[3].value));
    CHECK(samples[12].name == "rtt_ns_count");
    CHECK(samples[12].value == 1000);
}

TEST_CASE("label values and help text are escaped in the exposition", "[metrics]") {
    metrics_registry registry;
    registry.counter("odd", "Back\\slash", {{"path", "a\"b\\c\nd"}}).inc();
    auto lines = lines_of(prometheus_text(registry));
    REQUIRE(lines.size() == 3);
    CHECK(lines[0] == "# HELP odd_total Back\\\\slash");
    CHECK(lines[2] == "odd_total{path=\"a\\\"b\\\\c\\nd\"} 1");
    auto parsed = parse_sample(lines[2]); // and unescaping gives the value back
    REQUIRE(parsed);
    CHECK(parsed->labels == metric_labels{{"path", "a\"b\\c\nd"}});
}

TEST_CASE("invalid names, reserved labels and clashes are rejected with a clear message", "[metrics]") {
    metrics_registry registry;
    using Catch::Contains;
    CHECK_THROWS_AS(registry.counter("", "x"), std::invalid_argument);
    CHECK_THROWS_WITH(registry.counter("9lives", "x"), Contains("invalid metric name '9lives'"));
    CHECK_THROWS_WITH(registry.gauge("has space", "x"), Contains("invalid metric name 'has space'"));
    CHECK_THROWS_WITH(registry.histogram("dash-ed", "x"), Contains("[a-zA-Z_:][a-zA-Z0-9_:]*"));
    CHECK_NOTHROW(registry.gauge("ns:subsystem_ok_1", "x")); // colons are legal in metric names
    CHECK_THROWS_WITH(registry.gauge("g", "x", {{"bad-label", "v"}}), Contains("label 'bad-label'"));
    CHECK_THROWS_WITH(registry.gauge("g", "x", {{"a:b", "v"}}), Contains("not a valid label name"));
    CHECK_THROWS_WITH(registry.gauge("g", "x", {{"__name__", "v"}}), Contains("reserved"));
    CHECK_THROWS_WITH(registry.histogram("h", "x", {{"quantile", "v"}}), Contains("reserved"));
    CHECK_THROWS_WITH(registry.gauge("g", "x", {{"a", "1"}, {"a", "2"}}), Contains("given twice"));

    registry.counter("taken", "x");
    CHECK_THROWS_WITH(registry.gauge("taken", "x"), Contains("already registered as a counter, not a gauge"));
    CHECK_THROWS_WITH(registry.counter("taken", "other help"), Contains("already registered with help"));
    CHECK_THROWS_WITH(registry.gauge("taken_total", "x"), Contains("'taken_total'")); // counter writes that name
    registry.histogram("rtt", "x");
    CHECK_THROWS_WITH(registry.gauge("rtt_count", "x"), Contains("as 'rtt' already does"));
    // Nothing half-registered is left behind by the failures.
    CHECK(registry.snapshot().size() == 3);
}

TEST_CASE("a snapshot is plain data that matches the metrics", "[metrics]") {
    metrics_registry registry;
    registry.gauge("queue_depth", "Depth.", {{"shard", "1"}}).set(12);
    registry.counter("requests", "Requests.").inc(5);
    auto& h = registry.histogram("service_ns", "Service time.");
    h.record(100);
    h.record_n(2000, 3);

    auto snap = registry.snapshot();
    REQUIRE(snap.size() == 3);
    CHECK(snap[0].name == "queue_depth");
    CHECK(snap[0].kind == metric_kind::gauge);
    CHECK(snap[0].labels == metric_labels{{"shard", "1"}});
    CHECK(snap[0].gauge_value == 12);
    CHECK(snap[1].name == "requests");
    CHECK(snap[1].help == "Requests.");
    CHECK(snap[1].kind == metric_kind::counter);
    CHECK(snap[1].counter_value == 5);
    CHECK(snap[2].kind == metric_kind::histogram);
    CHECK(snap[2].summary.count == 4);
    CHECK(snap[2].summary.sum == 6100);
    CHECK(snap[2].summary.min == 100);
    CHECK(snap[2].summary.max == 2000);
    CHECK(snap[2].summary.p50 == 2000); // clamped to max: the bucket is [2000, 2015]
}

TEST_CASE("observed series are read from their component at every scrape", "[metrics]") {
    metrics_registry registry;
    std::uint64_t handled = 3;
    std::int64_t term = 7;
    registry.observe_counter("requests", "Requests handled.", {{"node", "1"}}, [&] { return handled; });
    registry.observe_gauge("raft_term", "The current term.", {}, [&] { return term; });
    registry.counter("requests", "Requests handled.", {{"node", "2"}}).inc(5);

    auto text = prometheus_text(registry);
    CHECK(text.find("requests_total{node=\"1\"} 3\n") != std::string::npos);
    CHECK(text.find("requests_total{node=\"2\"} 5\n") != std::string::npos);
    CHECK(text.find("raft_term 7\n") != std::string::npos);

    handled = 40;
    term = -2;
    text = prometheus_text(registry);
    CHECK(text.find("requests_total{node=\"1\"} 40\n") != std::string::npos);
    CHECK(text.find("raft_term -2\n") != std::string::npos);
    auto snap = registry.snapshot();
    REQUIRE(snap.size() == 3);
    CHECK(snap[0].name == "raft_term");
    CHECK(snap[0].gauge_value == -2);
}

TEST_CASE("an observed series cannot take the place of another series", "[metrics]") {
    metrics_registry registry;
    registry.counter("hits", "Hits.");
    registry.observe_gauge("depth", "Depth.", {}, [] { return std::int64_t{1}; });
    CHECK_THROWS_WITH(registry.observe_counter("hits", "Hits.", {}, [] { return std::uint64_t{1}; }),
                      Catch::Contains("already registered"));
    CHECK_THROWS_WITH(registry.observe_gauge("depth", "Depth.", {}, [] { return std::int64_t{2}; }),
                      Catch::Contains("already registered as observed"));
    CHECK_THROWS_WITH(registry.gauge("depth", "Depth."), Catch::Contains("already registered as observed"));
    CHECK_THROWS_WITH(registry.observe_gauge("other", "Other.", {}, {}), Catch::Contains("no read function"));
    CHECK(registry.snapshot().size() == 2);
}
