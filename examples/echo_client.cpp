// The matching client: connect by URL, send a line, print the echo.
//   build/bin/example_echo_client uring://127.0.0.1:7000 "hello"
#include <coronet/runtime.hpp>
#include <coronet/transports/endpoint.hpp>

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <iostream>

int main(int argc, char** argv) {
    namespace asio = boost::asio;
    std::string url = argc > 1 ? argv[1] : "tcp://127.0.0.1:7000";
    std::string text = argc > 2 ? argv[2] : "hello, coronet";
    coronet::runtime rt;
    rt.spawn([](std::string url, std::string text) -> asio::awaitable<void> {
        auto s = co_await coronet::connect(url);
        co_await asio::async_write(s, asio::buffer(text), asio::use_awaitable);
        std::string reply(text.size(), '\0');
        co_await asio::async_read(s, asio::buffer(reply), asio::use_awaitable);
        std::cout << reply << std::endl;
    }(url, text));
    rt.run();
}
