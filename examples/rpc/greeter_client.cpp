// Calling a Cap'n Proto service three ways: awaitable (async), blocking from a
// plain thread (sync), and one-way messages (fire and forget).
//   build/bin/example_greeter_client tcp://127.0.0.1:7100
#include "greeter.capnp.coronet.hpp"

#include <coronet/rpc/client.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <iostream>
#include <thread>

namespace asio = boost::asio;

int main(int argc, char** argv) try {
    std::string url = argc > 1 ? argv[1] : "tcp://127.0.0.1:7100";
    asio::io_context ctx;
    auto work = asio::make_work_guard(ctx);
    std::thread io([&] { ctx.run(); });

    // Async: a coroutine awaits the call; the thread is free meanwhile.
    auto [connection, hello] = asio::co_spawn(ctx, [url]() -> asio::awaitable<std::pair<coronet::rpc::connection, std::string>> {
        auto conn = co_await coronet::rpc::connect(url);
        auto greeter = co_await conn.bootstrap_as<greeter::GreeterClient>();
        auto r = co_await greeter.hello([](auto p) { p.setName("awaitable world"); });
        co_return std::pair{std::move(conn), std::string(r->getGreeting().cStr())};
    }(), asio::use_future).get();
    std::cout << hello << "\n";
    auto conn = std::move(connection); // a named variable: lambdas below capture it

    // Sync: the same call, blocking this (plain) thread until the Return.
    auto greeter = asio::co_spawn(ctx, conn.bootstrap_as<greeter::GreeterClient>(), asio::use_future).get();
    auto r = greeter.hello_blocking([](auto p) { p.setName("blocking world"); });
    std::cout << r->getGreeting().cStr() << "\n";

    // One-way: three visits posted without waiting for anything back.
    asio::co_spawn(ctx, [url]() -> asio::awaitable<void> {
        auto m = co_await coronet::rpc::connect_messenger(url);
        for (int i = 0; i < 3; ++i) co_await greeter::GreeterClient::post_visit(m, [](auto p) { p.setName("me"); });
    }(), asio::use_future).get();
    // Messages are not ordered against calls on another connection: poll.
    std::uint64_t visits = 0;
    for (int i = 0; i < 100 && visits < 3; ++i, std::this_thread::sleep_for(std::chrono::milliseconds(10)))
        visits = greeter.visits_blocking()->getCount();
    std::cout << "visits seen by the server: " << visits << "\n";

    asio::co_spawn(ctx, [&]() -> asio::awaitable<void> {
        greeter = {};
        conn.close();
        co_return;
    }(), asio::use_future).get();
    work.reset();
    io.join();
    return visits >= 3 ? 0 : 1;
} catch (const std::exception& e) {
    std::cerr << "greeter client: " << e.what() << "\n";
    return 1;
}
