// The floor: no RPC at all. A blocking echo of length-prefixed messages (u32
// length, then the payload) over one loopback TCP connection, server on its
// own thread. What is left above it in the other rows is what RPC costs.
#include "measure.hpp"

#include "baseline/socket_util.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstring>
#include <thread>

namespace coronet::bench::rpc_bench {

namespace {

void write_full(int fd, const std::byte* p, std::size_t n) {
    while (n > 0) {
        auto w = ::write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            throw_errno("raw-tcp write");
        }
        p += w;
        n -= static_cast<std::size_t>(w);
    }
}

/// False on a clean end of stream before the first byte.
bool read_full(int fd, std::byte* p, std::size_t n) {
    std::size_t got = 0;
    while (got < n) {
        auto r = ::read(fd, p + got, n - got);
        if (r < 0) {
            if (errno == EINTR) continue;
            throw_errno("raw-tcp read");
        }
        if (r == 0) {
            if (got == 0) return false;
            throw std::runtime_error("raw-tcp: connection closed mid-message");
        }
        got += static_cast<std::size_t>(r);
    }
    return true;
}

int connect_blocking(std::uint16_t port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw_errno("socket");
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        throw_errno("raw-tcp connect");
    }
    set_nodelay(fd);
    return fd;
}

/// Reads as much as has arrived and echoes every complete message with one
/// write: one read and one write per 64 B message.
class server_thread {
public:
    server_thread(std::size_t payload_bytes, int cpu) : _listen(listen_loopback(false)), _port(bound_port(_listen)) {
        // Listening already: the client's connect completes before accept().
        _thread = std::thread([this, payload_bytes, cpu] {
            pin_this_thread(cpu);
            alloc::set_thread_role(alloc::role::server);
            try {
                serve(payload_bytes);
            } catch (const std::exception&) {
                // The client sees the connection end and reports it.
            }
        });
    }
    ~server_thread() {
        ::shutdown(_listen, SHUT_RDWR); // wakes a pending accept()
        _thread.join();
        ::close(_listen);
    }
    std::uint16_t port() const { return _port; }

private:
    void serve(std::size_t payload_bytes) {
        int fd = ::accept4(_listen, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) return;
        set_nodelay(fd);
        std::vector<std::byte> buf(2 * (payload_bytes + 4) + 64 * 1024);
        std::size_t have = 0;
        try {
            for (;;) {
                auto r = ::read(fd, buf.data() + have, buf.size() - have);
                if (r < 0 && errno == EINTR) continue;
                if (r <= 0) break;
                have += static_cast<std::size_t>(r);
                std::size_t at = 0;
                while (have - at >= 4) {
                    std::uint32_t len;
                    std::memcpy(&len, buf.data() + at, 4);
                    if (len > payload_bytes) throw std::runtime_error("raw-tcp: message too long");
                    if (have - at < 4 + len) break;
                    at += 4 + len;
                }
                if (at > 0) {
                    write_full(fd, buf.data(), at); // every complete message, in one write
                    std::memmove(buf.data(), buf.data() + at, have - at);
                    have -= at;
                }
            }
        } catch (...) {
            ::close(fd);
            throw;
        }
        ::close(fd);
    }

    int _listen;
    std::uint16_t _port;
    std::thread _thread;
};

cell_result run_cell(const cell_spec& s) {
    server_thread server(s.payload_bytes, s.server_cpu);
    int fd = connect_blocking(server.port());
    auto payload = make_payload(s.payload_bytes);
    std::vector<std::byte> request(4 + s.payload_bytes), reply(4 + s.payload_bytes);
    auto len = static_cast<std::uint32_t>(s.payload_bytes);
    std::memcpy(request.data(), &len, 4);
    std::memcpy(request.data() + 4, payload.data(), payload.size());
    auto call = [&] {
        write_full(fd, request.data(), request.size());
        if (!read_full(fd, reply.data(), reply.size())) throw std::runtime_error("raw-tcp: server closed");
        std::uint32_t back;
        std::memcpy(&back, reply.data(), 4);
        check_echo(back, s.payload_bytes, "raw-tcp");
    };
    cell_result r;
    try {
        r = s.kind == workload_kind::allocations ? measure_allocations(s, call) : measure_sequential(s, call);
    } catch (...) {
        ::close(fd);
        throw;
    }
    ::close(fd); // the server thread sees end of stream and ends
    return r;
}

} // namespace

peer raw_tcp_peer() {
    return {"raw-tcp", "floor", "",
            {workload_kind::sequential, workload_kind::bulk, workload_kind::allocations}, run_cell};
}

} // namespace coronet::bench::rpc_bench
