#pragma once
// Runs an RPC server and a test body on one io_context: the server is
// stopped (every connection closed and joined) before the body's result is
// reported.

#include "services.hpp"
#include "transports/test_support.hpp"

#include <coronet/rpc/server.hpp>
#include <coronet/transports/endpoint.hpp>

#include <catch2/catch.hpp>

#include <memory>

namespace coronet::test {

template <class Service = echo_service, class Body>
void with_rpc_server(const std::string& scheme, Body body, rpc::server_options o = {}) {
    run_coroutine([&]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        auto svc = std::make_shared<Service>();
        rpc::server srv(listen(ex, loopback(scheme)), svc, o);
        srv.start();
        std::exception_ptr failed;
        try {
            co_await body(srv, *svc);
        } catch (...) {
            failed = std::current_exception();
        }
        co_await srv.stop();
        if (failed) std::rethrow_exception(failed);
    });
}

/// Lets every ready handler run (calls reach the server, Finish is read).
inline asio::awaitable<void> settle(int rounds = 50) { co_await yield(rounds); }

} // namespace coronet::test
