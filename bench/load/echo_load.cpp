#include "echo_load.hpp"
#include "../baseline/socket_util.hpp"

#include <coronet/histogram.hpp>

#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <stdexcept>
#include <vector>

namespace coronet::bench {

namespace {

using clock_type = std::chrono::steady_clock;

// Byte i of every message: position-dependent, so a lost or reordered byte shows.
std::uint8_t pattern(std::size_t i) { return static_cast<std::uint8_t>((i * 31 + 7) & 0xff); }

struct connection {
    int fd = -1;
    std::uint64_t received = 0;   // bytes echoed back so far
    std::uint64_t to_send = 0;    // whole messages queued but not yet written
    std::size_t partial_sent = 0; // bytes of the current message already written
    clock_type::time_point sent_at;
};

} // namespace

load_result run_echo_load(std::uint16_t port, const workload& w) {
    const std::size_t msg = w.message_bytes;
    std::vector<std::uint8_t> message(msg);
    for (std::size_t i = 0; i < msg; ++i) message[i] = pattern(i);
    // One write carries up to `inflight` messages back to back.
    std::vector<iovec> iov(static_cast<std::size_t>(w.inflight));

    int ep = ::epoll_create1(EPOLL_CLOEXEC);
    std::vector<connection> conns(static_cast<std::size_t>(w.connections));
    struct cleanup {
        int ep;
        std::vector<connection>& c;
        ~cleanup() {
            for (auto& x : c)
                if (x.fd >= 0) ::close(x.fd);
            ::close(ep);
        }
    } guard{ep, conns};
    for (std::size_t i = 0; i < conns.size(); ++i) {
        conns[i].fd = connect_loopback(port);
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = i;
        ::epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &ev);
    }

    histogram rtt;
    std::vector<std::uint8_t> buf(256 * 1024);
    std::uint64_t ops = 0, measured_ops = 0;
    const auto start = clock_type::now();
    const auto measure_from = start + w.duration / 10;
    const auto end = start + w.duration;
    bool measuring = false;
    clock_type::time_point measured_start;

    auto flush = [&](connection& c) {
        while (c.to_send > 0) {
            std::size_t n = std::min<std::uint64_t>(c.to_send, iov.size());
            iov[0] = {message.data() + c.partial_sent, msg - c.partial_sent};
            std::size_t want = msg - c.partial_sent;
            for (std::size_t k = 1; k < n; ++k) {
                iov[k] = {message.data(), msg};
                want += msg;
            }
            if (c.partial_sent == 0) c.sent_at = clock_type::now();
            auto r = ::writev(c.fd, iov.data(), static_cast<int>(n));
            if (r < 0) {
                if (errno == EAGAIN) return; // the server is behind; its echoes will make room
                throw_errno("load generator write");
            }
            auto written = static_cast<std::size_t>(r) + c.partial_sent;
            c.to_send -= written / msg;
            c.partial_sent = written % msg;
            if (static_cast<std::size_t>(r) < want) return; // socket buffer full
        }
    };

    for (auto& c : conns) {
        c.to_send = static_cast<std::uint64_t>(w.inflight);
        flush(c);
    }
    std::array<epoll_event, 256> events;
    while (ops < w.ops_max) {
        auto now = clock_type::now();
        if (now >= end) break;
        if (!measuring && now >= measure_from) {
            measuring = true;
            measured_start = now;
            measured_ops = 0;
        }
        int n = ::epoll_wait(ep, events.data(), static_cast<int>(events.size()), w.busy_poll ? 0 : 10);
        for (int e = 0; e < n; ++e) {
            auto& c = conns[events[static_cast<std::size_t>(e)].data.u64];
            auto r = ::recv(c.fd, buf.data(), buf.size(), 0);
            if (r == 0) throw std::runtime_error("echo server closed a connection mid-benchmark");
            if (r < 0) {
                if (errno == EAGAIN) continue;
                throw_errno("load generator read");
            }
            auto got = static_cast<std::size_t>(r);
            // Check the first bytes of what arrived against the stream's pattern.
            for (std::size_t k = 0; k < std::min<std::size_t>(got, 8); ++k)
                if (buf[k] != pattern((c.received + k) % msg))
                    throw std::runtime_error("echo mismatch in workload " + w.name);
            auto before = c.received / msg;
            c.received += got;
            auto done = c.received / msg - before;
            if (done == 0) continue;
            if (w.inflight == 1 && measuring)
                rtt.record(static_cast<std::uint64_t>((clock_type::now() - c.sent_at).count()));
            ops += done;
            if (measuring) measured_ops += done;
            c.to_send += done;
            flush(c);
        }
    }
    auto elapsed = std::chrono::duration<double>(clock_type::now() - measured_start).count();
    load_result result;
    if (!measuring || elapsed <= 0) return result;
    result.ops = measured_ops;
    result.ops_per_sec = static_cast<double>(measured_ops) / elapsed;
    result.bytes_per_sec = result.ops_per_sec * static_cast<double>(msg);
    if (rtt.count() > 0) {
        result.p50_us = rtt.percentile(50) / 1e3;
        result.p99_us = rtt.percentile(99) / 1e3;
    }
    return result;
}

} // namespace coronet::bench
