#include "epoll_echo_server.hpp"
#include "socket_util.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <thread>
#include <unordered_map>
#include <vector>

namespace coronet::bench {

namespace {

class epoll_echo final : public running_server {
public:
    explicit epoll_echo(bool busy) : _busy(busy) {
        _listen = listen_loopback(true);
        _port = bound_port(_listen);
        _epoll = ::epoll_create1(EPOLL_CLOEXEC);
        _stop = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        add(_listen, EPOLLIN);
        add(_stop, EPOLLIN);
        _thread = std::thread([this] { loop(); });
    }
    ~epoll_echo() override { stop(); }
    std::uint16_t port() const override { return _port; }
    void stop() override {
        if (!_thread.joinable()) return;
        std::uint64_t one = 1;
        [[maybe_unused]] auto r = ::write(_stop, &one, sizeof one);
        _thread.join();
        for (auto& [fd, c] : _conns) ::close(fd);
        ::close(_listen);
        ::close(_epoll);
        ::close(_stop);
    }

private:
    struct conn {
        std::vector<char> pending; // echo bytes the socket would not take yet
    };
    void add(int fd, std::uint32_t events) {
        epoll_event ev{};
        ev.events = events;
        ev.data.fd = fd;
        ::epoll_ctl(_epoll, EPOLL_CTL_ADD, fd, &ev);
    }
    void modify(int fd, std::uint32_t events) {
        epoll_event ev{};
        ev.events = events;
        ev.data.fd = fd;
        ::epoll_ctl(_epoll, EPOLL_CTL_MOD, fd, &ev);
    }
    void drop(int fd) {
        ::epoll_ctl(_epoll, EPOLL_CTL_DEL, fd, nullptr);
        ::close(fd);
        _conns.erase(fd);
    }
    void loop() {
        std::array<epoll_event, 256> events;
        std::vector<char> buf(64 * 1024);
        for (;;) {
            int n = ::epoll_wait(_epoll, events.data(), static_cast<int>(events.size()), _busy ? 0 : -1);
            for (int i = 0; i < n; ++i) {
                int fd = events[static_cast<std::size_t>(i)].data.fd;
                if (fd == _stop) return;
                if (fd == _listen) {
                    for (int c; (c = ::accept4(_listen, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0;) {
                        set_nodelay(c);
                        _conns.emplace(c, conn{});
                        add(c, EPOLLIN);
                    }
                    continue;
                }
                auto& c = _conns[fd];
                if (!c.pending.empty()) { // EPOLLOUT: flush the backlog before reading more
                    auto w = ::send(fd, c.pending.data(), c.pending.size(), MSG_NOSIGNAL);
                    if (w < 0 && errno != EAGAIN) { drop(fd); continue; }
                    if (w > 0) c.pending.erase(c.pending.begin(), c.pending.begin() + w);
                    if (c.pending.empty()) modify(fd, EPOLLIN);
                    continue;
                }
                auto r = ::recv(fd, buf.data(), buf.size(), 0);
                if (r <= 0) {
                    if (r < 0 && errno == EAGAIN) continue;
                    drop(fd);
                    continue;
                }
                auto w = ::send(fd, buf.data(), static_cast<std::size_t>(r), MSG_NOSIGNAL);
                if (w < 0 && errno != EAGAIN) { drop(fd); continue; }
                if (w < r) {
                    c.pending.assign(buf.data() + (w < 0 ? 0 : w), buf.data() + r);
                    modify(fd, EPOLLOUT);
                }
            }
        }
    }

    bool _busy;
    int _listen = -1, _epoll = -1, _stop = -1;
    std::uint16_t _port = 0;
    std::unordered_map<int, conn> _conns;
    std::thread _thread;
};

} // namespace

std::unique_ptr<running_server> start_epoll_echo(bool busy_poll) { return std::make_unique<epoll_echo>(busy_poll); }

} // namespace coronet::bench
