// An RPC server's /metrics series: what a scrape shows after real calls.
#include "rpc_support.hpp"

#include <coronet/rpc/client.hpp>
#include <coronet/rpc/server_metrics.hpp>

#include <sstream>

using namespace coronet;
using coronet::test::echo_service;
using coronet::test::EchoClient;
namespace asio = boost::asio;

namespace {

const metric_snapshot& series(const std::vector<metric_snapshot>& all, std::string_view name) {
    for (auto& s : all)
        if (s.name == name) return s;
    FAIL("no series " << name);
    throw std::logic_error("unreachable");
}

} // namespace

TEST_CASE("an RPC server's metrics count the calls it answered, the ones that failed, their bytes and durations",
          "[rpc][metrics]") {
    metrics_registry metrics;
    test::run_coroutine([&]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        rpc::server srv(listen(ex, test::loopback("tcp")), std::make_shared<echo_service>());
        rpc::register_metrics(metrics, srv);
        srv.start();
        {
            auto conn = co_await rpc::connect(srv.url());
            auto echo = co_await conn.bootstrap_as<EchoClient>();
            for (int i = 0; i < 5; ++i) {
                auto r = co_await echo.echo([](auto p) { p.setText("metered"); });
                CHECK(std::string(r->getReply().cStr()) == "metered");
            }
            bool failed = false;
            try {
                co_await echo.fail([](auto p) { p.setReason("on purpose"); });
            } catch (const rpc::remote_error&) {
                failed = true;
            }
            CHECK(failed);

            auto now = metrics.snapshot();
            CHECK(series(now, "coronet_rpc_calls_answered").counter_value == 6);
            CHECK(series(now, "coronet_rpc_calls_failed").counter_value == 1);
            CHECK(series(now, "coronet_rpc_calls_unimplemented").counter_value == 0);
            CHECK(series(now, "coronet_rpc_connections").gauge_value == 1);
            CHECK(series(now, "coronet_rpc_connections_accepted").counter_value == 1);
            CHECK(series(now, "coronet_rpc_bytes_in").counter_value > 5 * std::string_view("metered").size());
            CHECK(series(now, "coronet_rpc_messages_out").counter_value >= 7); // 6 Returns and the bootstrap's
            auto& took = series(now, "coronet_rpc_call_duration_ns").summary;
            CHECK(took.count == 6);
            CHECK(took.min > 0);
        }
        // Counts outlive the connection: a closed one is added to the totals.
        for (int i = 0; i < 2000 && srv.connections() > 0; ++i) co_await test::yield();
        co_await srv.stop();
        // Scraped while the server still exists: observed series read it.
        auto after = metrics.snapshot();
        CHECK(series(after, "coronet_rpc_connections").gauge_value == 0);
        CHECK(series(after, "coronet_rpc_calls_answered").counter_value == 6);
        std::ostringstream text;
        metrics.write_prometheus(text);
        CHECK(text.str().find("coronet_rpc_calls_answered_total 6\n") != std::string::npos);
        CHECK(text.str().find("coronet_rpc_call_duration_ns_count 6\n") != std::string::npos);
    });
}
