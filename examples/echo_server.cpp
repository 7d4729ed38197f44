// The smallest coronet server: echo on any transport, stop on Ctrl-C.
//   build/bin/example_echo_server uring://127.0.0.1:7000
#include <coronet/runtime.hpp>
#include <coronet/transports/echo.hpp>
#include <coronet/transports/endpoint.hpp>

#include <boost/asio/steady_timer.hpp>

#include <iostream>

int main(int argc, char** argv) {
    namespace asio = boost::asio;
    std::string url = argc > 1 ? argv[1] : "tcp://127.0.0.1:7000";
    coronet::runtime rt; // SIGINT/SIGTERM cancel every task; run() returns when they have unwound
    rt.spawn([](std::string url) -> asio::awaitable<void> {
        coronet::echo::server server(coronet::listen(co_await asio::this_coro::executor, url));
        server.start();
        std::cout << "echo server on " << server.url() << " (Ctrl-C stops)" << std::endl;
        try {
            // Park until the runtime cancels us, then stop the server in order.
            asio::steady_timer forever(co_await asio::this_coro::executor, asio::steady_timer::time_point::max());
            co_await forever.async_wait(asio::use_awaitable);
        } catch (const boost::system::system_error&) {
        }
        co_await server.stop();
    }(url));
    rt.run();
}
