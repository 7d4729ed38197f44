#include <coronet/metrics.hpp>

#include <catch2/catch.hpp>

#include <sstream>
#include <thread>

using namespace coronet;

TEST_CASE("metrics return the same counter for the same name and labels", "[metrics]") {
    metrics m;
    auto& a = m.counter("rpc_calls", "calls", {{"method", "echo"}});
    auto& b = m.counter("rpc_calls", "calls", {{"method", "echo"}});
    auto& c = m.counter("rpc_calls", "calls", {{"method", "put"}});
    CHECK(&a == &b);
    CHECK(&a != &c);
}

TEST_CASE("counters and gauges count correctly from several threads", "[metrics]") {
    metrics m;
    auto& c = m.counter("events", "events");
    auto& g = m.gauge("depth", "queue depth");
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < 10000; ++i) {
                c.inc();
                g.add(1);
                g.add(-1);
            }
        });
    for (auto& t : threads) t.join();
    CHECK(c.value() == 40000);
    CHECK(g.value() == 0);
}

TEST_CASE("metrics are written in the Prometheus text format", "[metrics]") {
    metrics m;
    m.counter("bytes_sent", "Bytes sent.", {{"transport", "tcp"}}).inc(42);
    m.gauge("connections", "Open connections.").set(3);
    auto& h = m.histogram("rtt_ns", "Round trip.");
    for (std::uint64_t v = 1; v <= 100; ++v) h.record(v);
    std::ostringstream out;
    m.write_prometheus(out);
    CHECK(out.str() ==
          "# HELP bytes_sent_total Bytes sent.\n"
          "# TYPE bytes_sent_total counter\n"
          "bytes_sent_total{transport=\"tcp\"} 42\n"
          "# HELP connections Open connections.\n"
          "# TYPE connections gauge\n"
          "connections 3\n"
          "# HELP rtt_ns Round trip.\n"
          "# TYPE rtt_ns summary\n"
          "rtt_ns{quantile=\"0.5\"} 50\n"
          "rtt_ns{quantile=\"0.99\"} 99\n"
          "rtt_ns{quantile=\"0.999\"} 100\n"
          "rtt_ns_sum 5050\n"
          "rtt_ns_count 100\n");
}

TEST_CASE("invalid metric names, label names and type clashes are rejected clearly", "[metrics]") {
    metrics m;
    CHECK_THROWS_WITH(m.counter("9lives", "x"), Catch::Contains("invalid metric name '9lives'"));
    CHECK_THROWS_WITH(m.counter("has space", "x"), Catch::Contains("invalid metric name"));
    CHECK_THROWS_WITH(m.gauge("ok", "x", {{"bad-label", "v"}}), Catch::Contains("invalid label name 'bad-label'"));
    m.counter("taken", "x");
    CHECK_THROWS_WITH(m.gauge("taken", "x"), Catch::Contains("already registered as a counter"));
}

TEST_CASE("label values are escaped in the exposition", "[metrics]") {
    metrics m;
    m.counter("odd", "x", {{"path", "a\"b\\c\nd"}}).inc();
    std::ostringstream out;
    m.write_prometheus(out);
    CHECK_THAT(out.str(), Catch::Contains("odd_total{path=\"a\\\"b\\\\c\\nd\"} 1"));
}
