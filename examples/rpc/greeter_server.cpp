// A Cap'n Proto RPC server in coronet: implement the generated base, serve it.
//   build/bin/example_greeter_server tcp://127.0.0.1:7100
// Any Cap'n Proto client can call it (e.g. capnp::EzRpcClient).
#include "greeter.capnp.coronet.hpp"

#include <coronet/rpc/server.hpp>
#include <coronet/runtime.hpp>
#include <coronet/transports/endpoint.hpp>
#include <coronet/until_cancelled.hpp>

#include <iostream>

namespace asio = boost::asio;

class greeter_impl final : public greeter::GreeterService {
    asio::awaitable<void> hello(greeter::Greeter::HelloParams::Reader p, greeter::Greeter::HelloResults::Builder r,
                                coronet::rpc::call_context&) override {
        r.setGreeting(std::string("hello, ") + p.getName().cStr());
        co_return;
    }
    asio::awaitable<void> visit(greeter::Greeter::VisitParams::Reader, greeter::Greeter::VisitResults::Builder,
                                coronet::rpc::call_context&) override {
        ++_visits;
        co_return;
    }
    asio::awaitable<void> visits(greeter::Greeter::VisitsParams::Reader, greeter::Greeter::VisitsResults::Builder r,
                                 coronet::rpc::call_context&) override {
        r.setCount(_visits);
        co_return;
    }
    std::uint64_t _visits = 0;
};

int main(int argc, char** argv) {
    std::string url = argc > 1 ? argv[1] : "tcp://127.0.0.1:7100";
    coronet::runtime rt;
    rt.spawn([](std::string url) -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        coronet::rpc::server server(coronet::listen(ex, url), std::make_shared<greeter_impl>());
        server.start();
        std::cout << "greeter on " << server.url() << " (Ctrl-C stops)" << std::endl;
        co_await coronet::until_cancelled();
        co_await server.stop();
    }(url));
    rt.run();
}
