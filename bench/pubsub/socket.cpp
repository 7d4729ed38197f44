#include "socket.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

namespace coronet::bench::pubsub_bench {

namespace {

sockaddr_in loopback(std::uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

[[noreturn]] void fail(const char* what) { throw std::system_error(errno, std::generic_category(), what); }

int remaining_ms(clock::time_point deadline) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - clock::now()).count();
    return left < 0 ? 0 : static_cast<int>(std::min<long long>(left, 1'000'000));
}

} // namespace

tcp_socket tcp_socket::connect(std::uint16_t port, std::chrono::milliseconds timeout) {
    tcp_socket s(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (s._fd < 0) fail("socket");
    auto a = loopback(port);
    if (::connect(s._fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        if (errno != EINPROGRESS) fail("connect");
        if (!s.wait(POLLOUT, after(timeout))) throw std::runtime_error(fmt::format("connect to port {} timed out", port));
        int err = 0;
        socklen_t len = sizeof err;
        ::getsockopt(s._fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) throw std::system_error(err, std::generic_category(), fmt::format("connect to port {}", port));
    }
    int one = 1;
    ::setsockopt(s._fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return s;
}

tcp_socket& tcp_socket::operator=(tcp_socket&& o) noexcept {
    if (this != &o) {
        if (_fd >= 0) ::close(_fd);
        _fd = o._fd;
        o._fd = -1;
    }
    return *this;
}

tcp_socket::~tcp_socket() {
    if (_fd >= 0) ::close(_fd);
}

bool tcp_socket::wait(short events, clock::time_point deadline) {
    for (;;) {
        pollfd p{_fd, events, 0};
        int n = ::poll(&p, 1, remaining_ms(deadline));
        if (n > 0) return true;
        if (n == 0) return false;
        if (errno != EINTR) fail("poll");
    }
}

std::size_t tcp_socket::write_some(std::string_view data) {
    for (;;) {
        auto n = ::send(_fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (n >= 0) return static_cast<std::size_t>(n);
        if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
        if (errno != EINTR) fail("send");
    }
}

void tcp_socket::write_all(std::string_view data, clock::time_point deadline, const char* what) {
    while (!data.empty()) {
        auto n = write_some(data);
        data.remove_prefix(n);
        if (n == 0 && !wait(POLLOUT, deadline)) throw std::runtime_error(std::string(what) + ": write timed out");
    }
}

long tcp_socket::read_some(char* buf, std::size_t n) {
    for (;;) {
        auto got = ::recv(_fd, buf, n, 0);
        if (got >= 0) return got;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return -1;
        if (errno != EINTR) fail("recv");
    }
}

void tcp_socket::read_until(std::string& buf, const std::function<bool(std::string_view)>& done,
                            clock::time_point deadline, const char* what) {
    char chunk[4096];
    while (!done(buf)) {
        auto n = read_some(chunk, sizeof chunk);
        if (n == 0) throw std::runtime_error(std::string(what) + ": the broker closed the connection");
        if (n > 0) {
            buf.append(chunk, static_cast<std::size_t>(n));
            continue;
        }
        if (!wait(POLLIN, deadline)) throw std::runtime_error(std::string(what) + ": no answer in time");
    }
}

std::uint16_t free_port() {
    tcp_socket s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (s.fd() < 0) fail("socket");
    auto a = loopback(0);
    if (::bind(s.fd(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) fail("bind");
    socklen_t len = sizeof a;
    if (::getsockname(s.fd(), reinterpret_cast<sockaddr*>(&a), &len) != 0) fail("getsockname");
    return ntohs(a.sin_port);
}

bool accepts(std::uint16_t port) {
    try {
        tcp_socket::connect(port, std::chrono::milliseconds(200));
        return true;
    } catch (const std::exception&) {
        return false;
    }
}

} // namespace coronet::bench::pubsub_bench
