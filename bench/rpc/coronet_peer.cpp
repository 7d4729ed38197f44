// coronet's Cap'n Proto RPC: rpc::server on its own thread and runtime, the
// generated EchoClient on the calling thread's runtime (awaitable), or on a
// plain thread through echo_blocking() while a runtime thread runs the
// connection. Over tcp:// and uring://.
#include "measure.hpp"

#include "bench.capnp.coronet.hpp"

#include <coronet/rpc/server.hpp>
#include <coronet/runtime.hpp>
#include <coronet/task_group.hpp>
#include <coronet/transports/endpoint.hpp>
#include <coronet/until_cancelled.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_future.hpp>

#include <future>
#include <mutex>
#include <thread>

namespace coronet::bench::rpc_bench {

namespace {

class echo_service final : public EchoService {
public:
    asio::awaitable<void> echo(Echo::EchoParams::Reader p, Echo::EchoResults::Builder r, rpc::call_context&) override {
        r.setData(p.getData());
        co_return;
    }
};

runtime_options quiet_runtime() {
    runtime_options o;
    o.handle_signals = false;
    o.log = make_logger("bench-rpc", spdlog::level::warn);
    return o;
}

/// rpc::server on its own thread and runtime; stop() ends it and joins.
class server_thread {
public:
    server_thread(const std::string& scheme, int cpu) {
        auto bound = std::make_shared<std::promise<std::string>>(); // outlives this constructor
        auto url = bound->get_future();
        _thread = std::thread([this, scheme, cpu, bound] {
            pin_this_thread(cpu);
            alloc::set_thread_role(alloc::role::server);
            runtime rt(quiet_runtime());
            {
                std::lock_guard lock(_mutex);
                _runtime = &rt;
            }
            rt.spawn(serve(scheme, bound));
            try {
                rt.run();
            } catch (...) {
                try {
                    bound->set_exception(std::current_exception());
                } catch (const std::future_error&) {
                    // Already bound: the failure came later; the client will see it.
                }
            }
            std::lock_guard lock(_mutex);
            _runtime = nullptr;
        });
        try {
            _url = url.get();
        } catch (...) {
            _thread.join();
            throw;
        }
    }
    ~server_thread() { stop(); }
    const std::string& url() const { return _url; }
    /// Ends the server; its counters are final afterwards.
    void stop() {
        if (!_thread.joinable()) return;
        {
            std::lock_guard lock(_mutex);
            if (_runtime) _runtime->stop();
        }
        _thread.join();
    }
    const rpc::connection_counters& counters() const { return _counters; }

private:
    asio::awaitable<void> serve(std::string scheme, std::shared_ptr<std::promise<std::string>> bound) {
        auto ex = co_await asio::this_coro::executor;
        auto l = listen(ex, scheme + "://127.0.0.1:0");
        auto url = scheme + "://127.0.0.1:" + std::to_string(l.local_endpoint().port());
        rpc::server server(std::move(l), std::make_shared<echo_service>(), {},
                           make_logger("bench-rpc", spdlog::level::warn));
        server.start();
        bound->set_value(url);
        co_await until_cancelled(); // until stop()
        co_await server.stop();
        _counters = server.counters();
    }

    std::thread _thread;
    std::mutex _mutex;
    runtime* _runtime = nullptr; // guarded by _mutex; lives on _thread's stack
    std::string _url;
    rpc::connection_counters _counters;
};

asio::awaitable<void> sequential(EchoClient echo, const cell_spec& s, capnp::Data::Reader payload, cell_result& out) {
    // Calls written out as a user would: co_await echo.echo(fill) each time.
    auto fill = [payload](Echo::EchoParams::Builder p) { p.setData(payload); };
    if (s.kind == workload_kind::allocations) {
        auto plan = allocation_plan_for(s);
        for (std::uint64_t i = 0; i < plan.warmup_calls; ++i) {
            auto r = co_await echo.echo(fill);
            check_echo(r->getData().size(), payload.size(), "coronet");
        }
        alloc::start();
        for (std::uint64_t i = 0; i < plan.calls; ++i) {
            auto r = co_await echo.echo(fill);
            check_echo(r->getData().size(), payload.size(), "coronet");
        }
        out = allocation_result(alloc::stop(), plan.calls);
        co_return;
    }
    sequential_run run(s);
    while (run.warming()) {
        auto r = co_await echo.echo(fill);
        check_echo(r->getData().size(), payload.size(), "coronet");
    }
    while (run.more()) {
        auto t0 = clock::now();
        auto r = co_await echo.echo(fill);
        check_echo(r->getData().size(), payload.size(), "coronet");
        run.record(t0, clock::now());
    }
    out = run.result(s.payload_bytes);
}

asio::awaitable<void> lane(EchoClient echo, capnp::Data::Reader payload, inflight_run& run) {
    auto fill = [payload](Echo::EchoParams::Builder p) { p.setData(payload); };
    while (run.go()) {
        auto r = co_await echo.echo(fill);
        check_echo(r->getData().size(), payload.size(), "coronet");
        run.completed();
    }
}

asio::awaitable<void> inflight(EchoClient echo, const cell_spec& s, capnp::Data::Reader payload, cell_result& out) {
    inflight_run run(s);
    task_group lanes(co_await asio::this_coro::executor);
    for (int i = 0; i < s.inflight; ++i) lanes.spawn(lane(echo, payload, run));
    co_await lanes.join();
    out = run.result(s.payload_bytes);
}

/// The client's side of a cell, on the calling thread's runtime.
asio::awaitable<void> client(std::string url, const cell_spec& s, capnp::Data::Reader payload, cell_result& out,
                             rpc::connection_counters& counts) {
    auto conn = co_await rpc::connect(url);
    auto echo = co_await conn.bootstrap_as<EchoClient>();
    if (s.kind == workload_kind::inflight) co_await inflight(echo, s, payload, out);
    else co_await sequential(echo, s, payload, out);
    counts = conn.counters();
    conn.close();
    co_await conn.closed();
}

/// Holds a connection open on its runtime for a plain thread's blocking calls.
asio::awaitable<void> hold(std::string url, std::shared_ptr<std::promise<EchoClient>> ready,
                           rpc::connection_counters& counts) {
    auto conn = co_await rpc::connect(url);
    auto echo = co_await conn.bootstrap_as<EchoClient>();
    ready->set_value(std::move(echo));
    co_await until_cancelled();
    counts = conn.counters();
    conn.close();
    co_await conn.closed();
}

cell_result blocking_cell(const std::string& url, const cell_spec& s, capnp::Data::Reader payload,
                          rpc::connection_counters& counts) {
    auto ready = std::make_shared<std::promise<EchoClient>>();
    auto got = ready->get_future();
    std::mutex m;
    runtime* rt_ptr = nullptr;
    std::thread io([&, ready] {
        pin_this_thread(s.client_cpu);
        alloc::set_thread_role(alloc::role::client);
        runtime rt(quiet_runtime());
        {
            std::lock_guard lock(m);
            rt_ptr = &rt;
        }
        rt.spawn(hold(url, ready, counts));
        try {
            rt.run();
        } catch (...) {
            try {
                ready->set_exception(std::current_exception());
            } catch (const std::future_error&) {
            }
        }
        std::lock_guard lock(m);
        rt_ptr = nullptr;
    });
    auto stop = [&] {
        {
            std::lock_guard lock(m);
            if (rt_ptr) rt_ptr->stop();
        }
        io.join();
    };
    cell_result r;
    try {
        auto echo = got.get();
        auto ex = echo.cap().get_executor();
        auto fill = [payload](Echo::EchoParams::Builder p) { p.setData(payload); };
        r = measure_sequential(s, [&] {
            auto reply = echo.echo_blocking(fill);
            check_echo(reply->getData().size(), payload.size(), "coronet blocking");
        });
        // The last copy of the capability goes on the connection's thread.
        asio::post(ex, [e = std::move(echo)] {});
    } catch (...) {
        stop();
        throw;
    }
    stop();
    return r;
}

cell_result run_cell(const std::string& scheme, const cell_spec& s) {
    server_thread server(scheme, s.server_cpu);
    auto bytes = make_payload(s.payload_bytes);
    capnp::Data::Reader payload(reinterpret_cast<const kj::byte*>(bytes.data()), bytes.size());
    rpc::connection_counters client_counts;
    cell_result r;
    if (s.kind == workload_kind::blocking) {
        r = blocking_cell(server.url(), s, payload, client_counts);
    } else {
        runtime rt(quiet_runtime());
        rt.spawn(client(server.url(), s, payload, r, client_counts));
        rt.run(); // rethrows the client's failure
    }
    server.stop();
    auto& sc = server.counters();
    auto per = [](std::uint64_t n, std::uint64_t calls) { return calls ? double(n) / double(calls) : -1.0; };
    r.client_writes_per_call = per(client_counts.writes, client_counts.calls_out);
    r.client_reads_per_call = per(client_counts.reads, client_counts.calls_out);
    r.server_writes_per_call = per(sc.writes, sc.calls_in);
    r.server_reads_per_call = per(sc.reads, sc.calls_in);
    return r;
}

peer coronet_peer(std::string scheme, std::vector<workload_kind> supports) {
    return {"coronet-" + scheme, "coronet", "", std::move(supports),
            [scheme](const cell_spec& s) { return run_cell(scheme, s); }};
}

} // namespace

std::vector<peer> coronet_peers() {
    return {
        coronet_peer("tcp", {workload_kind::sequential, workload_kind::inflight, workload_kind::bulk,
                             workload_kind::blocking, workload_kind::allocations}),
        coronet_peer("uring", {workload_kind::sequential, workload_kind::inflight, workload_kind::bulk,
                               workload_kind::allocations}),
    };
}

} // namespace coronet::bench::rpc_bench
