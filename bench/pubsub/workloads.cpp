#include "workloads.hpp"

#include <fmt/format.h>
#include <poll.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <ctime>
#include <stdexcept>
#include <thread>

namespace coronet::bench::pubsub_bench {

namespace {

using namespace std::chrono_literals;

std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(clock::now().time_since_epoch()).count();
}

double thread_cpu_seconds() {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

/// Payload layout: u64 send time (steady_clock ns), u64 sequence number, filler.
constexpr std::size_t stamp_bytes = 16;

/// What the publisher and the subscriber loop tell each other.
struct cell_state {
    std::atomic<bool> warm_sent{false}; // the publisher wrote every warm-up message
    std::atomic<bool> go{false};        // every subscriber has the warm-up: measure
    std::atomic<bool> done{false};      // the publisher has written its last message
    std::atomic<bool> stop{false};      // give up (the subscriber loop failed)
    std::atomic<bool> failed{false};
    std::exception_ptr error;           // the publisher's, once failed
    std::int64_t first_send_ns = 0;     // written before done, read after it
    std::uint64_t next_seq = 0;         // one past the last published
    double cpu_seconds = 0;             // measured window
};

/// The publisher: pre-encoded frames copied into a batch, each message's
/// stamp patched in, many messages per write; the broker's answers drained.
class publisher {
public:
    publisher(protocol& p, tcp_socket s, const cell_spec& spec, cell_state& st)
        : _p(p), _s(std::move(s)), _spec(spec), _st(st) {
        auto f = p.encode_publish(spec.topic, spec.payload_bytes);
        _at = f.head.size();
        _frame = f.head;
        for (std::size_t i = 0; i < spec.payload_bytes; ++i) _frame += static_cast<char>('a' + i % 26);
        _frame += f.tail;
    }

    void run() {
        if (_spec.kind == workload_kind::latency) return paced();
        // Warm-up, delivered everywhere before the measured messages.
        send_batched(_spec.warmup_messages, clock::time_point::max());
        _st.warm_sent = true;
        while (!_st.go && !_st.stop) std::this_thread::sleep_for(200us);
        if (_st.stop) return;
        double cpu0 = thread_cpu_seconds();
        _st.first_send_ns = now_ns();
        send_batched(_spec.messages_max, clock::now() + _spec.publish_max);
        _st.cpu_seconds = thread_cpu_seconds() - cpu0;
        _st.done = true;
    }

private:
    void stamp(char* frame, std::int64_t ts) {
        std::memcpy(frame + _at, &ts, 8);
        std::memcpy(frame + _at + 8, &_seq, 8);
        ++_seq;
    }

    void send_batched(std::uint64_t count, clock::time_point until) {
        constexpr std::size_t batch_bytes = 64 * 1024;
        std::size_t per_batch = std::max<std::size_t>(1, batch_bytes / _frame.size());
        std::string batch;
        for (std::size_t i = 0; i < per_batch; ++i) batch += _frame;
        std::uint64_t end = _seq + count;
        while (_seq < end && !_st.stop && clock::now() < until) {
            std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(per_batch, end - _seq));
            auto ts = now_ns();
            for (std::size_t i = 0; i < n; ++i) stamp(batch.data() + i * _frame.size(), ts);
            write(std::string_view(batch).substr(0, n * _frame.size()));
        }
        _st.next_seq = _seq;
    }

    /// One message per write at rate_per_sec, each stamped just before it.
    void paced() {
        auto period = std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(1.0 / _spec.rate_per_sec));
        auto total = static_cast<std::uint64_t>(_spec.rate_per_sec *
                                                std::chrono::duration<double>(_spec.warmup + _spec.measure).count());
        _st.warm_sent = true;
        _st.go = true;
        double cpu0 = thread_cpu_seconds();
        auto t0 = clock::now();
        _st.first_send_ns = now_ns();
        for (std::uint64_t i = 0; i < total && !_st.stop; ++i) {
            auto due = t0 + period * static_cast<long>(i);
            if (clock::now() < due) std::this_thread::sleep_until(due);
            stamp(_frame.data(), now_ns());
            write(_frame);
        }
        _st.next_seq = _seq;
        _st.cpu_seconds = thread_cpu_seconds() - cpu0;
        _st.done = true;
    }

    void write(std::string_view data) {
        while (!data.empty()) {
            auto n = _s.write_some(data);
            data.remove_prefix(n);
            if (n == 0) {
                if (_st.stop) return;
                _s.wait(POLLOUT | POLLIN, clock::now() + 100ms);
            }
            drain();
        }
    }

    /// Reads what the broker sent the publisher (replies to PUBLISH, errors).
    void drain() {
        char buf[16 * 1024];
        for (;;) {
            auto n = _s.read_some(buf, sizeof buf);
            if (n == 0) throw std::runtime_error("the broker closed the publisher's connection");
            if (n < 0) return;
            _p.publisher_input({buf, static_cast<std::size_t>(n)});
        }
    }

    protocol& _p;
    tcp_socket _s;
    const cell_spec& _spec;
    cell_state& _st;
    std::string _frame; // one whole publish
    std::size_t _at = 0; // where its payload starts
    std::uint64_t _seq = 0;
};

/// One subscriber connection and what it has received.
struct subscriber final : message_sink {
    tcp_socket s;
    std::unique_ptr<message_parser> parser;
    std::vector<char> buf = std::vector<char>(256 * 1024);
    std::size_t used = 0;
    bool open = true;
    std::string ended; // why it closed, if it did
    std::uint64_t warmup = 0, received = 0, seq_max = 0;
    bool any = false;
    std::int64_t read_at_ns = 0;         // when the current read returned
    std::vector<std::uint32_t>* latencies = nullptr; // latency cell only

    void on_message(std::span<const char> payload) override {
        if (payload.size() < stamp_bytes) throw std::runtime_error("a payload shorter than its stamp");
        std::int64_t ts;
        std::uint64_t seq;
        std::memcpy(&ts, payload.data(), 8);
        std::memcpy(&seq, payload.data() + 8, 8);
        seq_max = any ? std::max(seq_max, seq) : seq;
        any = true;
        if (seq < warmup) return;
        ++received;
        if (latencies)
            latencies->push_back(static_cast<std::uint32_t>(std::clamp<std::int64_t>(read_at_ns - ts, 0, UINT32_MAX)));
    }

    /// Reads once; true if bytes arrived. A connection that fails or that
    /// the broker ends (Redis' output buffer limit, NATS' slow consumer
    /// error) is closed and says why: the cell reports it and its loss.
    bool poll_once() {
        try {
            return read_and_parse();
        } catch (const std::exception& e) {
            open = false;
            ended = e.what();
            return false;
        }
    }

private:
    bool read_and_parse() {
        auto n = s.read_some(buf.data() + used, buf.size() - used);
        if (n < 0) return false;
        if (n == 0) {
            open = false;
            ended = "closed by the broker";
            return false;
        }
        read_at_ns = now_ns();
        used += static_cast<std::size_t>(n);
        auto done = parser->parse({buf.data(), used}, *this);
        std::memmove(buf.data(), buf.data() + done, used - done);
        used -= done;
        if (used == buf.size()) throw std::runtime_error("a message larger than the read buffer");
        if (!reply.empty()) {
            s.write_all(reply, after(1s), "answering the broker");
            reply.clear();
        }
        return true;
    }
};

double percentile_us(std::vector<std::uint32_t>& v, double q) {
    if (v.empty()) return 0;
    auto k = static_cast<std::size_t>(q * static_cast<double>(v.size() - 1));
    std::nth_element(v.begin(), v.begin() + static_cast<long>(k), v.end());
    return v[k] / 1000.0;
}

} // namespace

void pin_this_thread(int cpu) {
    if (cpu < 0 || std::thread::hardware_concurrency() < 2) return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set); // best effort
}

cell_result run_cell(protocol& p, std::uint16_t port, const cell_spec& spec) {
    auto cell_end = clock::now() + spec.cell_max;
    bool latency = spec.kind == workload_kind::latency;
    auto warmup = latency ? static_cast<std::uint64_t>(spec.rate_per_sec * std::chrono::duration<double>(spec.warmup).count())
                          : spec.warmup_messages;
    std::vector<std::uint32_t> latencies;
    if (latency)
        latencies.reserve(static_cast<std::size_t>(spec.rate_per_sec * std::chrono::duration<double>(spec.measure).count()) + 16);

    std::vector<std::unique_ptr<subscriber>> subs;
    for (int i = 0; i < spec.subscribers; ++i) {
        auto s = std::make_unique<subscriber>();
        s->s = p.connect_subscriber(port, spec.topic);
        s->parser = p.make_parser();
        s->warmup = warmup;
        if (latency) s->latencies = &latencies;
        subs.push_back(std::move(s));
    }
    cell_state st;
    publisher pub(p, p.connect_publisher(port), spec, st);
    std::thread pub_thread([&] {
        pthread_setname_np(pthread_self(), "bench-publisher"); // for top and perf
        pin_this_thread(spec.client_cpu);
        try {
            pub.run();
        } catch (...) {
            st.error = std::current_exception();
            st.failed = true;
        }
        st.done = true;
    });
    struct joiner {
        cell_state& st;
        std::thread& t;
        ~joiner() {
            st.stop = true;
            if (t.joinable()) t.join();
        }
    } join_publisher{st, pub_thread};

    auto all = [&](auto pred) { return std::all_of(subs.begin(), subs.end(), [&](auto& s) { return pred(*s); }); };
    // Level-triggered epoll: one wait, then one read per ready connection (a
    // broker that writes each delivery alone, like mosquitto, must not cost
    // the client a read per idle connection as well).
    int ep = ::epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) throw std::runtime_error("epoll_create1 failed");
    struct closer {
        int fd;
        ~closer() { ::close(fd); }
    } close_ep{ep};
    for (std::uint32_t i = 0; i < subs.size(); ++i) {
        epoll_event e{};
        e.events = EPOLLIN;
        e.data.u32 = i;
        if (::epoll_ctl(ep, EPOLL_CTL_ADD, subs[i]->s.fd(), &e) != 0) throw std::runtime_error("epoll_ctl failed");
    }
    epoll_event ready[16];
    auto last_activity = clock::now();
    clock::time_point warm_sent_at{};
    std::int64_t last_receive_ns = 0;
    double cpu0 = thread_cpu_seconds(), cpu_measured = 0;
    for (;;) {
        bool any = false;
        int n = ::epoll_wait(ep, ready, 16, 20);
        for (int i = 0; i < n; ++i) {
            auto& s = *subs[ready[i].data.u32];
            if (s.open && s.poll_once()) {
                any = true;
                if (st.go && s.received > 0) last_receive_ns = std::max(last_receive_ns, s.read_at_ns);
            }
            if (!s.open) ::epoll_ctl(ep, EPOLL_CTL_DEL, s.s.fd(), nullptr);
        }
        auto now = clock::now();
        if (any) last_activity = now;
        if (st.failed) std::rethrow_exception(st.error);
        if (!st.go) {
            // Measure once every subscriber has the warm-up (a late one is
            // given up on 300 ms after the last byte).
            if (st.warm_sent && warm_sent_at == clock::time_point{}) warm_sent_at = now;
            bool warmed = all([&](subscriber& s) { return !s.open || (s.any && s.seq_max + 1 >= warmup); });
            if (st.warm_sent && (warmed || now - std::max(last_activity, warm_sent_at) > 300ms)) {
                cpu0 = thread_cpu_seconds();
                st.go = true;
            }
        } else if (st.done) {
            auto last = st.next_seq;
            bool finished = all([&](subscriber& s) { return !s.open || (s.any && s.seq_max + 1 >= last); });
            if (finished || now - last_activity > spec.idle_end) break;
        }
        if (now > cell_end)
            throw std::runtime_error(fmt::format("the cell did not finish within {} s", spec.cell_max.count() / 1000));
    }
    cpu_measured = thread_cpu_seconds() - cpu0;
    st.stop = true;
    pub_thread.join();
    if (st.failed) std::rethrow_exception(st.error);

    cell_result r;
    r.published = st.next_seq > warmup ? st.next_seq - warmup : 0;
    r.expected = r.published * static_cast<std::uint64_t>(spec.subscribers);
    for (auto& s : subs) {
        r.received += s->received;
        if (!s->open) ++r.disconnected;
    }
    r.lost = r.expected > r.received ? r.expected - r.received : 0;
    std::int64_t measured_from = st.first_send_ns;
    if (latency) measured_from += std::chrono::duration_cast<std::chrono::nanoseconds>(spec.warmup).count();
    r.seconds = last_receive_ns > measured_from ? static_cast<double>(last_receive_ns - measured_from) / 1e9 : 0;
    if (r.seconds > 0) {
        r.msgs_per_sec = static_cast<double>(r.received) / r.seconds;
        r.client_cpu = (cpu_measured + st.cpu_seconds) / r.seconds;
    }
    if (latency) {
        r.p50_us = percentile_us(latencies, 0.50);
        r.p99_us = percentile_us(latencies, 0.99);
        r.max_us = percentile_us(latencies, 1.0);
    }
    if (r.disconnected > 0) {
        for (auto& s : subs)
            if (!s->open) {
                r.note = fmt::format("{} of {} subscribers cut off ({})", r.disconnected, spec.subscribers, s->ended);
                break;
            }
    }
    return r;
}

} // namespace coronet::bench::pubsub_bench
