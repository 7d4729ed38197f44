#pragma once
// The Cap'n Proto echo service of `echo serve --rpc` and the demo's RPC row:
// bytes in, the same bytes back (demo_echo.capnp).

#include "demo_echo.capnp.coronet.hpp"

namespace coronet::cli {

class echo_rpc_service final : public demo_schema::DemoEchoService {
    asio::awaitable<void> echo(demo_schema::DemoEcho::EchoParams::Reader p,
                               demo_schema::DemoEcho::EchoResults::Builder r, rpc::call_context&) override {
        r.setData(p.getData());
        co_return;
    }
};

} // namespace coronet::cli
