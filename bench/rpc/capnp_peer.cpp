// The reference implementation: capnp::EzRpcServer on its own thread and kj
// event loop, capnp::EzRpcClient on the calling thread with its own loop
// (Debian's libcapnp 0.9.2). Server and client are both the reference.
#include "measure.hpp"

#include "bench.capnp.h"

#include <capnp/ez-rpc.h>
#include <kj/async.h>

#include <future>
#include <thread>

namespace coronet::bench::rpc_bench {

namespace {

class reference_echo final : public Echo::Server {
public:
    kj::Promise<void> echo(EchoContext ctx) override {
        ctx.getResults().setData(ctx.getParams().getData());
        return kj::READY_NOW;
    }
};

/// EzRpcServer on its own thread, stopped (and joined) by the destructor.
class server_thread {
public:
    explicit server_thread(int cpu) {
        auto port = std::make_shared<std::promise<std::uint16_t>>(); // outlives this constructor
        auto ready = port->get_future();
        _thread = std::thread([this, cpu, port] {
            pin_this_thread(cpu);
            alloc::set_thread_role(alloc::role::server);
            bool bound = false;
            try {
                capnp::EzRpcServer server(kj::heap<reference_echo>(), "127.0.0.1", 0);
                auto& ws = server.getWaitScope();
                auto stop = kj::newPromiseAndFulfiller<void>();
                _stop = kj::mv(stop.fulfiller);
                _executor = &kj::getCurrentThreadExecutor();
                auto p = static_cast<std::uint16_t>(server.getPort().wait(ws));
                bound = true;
                port->set_value(p);
                stop.promise.wait(ws);
            } catch (...) {
                if (!bound) port->set_exception(std::current_exception());
            }
        });
        try {
            _port = ready.get();
        } catch (...) {
            _thread.join();
            throw;
        }
    }
    ~server_thread() {
        _executor->executeSync([this] { _stop->fulfill(); });
        _thread.join();
    }
    std::uint16_t port() const { return _port; }

private:
    std::thread _thread;
    std::uint16_t _port = 0;
    const kj::Executor* _executor = nullptr;
    kj::Own<kj::PromiseFulfiller<void>> _stop;
};

/// One lane of calls in flight: a call, and when it returns the next one.
kj::Promise<void> lane(Echo::Client& echo, capnp::Data::Reader payload, inflight_run& run) {
    if (!run.go()) return kj::READY_NOW;
    auto req = echo.echoRequest();
    req.setData(payload);
    return req.send().then([&echo, payload, &run](capnp::Response<Echo::EchoResults> r) {
        check_echo(r.getData().size(), payload.size(), "capnp-ezrpc");
        run.completed();
        return lane(echo, payload, run);
    });
}

cell_result run_cell(const cell_spec& s) {
    server_thread server(s.server_cpu);
    capnp::EzRpcClient client("127.0.0.1", server.port());
    auto& ws = client.getWaitScope();
    auto echo = client.getMain<Echo>();
    auto bytes = make_payload(s.payload_bytes);
    capnp::Data::Reader payload(reinterpret_cast<const kj::byte*>(bytes.data()), bytes.size());

    if (s.kind == workload_kind::inflight) {
        inflight_run run(s);
        auto lanes = kj::heapArrayBuilder<kj::Promise<void>>(static_cast<std::size_t>(s.inflight));
        for (int i = 0; i < s.inflight; ++i) lanes.add(lane(echo, payload, run));
        kj::joinPromises(lanes.finish()).wait(ws);
        return run.result(s.payload_bytes);
    }
    auto call = [&] {
        auto req = echo.echoRequest();
        req.setData(payload);
        auto r = req.send().wait(ws);
        check_echo(r.getData().size(), payload.size(), "capnp-ezrpc");
    };
    return s.kind == workload_kind::allocations ? measure_allocations(s, call) : measure_sequential(s, call);
}

} // namespace

peer capnp_peer() {
    return {"capnp-ezrpc", "peer", "",
            {workload_kind::sequential, workload_kind::inflight, workload_kind::bulk, workload_kind::allocations},
            run_cell};
}

} // namespace coronet::bench::rpc_bench
