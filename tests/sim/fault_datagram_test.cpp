#include "sim/fault_support.hpp"
#include "transports/test_support.hpp"

#include <coronet/manual_clock.hpp>
#include <coronet/transports/any_datagram.hpp>
#include <coronet/transports/fault/datagram.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <catch2/catch.hpp>

#include <cmath>
#include <deque>
#include <map>

using namespace coronet;
using namespace std::chrono_literals;
using coronet::test::run_until;
using coronet::test::settle;
using coronet::test::make_plan;
using coronet::test::run_coroutine;
namespace asio = boost::asio;

namespace {

const asio::ip::udp::endpoint any_loopback_port(asio::ip::address_v4::loopback(), 0);

/// The next datagram, or nothing if none comes within `bound`: a guard
/// against a hung test, never a timing assertion.
asio::awaitable<std::optional<std::string>> receive_within(udp::socket& s, std::chrono::milliseconds bound = 5s) {
    using namespace asio::experimental::awaitable_operators;
    asio::steady_timer guard(co_await asio::this_coro::executor, bound);
    std::array<char, 2048> buf{};
    asio::ip::udp::endpoint from;
    auto r = co_await (s.async_receive_from(asio::buffer(buf), from, asio::use_awaitable) ||
                       guard.async_wait(asio::use_awaitable));
    if (r.index() == 1) co_return std::nullopt;
    co_return std::string(buf.data(), std::get<0>(r));
}

/// Receives `n` datagrams; fewer if the rest never come.
asio::awaitable<std::vector<std::string>> receive_n(udp::socket& s, std::size_t n) {
    std::vector<std::string> got;
    while (got.size() < n) {
        auto d = co_await receive_within(s);
        if (!d) break;
        got.push_back(std::move(*d));
    }
    co_return got;
}

/// Binomial bounds: `observed` successes out of `trials` at probability `p`,
/// within five standard deviations (a false failure about once in 3.5 million).
bool within_five_sigma(double observed, double trials, double p) {
    double sigma = std::sqrt(trials * p * (1 - p));
    return std::abs(observed - trials * p) <= 5 * sigma;
}

/// Receives into `got` until the socket is closed.
asio::awaitable<void> collect(udp::socket& s, std::vector<std::string>& got) {
    std::array<char, 2048> buf{};
    for (;;) {
        asio::ip::udp::endpoint from;
        auto [ec, n] = co_await s.async_receive_from(asio::buffer(buf), from, asio::as_tuple(asio::use_awaitable));
        if (ec) co_return;
        got.emplace_back(buf.data(), n);
    }
}

} // namespace

TEST_CASE("a fault datagram socket loses about the configured fraction of datagrams", "[sim][fault][udp]") {
    run_coroutine([]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        auto plan = make_plan({.drop = 0.1, .seed = 7});
        fault::datagram_socket a(udp::socket(ex, any_loopback_port), plan);
        udp::socket b(ex, any_loopback_port);
        constexpr std::size_t total = 2000, batch = 50;
        std::size_t received = 0;
        for (std::size_t sent = 0; sent < total; sent += batch) {
            // In batches, so the receiver's kernel buffer never overflows and
            // every loss is the plan's.
            auto lost_before = plan->counts().dropped;
            for (std::size_t i = 0; i < batch; ++i)
                co_await a.async_send_to(asio::buffer(std::to_string(sent + i)), b.local_endpoint());
            auto through = batch - (plan->counts().dropped - lost_before);
            received += (co_await receive_n(b, through)).size();
        }
        auto lost = plan->counts().dropped;
        INFO("lost " << total - received << " of " << total << " (plan says " << lost << ")");
        CHECK(received == total - lost);
        CHECK(within_five_sigma(double(total - received), total, 0.1));
        auto extra = co_await receive_within(b, 50ms);
        CHECK_FALSE(extra); // nothing more in flight
        a.close();
        b.close();
    });
}

TEST_CASE("duplicated datagrams arrive twice and are counted", "[sim][fault][udp]") {
    run_coroutine([]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        auto plan = make_plan({.duplicate = 0.2, .seed = 3});
        fault::datagram_socket a(udp::socket(ex, any_loopback_port), plan);
        udp::socket b(ex, any_loopback_port);
        constexpr int total = 500;
        std::map<std::string, int> copies;
        for (int i = 0; i < total; i += 25) {
            auto dup_before = plan->counts().duplicated;
            for (int j = i; j < i + 25; ++j) co_await a.async_send_to(asio::buffer(std::to_string(j)), b.local_endpoint());
            for (auto& d : co_await receive_n(b, 25 + plan->counts().duplicated - dup_before)) ++copies[d];
        }
        auto duplicated = plan->counts().duplicated;
        std::size_t twice = 0;
        for (auto& [d, n] : copies) {
            CHECK((n == 1 || n == 2));
            twice += n == 2;
        }
        CHECK(copies.size() == total); // every datagram arrived
        CHECK(twice == duplicated);
        CHECK(within_five_sigma(double(duplicated), total, 0.2));
        auto extra = co_await receive_within(b, 50ms);
        CHECK_FALSE(extra);
        a.close();
        b.close();
    });
}

TEST_CASE("a blackholed peer receives nothing, sends nothing through, while others still do",
          "[sim][fault][udp]") {
    run_coroutine([]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        auto plan = make_plan({});
        fault::datagram_socket a(udp::socket(ex, any_loopback_port), plan);
        udp::socket cut(ex, any_loopback_port), fine(ex, any_loopback_port);
        plan->block(cut.local_endpoint());
        for (int i = 0; i < 20; ++i) {
            co_await a.async_send_to(asio::buffer("to cut " + std::to_string(i)), cut.local_endpoint());
            co_await a.async_send_to(asio::buffer("to fine " + std::to_string(i)), fine.local_endpoint());
        }
        auto got = co_await receive_n(fine, 20);
        CHECK(got.size() == 20);
        CHECK(got.front() == "to fine 0");
        auto leaked = co_await receive_within(cut, 50ms);
        CHECK_FALSE(leaked);
        CHECK(plan->counts().blackholed == 20);

        // The other direction: what the cut-off peer sends is discarded.
        co_await cut.async_send_to(asio::buffer(std::string("from cut")), a.local_endpoint());
        co_await fine.async_send_to(asio::buffer(std::string("from fine")), a.local_endpoint());
        std::array<char, 64> buf{};
        asio::ip::udp::endpoint from;
        auto n = co_await a.async_receive_from(asio::buffer(buf), from);
        CHECK(std::string(buf.data(), n) == "from fine");
        CHECK(from == fine.local_endpoint());
        CHECK(plan->counts().blackholed == 21);

        plan->heal();
        co_await a.async_send_to(asio::buffer(std::string("healed")), cut.local_endpoint());
        auto after_heal = co_await receive_within(cut);
        CHECK(after_heal == "healed");
        a.close();
        cut.close();
        fine.close();
    });
}

TEST_CASE("delayed datagrams arrive only once the manual clock passes their delay", "[sim][fault][udp]") {
    manual_clock clk;
    asio::io_context ctx;
    auto plan = make_plan({.delay = 5ms, .jitter = 1ms, .seed = 11});
    fault::datagram_socket a(udp::socket(ctx.get_executor(), any_loopback_port), plan, clk);
    udp::socket b(ctx.get_executor(), any_loopback_port);
    std::vector<std::string> got;
    asio::co_spawn(ctx, collect(b, got), asio::detached);
    int completed = 0;
    std::deque<std::string> payloads; // each must outlive its send
    for (int i = 0; i < 10; ++i)
        a.async_send_to(asio::buffer(payloads.emplace_back(std::to_string(i))), b.local_endpoint(),
                        [&](boost::system::error_code ec, std::size_t n) { completed += !ec && n == 1; });
    settle(ctx);
    CHECK(completed == 10); // sends complete at once, like the kernel queueing them
    CHECK(a.delayed() == 10);
    CHECK(got.empty());
    clk.advance(4999us);
    settle(ctx);
    CHECK(got.empty()); // before the fixed delay nothing is out
    clk.advance(1001us + 1ms);
    CHECK(run_until(ctx, [&] { return got.size() == 10; }));
    CHECK(a.delayed() == 0);
    CHECK(plan->counts().delayed == 10);
    a.close();
    b.close();
    ctx.restart();
    ctx.run();
}

TEST_CASE("a reordered datagram is sent right after the next one, or after the window", "[sim][fault][udp]") {
    manual_clock clk;
    asio::io_context ctx;
    auto plan = make_plan({.reorder = 1, .reorder_window = 20ms});
    fault::datagram_socket a(udp::socket(ctx.get_executor(), any_loopback_port), plan, clk);
    udp::socket b(ctx.get_executor(), any_loopback_port);
    std::vector<std::string> got;
    asio::co_spawn(ctx, collect(b, got), asio::detached);
    std::deque<std::string> payloads; // each must outlive its send
    auto send = [&](std::string s) {
        a.async_send_to(asio::buffer(payloads.emplace_back(std::move(s))), b.local_endpoint(),
                        [](boost::system::error_code, std::size_t) {});
    };
    send("first"); // held back
    settle(ctx);
    CHECK(got.empty());
    plan->change([](fault::settings& s) { s.reorder = 0; });
    send("second");
    CHECK(run_until(ctx, [&] { return got.size() == 2; }));
    CHECK(got == std::vector<std::string>{"second", "first"});

    // With no next datagram, the held one goes out when its window ends.
    plan->change([](fault::settings& s) { s.reorder = 1; });
    send("alone");
    settle(ctx);
    CHECK(got.size() == 2);
    clk.advance(20ms);
    CHECK(run_until(ctx, [&] { return got.size() == 3; }));
    CHECK(got.back() == "alone");
    CHECK(plan->counts().reordered == 2);
    a.close();
    b.close();
    ctx.restart();
    ctx.run();
}

TEST_CASE("changing the plan at run time turns loss on and off", "[sim][fault][udp]") {
    run_coroutine([]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        auto plan = make_plan({.drop = 1});
        // Through any_datagram, as a URL-opened socket would be.
        any_datagram a(fault::datagram_socket(udp::socket(ex, any_loopback_port), plan));
        udp::socket b(ex, any_loopback_port);
        for (int i = 0; i < 10; ++i) {
            auto n = co_await a.async_send_to(asio::buffer("lost " + std::to_string(i)), b.local_endpoint());
            CHECK(n == 6); // a lost datagram's send still succeeds: UDP never tells
        }
        plan->change([](fault::settings& s) { s.drop = 0; });
        for (int i = 0; i < 10; ++i)
            co_await a.async_send_to(asio::buffer("kept " + std::to_string(i)), b.local_endpoint());
        auto got = co_await receive_n(b, 10);
        REQUIRE(got.size() == 10);
        for (int i = 0; i < 10; ++i) CHECK(got[static_cast<std::size_t>(i)] == "kept " + std::to_string(i));
        CHECK(plan->counts().dropped == 10);
        auto extra = co_await receive_within(b, 50ms);
        CHECK_FALSE(extra);
        a.close();
        b.close();
    });
}

TEST_CASE("an oversize datagram still fails with message_size whatever the plan", "[sim][fault][udp]") {
    run_coroutine([]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        fault::datagram_socket a(udp::socket(ex, any_loopback_port, 100), make_plan({.drop = 1}));
        std::vector<char> big(101, 'x');
        auto [ec, n] = co_await a.async_send_to(asio::buffer(big), a.local_endpoint(),
                                                asio::as_tuple(asio::use_awaitable));
        CHECK(ec == asio::error::message_size);
        CHECK(n == 0);
        a.close();
    });
}

TEST_CASE("closing a fault datagram socket drops its delayed datagrams and aborts its receives",
          "[sim][fault][udp]") {
    manual_clock clk;
    asio::io_context ctx;
    fault::datagram_socket a(udp::socket(ctx.get_executor(), any_loopback_port), make_plan({.delay = 1s}), clk);
    udp::socket b(ctx.get_executor(), any_loopback_port);
    const std::string late = "late";
    a.async_send_to(asio::buffer(late), b.local_endpoint(), [](boost::system::error_code, std::size_t) {});
    std::array<char, 8> buf{};
    asio::ip::udp::endpoint from;
    boost::system::error_code receive_ec;
    a.async_receive_from(asio::buffer(buf), from, [&](boost::system::error_code ec, std::size_t) { receive_ec = ec; });
    settle(ctx);
    CHECK(a.delayed() == 1);
    a.close();
    CHECK(a.delayed() == 0);
    CHECK(clk.pending_waits() == 0);
    clk.advance(2s);
    settle(ctx);
    CHECK(receive_ec == asio::error::operation_aborted);
    b.close();
    ctx.restart();
    ctx.run();
}
