// Reproducer: a coronet::timer on virtual time (sim://) ignores per-operation
// cancellation. A coroutine waiting 5 s is cancelled (terminal) after 1 ms;
// the wait still ends after 5000 ms with success. With the real clock the
// same wait ends at once with operation_aborted. See README.md here.
//
// From the repository root, with the fuzz tree built (any tree's libraries do):
//   clang++ -std=c++20 -g -fsanitize=address,undefined,fuzzer-no-link -fno-sanitize=function \
//     -DSPDLOG_COMPILED_LIB -DSPDLOG_FMT_EXTERNAL -DSPDLOG_SHARED_LIB -DFMT_SHARED \
//     -Iframework/include -Itransports/include rpc/fuzz/crashes/sim_timer_cancellation_probe.cpp \
//     build-fuzz/transports/libcoronet_transports.a build-fuzz/framework/libcoronet_framework.a \
//     -lboost_system -lspdlog -lfmt -luring -lpthread -o /tmp/sim_timer_probe && /tmp/sim_timer_probe
// prints
//   emitting terminal cancellation at 1 ms
//   timer wait ended after 5000 ms: Success
#include <coronet/clock.hpp>
#include <coronet/timer.hpp>
#include <coronet/transports/sim/network.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/this_coro.hpp>
#include <cstdio>
using namespace coronet;
namespace asio = boost::asio;
using namespace std::chrono_literals;
asio::awaitable<void> sleeper(time_point start, coronet::clock* c) {
    auto ex = co_await asio::this_coro::executor;
    coronet::timer t(ex, clock_of(ex));
    t.expires_at(clock_of(ex).now() + 5s);
    auto [ec] = co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    std::printf("timer wait ended after %lld ms: %s\n",
                (long long)std::chrono::duration_cast<std::chrono::milliseconds>(c->now() - start).count(), ec.message().c_str());
}
int main() {
    sim::network net;
    auto& n = net.add_node("a");
    asio::cancellation_signal sig;
    auto start = net.now();
    asio::co_spawn(n.get_executor(), sleeper(start, &net.clock()), asio::bind_cancellation_slot(sig.slot(), [](std::exception_ptr) {}));
    net.run_for(1ms);
    std::printf("emitting terminal cancellation at %lld ms\n", (long long)std::chrono::duration_cast<std::chrono::milliseconds>(net.now() - start).count());
    sig.emit(asio::cancellation_type::terminal);
    net.run();
}
