#include "sim/fault_support.hpp"
#include "transports/test_support.hpp"

#include <coronet/manual_clock.hpp>
#include <coronet/transports/any_stream.hpp>
#include <coronet/transports/fault/stream.hpp>
#include <coronet/transports/tcp/stream.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>

#include <deque>
#include <functional>

using namespace coronet;
using namespace std::chrono_literals;
using coronet::test::run_until;
using coronet::test::settle;
using coronet::test::make_plan;
using coronet::test::is_reset_or_eof;
namespace asio = boost::asio;
using boost::system::error_code;

static_assert(coronet::stream<fault::stream>);

namespace {

/// A connected loopback TCP pair: {client, server}.
std::pair<tcp::stream, tcp::stream> tcp_pair(asio::io_context& ctx) {
    asio::ip::tcp::acceptor acceptor(ctx, {asio::ip::address_v4::loopback(), 0});
    asio::ip::tcp::socket client(ctx), server(ctx);
    client.connect(acceptor.local_endpoint());
    acceptor.accept(server);
    client.set_option(asio::ip::tcp::no_delay(true));
    server.set_option(asio::ip::tcp::no_delay(true));
    return {tcp::stream(std::move(client)), tcp::stream(std::move(server))};
}

/// What a reader saw: the bytes, and the error that ended it.
struct received {
    std::string bytes;
    error_code end;
    bool ended = false;
};

/// Reads into `r` until an error (eof included).
template <class S>
asio::awaitable<void> read_all(S& s, received& r) {
    std::array<char, 4096> buf{};
    for (;;) {
        auto [ec, n] = co_await s.async_read_some(asio::buffer(buf), asio::as_tuple(asio::use_awaitable));
        r.bytes.append(buf.data(), n);
        if (ec) {
            r.end = ec;
            r.ended = true;
            co_return;
        }
    }
}

/// Completion handler recording a write's result.
struct write_result {
    error_code ec;
    std::size_t n = 0;
    bool done = false;
    auto handler() {
        return [this](error_code e, std::size_t k) {
            ec = e;
            n = k;
            done = true;
        };
    }
};

} // namespace

TEST_CASE("a fault stream without faults passes bytes straight through, also as an any_stream",
          "[sim][fault][stream]") {
    asio::io_context ctx;
    auto [client, server] = tcp_pair(ctx);
    auto peer = client.remote_endpoint();
    auto plan = make_plan({});
    any_stream s(fault::stream(std::move(client), plan));
    CHECK(s.remote_endpoint() == peer);
    received r;
    asio::co_spawn(ctx, read_all(server, r), asio::detached);
    const std::string hello = "hello over a fault stream";
    write_result w;
    asio::async_write(s, asio::buffer(hello), w.handler());
    CHECK(run_until(ctx, [&] { return w.done && r.bytes.size() == hello.size(); }));
    CHECK(!w.ec);
    CHECK(r.bytes == hello);
    s.close();
    CHECK(run_until(ctx, [&] { return r.ended; }));
    CHECK(r.end == asio::error::eof);
    server.close();
    ctx.restart();
    ctx.run();
}

TEST_CASE("reset_after delivers exactly that many bytes, then both ends see the connection reset",
          "[sim][fault][stream]") {
    asio::io_context ctx;
    auto [client, server] = tcp_pair(ctx);
    auto plan = make_plan({.reset_after = 4096});
    fault::stream s(std::move(client), plan);
    received r;
    asio::co_spawn(ctx, read_all(server, r), asio::detached);
    std::string data(10000, 'x');
    write_result w;
    asio::async_write(s, asio::buffer(data), w.handler());
    CHECK(run_until(ctx, [&] { return w.done && r.ended; }));
    CHECK(w.ec == asio::error::connection_reset);
    CHECK(w.n == 4096);
    INFO("the peer read " << r.bytes.size() << " bytes, then " << r.end.message());
    CHECK(r.bytes.size() <= 4096);
    CHECK(is_reset_or_eof(r.end));
    CHECK(plan->counts().resets == 1);
    // Later operations on the reset end fail the same way.
    std::array<char, 8> buf{};
    error_code read_ec;
    s.async_read_some(asio::buffer(buf), [&](error_code ec, std::size_t) { read_ec = ec; });
    CHECK(run_until(ctx, [&] { return bool(read_ec); }));
    CHECK(read_ec == asio::error::connection_reset);
    s.close();
    server.close();
    ctx.restart();
    ctx.run();
}

TEST_CASE("a reset drawn for a write aborts the connection and the peer's read fails", "[sim][fault][stream]") {
    asio::io_context ctx;
    auto [client, server] = tcp_pair(ctx);
    auto plan = make_plan({.reset = 1});
    fault::stream s(std::move(client), plan);
    received r;
    asio::co_spawn(ctx, read_all(server, r), asio::detached);
    const std::string data = "never sent";
    write_result w;
    s.async_write_some(asio::buffer(data), w.handler());
    CHECK(run_until(ctx, [&] { return w.done && r.ended; }));
    CHECK(w.ec == asio::error::connection_reset);
    CHECK(w.n == 0);
    CHECK(r.bytes.empty());
    CHECK(r.end == asio::error::connection_reset); // an RST, not a FIN
    CHECK(s.is_open()); // reset is not closed: the owner still closes it
    s.close();
    CHECK_FALSE(s.is_open());
    server.close();
    ctx.restart();
    ctx.run();
}

TEST_CASE("delayed stream writes arrive only once the manual clock passes the delay, in order",
          "[sim][fault][stream]") {
    manual_clock clk;
    asio::io_context ctx;
    auto [client, server] = tcp_pair(ctx);
    auto plan = make_plan({.delay = 20ms, .jitter = 5ms, .seed = 5});
    fault::stream s(std::move(client), plan, clk);
    received r;
    asio::co_spawn(ctx, read_all(server, r), asio::detached);
    const std::array<std::string, 3> parts{"one,", "two,", "three"};
    int completed = 0;
    for (auto& p : parts) s.async_write_some(asio::buffer(p), [&](error_code ec, std::size_t) { completed += !ec; });
    settle(ctx);
    CHECK(completed == 3); // held-back writes complete at once, like a send buffer
    CHECK(s.queued() == 13);
    CHECK(r.bytes.empty());
    clk.advance(19ms);
    settle(ctx);
    CHECK(r.bytes.empty()); // jitter only adds: nothing is due before the fixed delay
    clk.advance(11ms);      // past delay + jitter for all three
    CHECK(run_until(ctx, [&] { return r.bytes.size() == 13; }));
    CHECK(r.bytes == "one,two,three"); // jitter never reorders a byte stream
    CHECK(s.queued() == 0);
    s.close();
    CHECK(run_until(ctx, [&] { return r.ended; }));
    server.close();
    ctx.restart();
    ctx.run();
}

TEST_CASE("drop on a stream stalls writes by the rto and never corrupts the byte stream",
          "[sim][fault][stream]") {
    manual_clock clk;
    asio::io_context ctx;
    auto [client, server] = tcp_pair(ctx);
    auto plan = make_plan({.drop = 0.5, .rto = 200ms, .seed = 9});
    fault::stream s(std::move(client), plan, clk);
    received r;
    asio::co_spawn(ctx, read_all(server, r), asio::detached);
    std::string expected;
    std::deque<std::string> writes; // each must outlive its write
    for (int i = 0; i < 200; ++i) {
        // Appended piece by piece: GCC 12 -O3 warns falsely (-Wrestrict) on "<" + s.
        auto& w = writes.emplace_back(1, '<');
        w += std::to_string(i);
        w += '>';
        expected += w;
    }
    // One write at a time, as the stream contract asks; each completes at once.
    std::size_t next = 0;
    std::function<void(error_code, std::size_t)> write_next = [&](error_code ec, std::size_t n) {
        if (ec || next == writes.size()) return;
        auto& w = writes[next++];
        asio::async_write(s, asio::buffer(w), write_next);
    };
    write_next({}, 0);
    CHECK(run_until(ctx, [&] { return next == writes.size(); }));
    // Time moves in rto steps until everything is through (bounded).
    for (int step = 0; step < 400 && r.bytes.size() < expected.size(); ++step) {
        clk.advance(200ms);
        run_until(ctx, [&] { return r.bytes.size() == expected.size(); }, 20ms);
    }
    CHECK(r.bytes == expected);
    auto stalled = plan->counts().stalled;
    CHECK(stalled > 50); // about half of 200
    CHECK(stalled < 150);
    s.close();
    CHECK(run_until(ctx, [&] { return r.ended; }));
    server.close();
    ctx.restart();
    ctx.run();
}

TEST_CASE("a blackholed stream peer sees nothing until healed, then gets every byte in order",
          "[sim][fault][stream]") {
    manual_clock clk;
    asio::io_context ctx;
    auto [client, server] = tcp_pair(ctx);
    auto plan = make_plan({});
    plan->block(client.remote_endpoint()); // cut the cable
    fault::stream s(std::move(client), plan, clk);
    received at_server, at_client;
    asio::co_spawn(ctx, read_all(server, at_server), asio::detached);
    asio::co_spawn(ctx, read_all(s, at_client), asio::detached);
    const std::string request = "request", reply = "reply";
    write_result w, back;
    s.async_write_some(asio::buffer(request), w.handler());
    asio::async_write(server, asio::buffer(reply), back.handler());
    settle(ctx);
    CHECK(w.done); // the write "succeeds", as into a send buffer
    CHECK(w.n == request.size());
    CHECK(at_server.bytes.empty());
    CHECK(at_client.bytes.empty()); // the reply sits behind the cut, unread
    clk.advance(fault::stream::poll_interval * 3);
    settle(ctx);
    CHECK(at_server.bytes.empty()); // still cut: time alone does not heal
    CHECK(at_client.bytes.empty());

    plan->heal();
    clk.advance(fault::stream::poll_interval);
    CHECK(run_until(ctx, [&] { return at_server.bytes == request && at_client.bytes == reply; }));
    s.close();
    server.close();
    ctx.restart();
    ctx.run();
}

TEST_CASE("closing a fault stream sends its queued bytes before the FIN", "[sim][fault][stream]") {
    manual_clock clk;
    asio::io_context ctx;
    auto [client, server] = tcp_pair(ctx);
    auto s = std::make_unique<fault::stream>(std::move(client), make_plan({.delay = 10ms}), clk);
    received r;
    asio::co_spawn(ctx, read_all(server, r), asio::detached);
    const std::string bye = "bye";
    s->async_write_some(asio::buffer(bye), [](error_code, std::size_t) {});
    settle(ctx);
    s.reset(); // destroyed, like close(): the queued bytes linger
    settle(ctx);
    CHECK(r.bytes.empty());
    CHECK_FALSE(r.ended);
    clk.advance(10ms);
    CHECK(run_until(ctx, [&] { return r.ended; }));
    CHECK(r.bytes == "bye");
    CHECK(r.end == asio::error::eof);
    server.close();
    ctx.restart();
    ctx.run();
}

TEST_CASE("a read waiting behind a partition ends with operation_aborted when cancelled",
          "[sim][fault][stream]") {
    manual_clock clk;
    asio::io_context ctx;
    auto [client, server] = tcp_pair(ctx);
    auto plan = make_plan({});
    plan->block(fault::peer{client.remote_endpoint().address()}); // every port of the host
    fault::stream s(std::move(client), plan, clk);
    std::array<char, 16> buf{};

    error_code by_cancel;
    s.async_read_some(asio::buffer(buf), [&](error_code ec, std::size_t) { by_cancel = ec; });
    settle(ctx);
    s.cancel();
    CHECK(run_until(ctx, [&] { return bool(by_cancel); }));
    CHECK(by_cancel == asio::error::operation_aborted);

    // Through the handler's cancellation slot, as when_any and deadlines do.
    asio::cancellation_signal signal;
    error_code by_slot;
    s.async_read_some(asio::buffer(buf),
                      asio::bind_cancellation_slot(signal.slot(), [&](error_code ec, std::size_t) { by_slot = ec; }));
    settle(ctx);
    signal.emit(asio::cancellation_type::terminal);
    CHECK(run_until(ctx, [&] { return bool(by_slot); }));
    CHECK(by_slot == asio::error::operation_aborted);

    // Nothing was lost: once healed, a byte sent meanwhile is read.
    const std::string one = "!";
    asio::write(server.socket(), asio::buffer(one));
    plan->heal();
    std::size_t got = 0;
    s.async_read_some(asio::buffer(buf), [&](error_code ec, std::size_t n) { got = ec ? 0 : n; });
    CHECK(run_until(ctx, [&] { return got == 1; }));
    CHECK(buf[0] == '!');
    s.close();
    server.close();
    ctx.restart();
    ctx.run();
}
