// gRPC 1.51 (Debian's libgrpc++), if CMake found it: a callback-API server
// (its own threads, started from a thread pinned to the server's CPU) and a
// completion-queue client polled by the calling thread, one channel. Without
// gRPC the peer is listed as "not built".
#include "measure.hpp"

#if CORONET_BENCH_HAVE_GRPC

#include "echo.grpc.pb.h"

#include <grpcpp/grpcpp.h>

#include <future>
#include <memory>
#include <thread>

namespace coronet::bench::rpc_bench {

namespace {

namespace pb = coronet_bench_grpc;

class echo_service final : public pb::Echoer::CallbackService {
    grpc::ServerUnaryReactor* Echo(grpc::CallbackServerContext* ctx, const pb::Blob* request,
                                   pb::Blob* reply) override {
        reply->set_data(request->data());
        auto* r = ctx->DefaultReactor();
        r->Finish(grpc::Status::OK);
        return r;
    }
};

/// The server is built on a thread pinned to the server's CPU, so the threads
/// gRPC starts for it inherit that mask.
class server_thread {
public:
    explicit server_thread(int cpu) {
        auto port = std::make_shared<std::promise<int>>(); // outlives this constructor
        auto ready = port->get_future();
        _thread = std::thread([this, cpu, port] {
            pin_this_thread(cpu);
            alloc::set_thread_role(alloc::role::server);
            try {
                int bound = 0;
                grpc::ServerBuilder b;
                b.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &bound);
                b.RegisterService(&_service);
                b.SetMaxReceiveMessageSize(16 << 20);
                b.SetMaxSendMessageSize(16 << 20);
                _server = b.BuildAndStart();
                if (!_server || bound == 0) throw std::runtime_error("grpc: cannot listen on 127.0.0.1");
                port->set_value(bound);
            } catch (...) {
                port->set_exception(std::current_exception());
            }
        });
        try {
            _port = ready.get();
        } catch (...) {
            _thread.join();
            throw;
        }
        _thread.join(); // the server runs on gRPC's own threads
    }
    ~server_thread() {
        _server->Shutdown();
        _server->Wait();
    }
    int port() const { return _port; }

private:
    echo_service _service;
    std::unique_ptr<grpc::Server> _server;
    std::thread _thread;
    int _port = 0;
};

/// One outstanding call: a fresh context per call, as gRPC requires.
struct slot {
    std::unique_ptr<grpc::ClientContext> ctx;
    std::unique_ptr<grpc::ClientAsyncResponseReader<pb::Blob>> reader;
    pb::Blob reply;
    grpc::Status status;
};

class client {
public:
    client(int port, const pb::Blob& request)
        : _request(request) {
        grpc::ChannelArguments args;
        args.SetMaxReceiveMessageSize(16 << 20);
        args.SetMaxSendMessageSize(16 << 20);
        _channel = grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials(),
                                             args);
        _stub = pb::Echoer::NewStub(_channel);
    }
    ~client() {
        _cq.Shutdown();
        void* tag;
        bool ok;
        while (_cq.Next(&tag, &ok)) {
        }
    }

    void start(slot& s) {
        s.ctx = std::make_unique<grpc::ClientContext>();
        s.reader = _stub->AsyncEcho(s.ctx.get(), _request, &_cq);
        s.reader->Finish(&s.reply, &s.status, &s);
    }
    /// Waits for the next call to end and checks it.
    slot& next() {
        void* tag;
        bool ok;
        if (!_cq.Next(&tag, &ok) || !ok) throw std::runtime_error("grpc: completion queue failed");
        auto& s = *static_cast<slot*>(tag);
        if (!s.status.ok()) throw std::runtime_error("grpc: call failed: " + s.status.error_message());
        check_echo(s.reply.data().size(), _request.data().size(), "grpc");
        return s;
    }

private:
    const pb::Blob& _request;
    std::shared_ptr<grpc::Channel> _channel;
    std::unique_ptr<pb::Echoer::Stub> _stub;
    grpc::CompletionQueue _cq;
};

cell_result run_cell(const cell_spec& s) {
    server_thread server(s.server_cpu);
    auto bytes = make_payload(s.payload_bytes);
    pb::Blob request;
    request.set_data(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    client c(server.port(), request);

    if (s.kind == workload_kind::inflight) {
        std::vector<slot> slots(static_cast<std::size_t>(s.inflight));
        inflight_run run(s);
        std::size_t outstanding = 0;
        for (auto& sl : slots) {
            c.start(sl);
            ++outstanding;
        }
        while (outstanding > 0) {
            auto& sl = c.next();
            --outstanding;
            run.completed();
            if (run.go()) {
                c.start(sl);
                ++outstanding;
            }
        }
        return run.result(s.payload_bytes);
    }
    slot one;
    auto call = [&] {
        c.start(one);
        c.next();
    };
    return s.kind == workload_kind::allocations ? measure_allocations(s, call) : measure_sequential(s, call);
}

} // namespace

peer grpc_peer() {
    return {"grpc", "peer", "",
            {workload_kind::sequential, workload_kind::inflight, workload_kind::bulk, workload_kind::allocations},
            run_cell};
}

} // namespace coronet::bench::rpc_bench

#else

namespace coronet::bench::rpc_bench {

peer grpc_peer() {
    return {"grpc", "peer", "not built (libgrpc++-dev / protobuf-compiler-grpc not found at configure time)",
            {workload_kind::sequential, workload_kind::inflight, workload_kind::bulk, workload_kind::allocations},
            nullptr};
}

} // namespace coronet::bench::rpc_bench

#endif
