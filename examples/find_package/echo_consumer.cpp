// Links coronet from an installed package: starts an echo server on an
// ephemeral loopback port, does one round trip, stops cleanly.
#include <coronet/runtime.hpp>
#include <coronet/transports/echo.hpp>
#include <coronet/transports/endpoint.hpp>

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <iostream>

int main() {
    namespace asio = boost::asio;
    coronet::runtime rt;
    rt.spawn([]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        coronet::echo::server server(coronet::listen(ex, "tcp://127.0.0.1:0"));
        server.start();
        auto client = co_await coronet::connect(server.url());
        std::string out = "hello from a find_package(coronet) project", in(out.size(), '\0');
        co_await asio::async_write(client, asio::buffer(out), asio::use_awaitable);
        co_await asio::async_read(client, asio::buffer(in), asio::use_awaitable);
        std::cout << "echoed: " << in << "\n";
        co_await server.stop();
        if (in != out) throw std::runtime_error("echo mismatch");
    }());
    rt.run();
}
