// coronet::pubsub: the broker (default broker_options) on its own thread and
// runtime on tcp://127.0.0.1:0, and a client that speaks its binary protocol
// over the same raw sockets as the other peers' clients, with the library's
// own codec (wire::encode to build frames; wire::frame_bytes and
// wire::decode to parse them). The subscriber confirms its sub with a
// ping/pong round trip (the broker handles a connection's frames in order).
#include "peer.hpp"

#include <coronet/pubsub/broker.hpp>
#include <coronet/pubsub/wire.hpp>
#include <coronet/runtime.hpp>
#include <coronet/transports/endpoint.hpp>
#include <coronet/until_cancelled.hpp>

#include <fmt/format.h>
#include <pthread.h>
#include <sched.h>

#include <future>
#include <mutex>
#include <thread>

namespace coronet::bench::pubsub_bench {

namespace {

namespace wire = coronet::pubsub::wire;
using namespace std::chrono_literals;

std::span<const std::byte> bytes_of(std::string_view s) { return {reinterpret_cast<const std::byte*>(s.data()), s.size()}; }

std::string to_string(const std::vector<std::byte>& b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

const wire::limits& limits() {
    static const wire::limits l;
    return l;
}

/// Calls `f` with each whole frame at the front of `in`; returns the bytes used.
template <class F>
std::size_t each_frame(std::string_view in, F&& f) {
    std::size_t done = 0;
    while (auto n = wire::frame_bytes(bytes_of(in.substr(done)), limits())) {
        if (in.size() - done < *n) break;
        f(wire::decode(bytes_of(in.substr(done + wire::length_bytes, *n - wire::length_bytes))));
        done += *n;
    }
    return done;
}

[[noreturn]] void throw_broker_error(const wire::error& e) {
    throw std::runtime_error(fmt::format("coronet broker: error {}: {}", static_cast<int>(e.code), e.text));
}

class coronet_parser final : public message_parser {
public:
    std::size_t parse(std::string_view in, message_sink& sink) override {
        return each_frame(in, [&](const wire::frame& f) {
            if (auto* m = std::get_if<wire::msg>(&f))
                sink.on_message({reinterpret_cast<const char*>(m->payload.data()), m->payload.size()});
            else if (auto* e = std::get_if<wire::error>(&f))
                throw_broker_error(*e);
        });
    }
};

class coronet_protocol final : public protocol {
public:
    tcp_socket connect_publisher(std::uint16_t port) override {
        auto s = tcp_socket::connect(port);
        round_trip(s, {}, "coronet ping");
        return s;
    }
    tcp_socket connect_subscriber(std::uint16_t port, std::string_view topic) override {
        auto s = tcp_socket::connect(port);
        std::vector<std::byte> out;
        wire::encode(out, wire::sub{1, topic, {}});
        round_trip(s, to_string(out), "coronet sub");
        return s;
    }
    publish_frame encode_publish(std::string_view topic, std::size_t payload_bytes) override {
        std::vector<std::byte> payload(payload_bytes), out;
        wire::encode(out, wire::publish{topic, {}, payload}); // the payload is the frame's last field
        auto whole = to_string(out);
        return {whole.substr(0, whole.size() - payload_bytes), ""};
    }
    std::unique_ptr<message_parser> make_parser() override { return std::make_unique<coronet_parser>(); }

private:
    /// Sends `request` and a ping; returns at the pong (everything before it handled).
    static void round_trip(tcp_socket& s, std::string request, const char* what) {
        std::vector<std::byte> ping;
        wire::encode(ping, wire::ping{});
        request += to_string(ping);
        s.write_all(request, after(5s), what);
        std::string got;
        s.read_until(
            got,
            [](std::string_view b) {
                bool answered = false;
                each_frame(b, [&](const wire::frame& f) {
                    if (auto* e = std::get_if<wire::error>(&f)) throw_broker_error(*e);
                    if (std::holds_alternative<wire::pong>(f)) answered = true;
                });
                return answered;
            },
            after(5s), what);
    }
};

void pin(int cpu) {
    if (cpu < 0) return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

/// pubsub::broker on its own thread and runtime; the destructor stops it.
class broker_thread final : public broker_instance {
public:
    explicit broker_thread(int cpu) {
        auto bound = std::make_shared<std::promise<std::uint16_t>>();
        auto got = bound->get_future();
        _thread = std::thread([this, cpu, bound] {
            pthread_setname_np(pthread_self(), "bench-broker"); // for top and perf
            pin(cpu);
            runtime_options ro;
            ro.handle_signals = false;
            ro.log = make_logger("bench-pubsub", spdlog::level::warn);
            runtime rt(ro);
            {
                std::lock_guard lock(_mutex);
                _runtime = &rt;
            }
            rt.spawn(serve(bound));
            try {
                rt.run();
            } catch (...) {
                try {
                    bound->set_exception(std::current_exception());
                } catch (const std::future_error&) {
                    // Already bound: the clients see the failure.
                }
            }
            std::lock_guard lock(_mutex);
            _runtime = nullptr;
        });
        try {
            if (got.wait_for(10s) != std::future_status::ready) throw std::runtime_error("coronet broker did not start");
            port = got.get();
        } catch (...) {
            stop();
            throw;
        }
    }
    ~broker_thread() override { stop(); }
    std::string counters() override {
        stop();
        return fmt::format("broker: {} published, {} delivered, {} dropped", _counters.published, _counters.delivered,
                           _counters.dropped);
    }

private:
    void stop() {
        if (!_thread.joinable()) return;
        {
            std::lock_guard lock(_mutex);
            if (_runtime) _runtime->stop();
        }
        _thread.join();
    }
    asio::awaitable<void> serve(std::shared_ptr<std::promise<std::uint16_t>> bound) {
        auto ex = co_await asio::this_coro::executor;
        auto l = listen(ex, "tcp://127.0.0.1:0");
        auto bound_port = l.local_endpoint().port();
        pubsub::broker b(std::move(l), {}, make_logger("bench-pubsub", spdlog::level::warn));
        b.start();
        bound->set_value(bound_port);
        co_await until_cancelled();
        co_await b.stop();
        _counters = b.counters();
    }

    std::thread _thread;
    std::mutex _mutex;
    runtime* _runtime = nullptr; // guarded by _mutex; lives on _thread's stack
    pubsub::broker_counters _counters;
};

} // namespace

peer coronet_peer() {
    peer p;
    p.name = "coronet";
    p.version = "coronet::pubsub (this build), tcp://";
    p.is_coronet = true;
    p.start = [](int cpu) -> std::unique_ptr<broker_instance> { return std::make_unique<broker_thread>(cpu); };
    p.client = [] { return std::make_unique<coronet_protocol>(); };
    return p;
}

} // namespace coronet::bench::pubsub_bench
