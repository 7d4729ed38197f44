// The smallest coronet server: echo on any transport, stop on Ctrl-C.
//   build/bin/example_echo_server uring://127.0.0.1:7000
#include <coronet/runtime.hpp>
#include <coronet/until_cancelled.hpp>
#include <coronet/transports/echo.hpp>
#include <coronet/transports/endpoint.hpp>


#include <iostream>

int main(int argc, char** argv) {
    namespace asio = boost::asio;
    std::string url = argc > 1 ? argv[1] : "tcp://127.0.0.1:7000";
    coronet::runtime rt; // SIGINT/SIGTERM cancel every task; run() returns when they have unwound
    rt.spawn([](std::string url) -> asio::awaitable<void> {
        coronet::echo::server server(coronet::listen(co_await asio::this_coro::executor, url));
        server.start();
        std::cout << "echo server on " << server.url() << " (Ctrl-C stops)" << std::endl;
        co_await coronet::until_cancelled(); // Ctrl-C cancels us; then stop in order
        co_await server.stop();
    }(url));
    rt.run();
}
