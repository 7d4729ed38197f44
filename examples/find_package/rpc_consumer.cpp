// Uses the installed coronet RPC and its code generator from a user's project:
// serves Pinger on an ephemeral loopback port and calls it once.
#include "ping.capnp.coronet.hpp"

#include <coronet/rpc/client.hpp>
#include <coronet/rpc/server.hpp>
#include <coronet/runtime.hpp>
#include <coronet/transports/endpoint.hpp>

#include <iostream>

namespace asio = boost::asio;

struct pinger final : PingerService {
    asio::awaitable<void> ping(Pinger::PingParams::Reader p, Pinger::PingResults::Builder r,
                               coronet::rpc::call_context&) override {
        r.setN(p.getN() + 1);
        co_return;
    }
};

int main() {
    coronet::runtime rt;
    rt.spawn([]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        coronet::rpc::server server(coronet::listen(ex, "tcp://127.0.0.1:0"), std::make_shared<pinger>());
        server.start();
        {
            auto conn = co_await coronet::rpc::connect(server.url());
            auto client = co_await conn.bootstrap_as<PingerClient>();
            auto r = co_await client.ping([](auto p) { p.setN(41); });
            std::cout << "ping 41 -> " << r->getN() << "\n";
            if (r->getN() != 42) throw std::runtime_error("wrong answer");
        }
        co_await server.stop();
    }());
    rt.run();
}
