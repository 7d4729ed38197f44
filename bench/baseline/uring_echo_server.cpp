#include "uring_echo_server.hpp"
#include "socket_util.hpp"

#include <liburing.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <deque>
#include <future>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <vector>

namespace coronet::bench {

namespace {

enum kind : std::uint64_t { accept_kind = 1, recv_kind = 2, send_kind = 3, stop_kind = 4 };
constexpr unsigned buffer_count = 1024;
constexpr unsigned buffer_bytes = 16 * 1024;
constexpr int group = 1;

std::uint64_t tag(kind k, int fd) { return (static_cast<std::uint64_t>(k) << 56) | static_cast<std::uint32_t>(fd); }

class uring_echo final : public running_server {
public:
    explicit uring_echo(bool busy) : _busy(busy) {
        _listen = listen_loopback(false);
        _port = bound_port(_listen);
        _stop = ::eventfd(0, EFD_CLOEXEC);
        std::promise<void> ready;
        auto started = ready.get_future();
        _thread = std::thread([this, &ready] {
            try {
                setup(); // on this thread: SINGLE_ISSUER binds the ring to its creator
                ready.set_value();
            } catch (...) {
                ready.set_exception(std::current_exception());
                return;
            }
            loop();
            teardown();
        });
        try {
            started.get();
        } catch (...) {
            _thread.join();
            throw;
        }
    }
    ~uring_echo() override { stop(); }
    std::uint16_t port() const override { return _port; }
    void stop() override {
        if (!_thread.joinable()) return;
        std::uint64_t one = 1;
        [[maybe_unused]] auto r = ::write(_stop, &one, sizeof one);
        _thread.join();
        ::close(_listen);
        ::close(_stop);
    }

private:
    struct piece {
        unsigned id;
        unsigned offset;
        unsigned size;
    };
    struct conn {
        std::deque<piece> out; // received, echoing in order: one SEND in flight at a time
        bool sending = false;
        bool closing = false;
    };

    void setup() {
        if (io_uring_queue_init(4096, &_ring, IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN) < 0 &&
            io_uring_queue_init(4096, &_ring, 0) < 0)
            throw std::runtime_error("uring-raw: io_uring_queue_init failed");
        _br_bytes = buffer_count * sizeof(io_uring_buf);
        _br = static_cast<io_uring_buf_ring*>(
            mmap(nullptr, _br_bytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0));
        io_uring_buf_ring_init(_br);
        io_uring_buf_reg reg{};
        reg.ring_addr = reinterpret_cast<std::uint64_t>(_br);
        reg.ring_entries = buffer_count;
        reg.bgid = group;
        if (io_uring_register_buf_ring(&_ring, &reg, 0) < 0) throw std::runtime_error("uring-raw: buffer ring");
        _mem = static_cast<char*>(std::aligned_alloc(4096, std::size_t{buffer_count} * buffer_bytes));
        for (unsigned i = 0; i < buffer_count; ++i)
            io_uring_buf_ring_add(_br, _mem + std::size_t{i} * buffer_bytes, buffer_bytes,
                                  static_cast<unsigned short>(i), io_uring_buf_ring_mask(buffer_count),
                                  static_cast<int>(i));
        io_uring_buf_ring_advance(_br, buffer_count);
        arm_accept();
        auto* sqe = io_uring_get_sqe(&_ring);
        io_uring_prep_read(sqe, _stop, &_stop_value, sizeof _stop_value, 0);
        io_uring_sqe_set_data64(sqe, tag(stop_kind, _stop));
    }
    void teardown() {
        for (auto& [fd, c] : _conns) ::close(fd);
        io_uring_queue_exit(&_ring);
        munmap(_br, _br_bytes);
        std::free(_mem);
    }
    io_uring_sqe* sqe() {
        auto* s = io_uring_get_sqe(&_ring);
        if (!s) {
            io_uring_submit(&_ring);
            s = io_uring_get_sqe(&_ring);
        }
        return s;
    }
    void arm_accept() {
        auto* s = sqe();
        io_uring_prep_multishot_accept(s, _listen, nullptr, nullptr, 0);
        io_uring_sqe_set_data64(s, tag(accept_kind, _listen));
    }
    void arm_recv(int fd) {
        auto* s = sqe();
        io_uring_prep_recv_multishot(s, fd, nullptr, 0, 0);
        s->flags |= IOSQE_BUFFER_SELECT;
        s->buf_group = group;
        io_uring_sqe_set_data64(s, tag(recv_kind, fd));
    }
    void send_front(int fd, conn& c) {
        auto& p = c.out.front();
        auto* s = sqe();
        io_uring_prep_send(s, fd, _mem + std::size_t{p.id} * buffer_bytes + p.offset, p.size - p.offset, MSG_NOSIGNAL);
        io_uring_sqe_set_data64(s, tag(send_kind, fd));
        c.sending = true;
    }
    void recycle(unsigned id) {
        io_uring_buf_ring_add(_br, _mem + std::size_t{id} * buffer_bytes, buffer_bytes, static_cast<unsigned short>(id),
                              io_uring_buf_ring_mask(buffer_count), 0);
        io_uring_buf_ring_advance(_br, 1);
        for (int fd : _starved) arm_recv(fd);
        _starved.clear();
    }
    void close_conn(int fd) {
        auto& c = _conns[fd];
        for (auto& p : c.out) recycle(p.id);
        ::close(fd);
        _conns.erase(fd);
    }
    bool handle(std::uint64_t data, int res, unsigned flags) {
        auto k = static_cast<kind>(data >> 56);
        int fd = static_cast<int>(data & 0xffffffffu);
        bool more = flags & IORING_CQE_F_MORE;
        switch (k) {
        case stop_kind: return false;
        case accept_kind:
            if (res >= 0) {
                set_nodelay(res);
                _conns[res] = conn{};
                arm_recv(res);
            }
            if (!more) arm_accept();
            break;
        case recv_kind: {
            auto it = _conns.find(fd);
            if (it == _conns.end()) {
                if (res > 0) recycle(flags >> IORING_CQE_BUFFER_SHIFT);
                break;
            }
            auto& c = it->second;
            if (res > 0) {
                c.out.push_back({flags >> IORING_CQE_BUFFER_SHIFT, 0, static_cast<unsigned>(res)});
                if (!c.sending) send_front(fd, c);
                if (!more) arm_recv(fd);
            } else if (res == -ENOBUFS) {
                _starved.push_back(fd);
            } else if (!more) {
                if (c.sending) c.closing = true;
                else close_conn(fd);
            }
            break;
        }
        case send_kind: {
            auto it = _conns.find(fd);
            if (it == _conns.end()) break;
            auto& c = it->second;
            c.sending = false;
            if (res < 0) {
                close_conn(fd);
                break;
            }
            auto& p = c.out.front();
            p.offset += static_cast<unsigned>(res);
            if (p.offset == p.size) {
                recycle(p.id);
                c.out.pop_front();
            }
            if (!c.out.empty()) send_front(fd, c);
            else if (c.closing) close_conn(fd);
            break;
        }
        }
        return true;
    }
    void loop() {
        for (;;) {
            if (_busy) io_uring_submit_and_get_events(&_ring);
            else io_uring_submit_and_wait(&_ring, 1);
            io_uring_cqe* cqe;
            unsigned head, seen = 0;
            bool go_on = true;
            io_uring_for_each_cqe(&_ring, head, cqe) {
                ++seen;
                go_on = handle(cqe->user_data, cqe->res, cqe->flags) && go_on;
            }
            io_uring_cq_advance(&_ring, seen);
            if (!go_on) return;
        }
    }

    bool _busy;
    int _listen = -1, _stop = -1;
    std::uint64_t _stop_value = 0;
    std::uint16_t _port = 0;
    io_uring _ring{};
    io_uring_buf_ring* _br = nullptr;
    std::size_t _br_bytes = 0;
    char* _mem = nullptr;
    std::unordered_map<int, conn> _conns;
    std::vector<int> _starved;
    std::thread _thread;
};

} // namespace

std::unique_ptr<running_server> start_uring_echo(bool busy_poll) { return std::make_unique<uring_echo>(busy_poll); }

} // namespace coronet::bench
