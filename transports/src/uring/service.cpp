#include <coronet/transports/uring/service.hpp>

#include <boost/asio/post.hpp>
#include <boost/asio/recycling_allocator.hpp>
#include <boost/system/system_error.hpp>

#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace coronet::uring {

asio::execution_context::id service::id;

namespace {

// liburing 2.3 declares io_uring_enable_rings but does not export it.
void enable_rings(io_uring& ring) {
    ::syscall(__NR_io_uring_register, ring.ring_fd, IORING_REGISTER_ENABLE_RINGS, nullptr, 0);
}

constexpr unsigned setup_flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_R_DISABLED;
constexpr std::size_t drain_rounds_max = 16; // then yield to other handlers

std::string explain(int err, const char* step) {
    std::string why = std::string(step) + " failed: " + std::strerror(err);
    switch (err) {
    case ENOSYS: why += " (kernel without io_uring)"; break;
    case EPERM:
    case EACCES: why += " (disabled by kernel.io_uring_disabled or a seccomp filter)"; break;
    case ENOMEM: why += " (locked-memory limit too low: raise RLIMIT_MEMLOCK / ulimit -l)"; break;
    case EINVAL: why += " (kernel lacks a needed feature: 6.0+ is required for multishot receive)"; break;
    default: break;
    }
    return why;
}

[[noreturn]] void unavailable(int err, const char* step) {
    throw boost::system::system_error(boost::system::error_code(err, boost::system::system_category()),
                                      "uring://: io_uring is unavailable: " + explain(err, step));
}

int init_ring(io_uring& ring, unsigned entries, bool& deferred) {
    int r = io_uring_queue_init(entries, &ring, setup_flags);
    deferred = r == 0;
    if (r == -EINVAL) r = io_uring_queue_init(entries, &ring, 0); // pre-6.1 kernels: plain ring
    return r;
}

} // namespace

std::optional<std::string> unavailable_reason() {
    io_uring ring{};
    bool deferred = false;
    if (int r = init_ring(ring, 4, deferred); r < 0) return explain(-r, "io_uring_setup");
    // Buffer rings (5.19) and multishot receive (6.0) are what we rely on.
    if (!deferred) {
        io_uring_queue_exit(&ring);
        return std::nullopt; // an older kernel: the ring works, without DEFER_TASKRUN
    }
    enable_rings(ring);
    int err = 0;
    if (auto* p = io_uring_get_probe_ring(&ring)) {
        if (!io_uring_opcode_supported(p, IORING_OP_RECV) || !io_uring_opcode_supported(p, IORING_OP_SEND) ||
            !io_uring_opcode_supported(p, IORING_OP_ACCEPT))
            err = EINVAL;
        io_uring_free_probe(p);
    }
    io_uring_queue_exit(&ring);
    if (err) return explain(err, "io_uring opcode probe");
    return std::nullopt;
}

boost::system::error_code to_error(int negative_result) {
    return {-negative_result, boost::system::system_category()};
}

void* operation::operator new(std::size_t bytes) { return asio::recycling_allocator<std::byte>().allocate(bytes); }

void operation::operator delete(void* p, std::size_t bytes) noexcept {
    asio::recycling_allocator<std::byte>().deallocate(static_cast<std::byte*>(p), bytes);
}

service::service(asio::execution_context& ctx) : service(ctx, options{}) {}

service::service(asio::execution_context& ctx, const options& o)
    : asio::execution_context::service(ctx), _options(o),
      _ex(static_cast<asio::io_context&>(ctx).get_executor()) {
    if (_options.buffer_count == 0 || (_options.buffer_count & (_options.buffer_count - 1)) != 0 ||
        _options.buffer_count > 32768)
        throw std::invalid_argument("uring options: buffer_count must be a power of two up to 32768");
    init_ring();
}

service::~service() { shutdown(); }

void service::init_ring() {
    if (int r = uring::init_ring(_ring, _options.sq_entries, _defer_taskrun); r < 0)
        unavailable(-r, "io_uring_setup");
    _ring_ready = true;
    _enabled = !_defer_taskrun; // a plain ring is not created disabled

    // Provided buffers: the kernel picks one per receive, so idle connections
    // hold no memory.
    auto entries = _options.buffer_count;
    std::size_t ring_bytes = entries * sizeof(io_uring_buf);
    void* mem = mmap(nullptr, ring_bytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    if (mem == MAP_FAILED) unavailable(errno, "mmap of the buffer ring");
    _buf_ring = static_cast<io_uring_buf_ring*>(mem);
    io_uring_buf_ring_init(_buf_ring);
    io_uring_buf_reg reg{};
    reg.ring_addr = reinterpret_cast<std::uint64_t>(_buf_ring);
    reg.ring_entries = entries;
    reg.bgid = buffer_group();
    if (int r = io_uring_register_buf_ring(&_ring, &reg, 0); r < 0) {
        munmap(_buf_ring, ring_bytes);
        _buf_ring = nullptr;
        io_uring_queue_exit(&_ring);
        _ring_ready = false;
        unavailable(-r, "io_uring_register_buf_ring");
    }
    _buffers = static_cast<std::byte*>(std::aligned_alloc(4096, entries * _options.buffer_bytes));
    for (unsigned i = 0; i < entries; ++i)
        io_uring_buf_ring_add(_buf_ring, buffer(i), static_cast<unsigned>(_options.buffer_bytes),
                              static_cast<unsigned short>(i), io_uring_buf_ring_mask(entries), static_cast<int>(i));
    io_uring_buf_ring_advance(_buf_ring, static_cast<int>(entries));

    _eventfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (_eventfd < 0) unavailable(errno, "eventfd");
    if (int r = io_uring_register_eventfd(&_ring, _eventfd); r < 0) unavailable(-r, "io_uring_register_eventfd");
    _wakeup.emplace(_ex, _eventfd); // owns and closes the eventfd
}

io_uring_sqe* service::prepare(operation* op) {
    if (!_ring_ready) throw boost::system::system_error(asio::error::shut_down, "uring://: ring is shut down");
    io_uring_sqe* sqe = io_uring_get_sqe(&_ring);
    if (!sqe) {
        submit_now(); // SQ full: submit what we have, then there is room
        sqe = io_uring_get_sqe(&_ring);
        if (!sqe) throw boost::system::system_error(asio::error::no_buffer_space, "uring://: submission queue full");
    }
    io_uring_sqe_set_data(sqe, op);
    if (op) _ops.insert(op);
    schedule_flush();
    return sqe;
}

void service::cancel(operation* op) {
    if (!_ops.count(op)) return;
    auto* sqe = prepare(nullptr);
    io_uring_prep_cancel(sqe, op, 0);
}

void service::cancel_fd_now(int fd) {
    if (!_ring_ready) return;
    auto* sqe = prepare(nullptr);
    io_uring_prep_cancel_fd(sqe, fd, IORING_ASYNC_CANCEL_ALL);
    // Submitted now: the caller closes fd next, and a cancel naming a closed fd
    // would find nothing, leaving a multishot receive running forever.
    submit_now();
}

void service::submit_now() {
    // Submits without reaping: completions are dispatched by the loop, never
    // inside the caller (which may be an initiating function).
    if (!_enabled) {
        enable_rings(_ring);
        _enabled = true;
    }
    io_uring_submit(&_ring);
    arm_wakeup();
}

void service::recycle_buffer(unsigned id) {
    io_uring_buf_ring_add(_buf_ring, buffer(id), static_cast<unsigned>(_options.buffer_bytes),
                          static_cast<unsigned short>(id), io_uring_buf_ring_mask(_options.buffer_count), 0);
    io_uring_buf_ring_advance(_buf_ring, 1);
    if (!_starved.empty()) {
        auto starved = std::move(_starved);
        _starved.clear();
        for (auto* op : starved) op->buffers_available();
    }
}

void service::forget_starved(operation* waiter) { std::erase(_starved, waiter); }

void service::schedule_flush() {
    if (_flush_scheduled) return;
    _flush_scheduled = true;
    asio::post(_ex, [this] {
        _flush_scheduled = false;
        flush();
    });
}

void service::flush() {
    if (!_ring_ready) return;
    if (!_enabled) {
        enable_rings(_ring); // binds SINGLE_ISSUER to this, the loop's, thread
        _enabled = true;
    }
    if (_defer_taskrun) io_uring_submit_and_get_events(&_ring);
    else io_uring_submit(&_ring);
    drain();
    arm_wakeup();
}

void service::drain() {
    if (_draining) return; // a handler that flushes inside drain(): the outer loop continues
    _draining = true;
    for (std::size_t round = 0; round < drain_rounds_max; ++round) {
        io_uring_cqe* cqe = nullptr;
        unsigned seen = 0;
        while (io_uring_peek_cqe(&_ring, &cqe) == 0 && cqe) {
            auto* op = static_cast<operation*>(io_uring_cqe_get_data(cqe));
            int res = cqe->res;
            unsigned flags = cqe->flags;
            io_uring_cqe_seen(&_ring, cqe);
            ++seen;
            if (op && _ops.count(op) && op->complete(res, flags)) release(op);
        }
        if (io_uring_sq_ready(&_ring) == 0 && seen == 0) break;
        if (_defer_taskrun) io_uring_submit_and_get_events(&_ring);
        else io_uring_submit(&_ring);
    }
    _draining = false;
    if (io_uring_sq_ready(&_ring) > 0 || io_uring_cq_ready(&_ring) > 0) schedule_flush();
}

void service::discard(operation* op) {
    forget_starved(op);
    release(op);
}

void service::release(operation* op) {
    _ops.erase(op);
    delete op;
}

void service::arm_wakeup() {
    if (_wakeup_armed || _ops.empty() || !_wakeup) return;
    _wakeup_armed = true;
    // A read (not a bare readiness wait): Asio tries it at once, so a signal
    // that raced with our last drain is never lost to edge-triggered epoll.
    _wakeup->async_read_some(asio::buffer(&_wakeup_value, sizeof _wakeup_value),
                             [this](boost::system::error_code ec, std::size_t) {
                                 _wakeup_armed = false;
                                 if (ec == asio::error::operation_aborted || !_ring_ready) return;
                                 if (_defer_taskrun) io_uring_get_events(&_ring);
                                 drain();
                                 if (io_uring_sq_ready(&_ring) > 0) flush();
                                 else arm_wakeup();
                             });
}

void service::shutdown() {
    if (!_ring_ready) return;
    // Cancel everything and collect the final CQEs, so no kernel work still
    // points at memory we free. Handlers are destroyed, not invoked (Asio's rule
    // for shutdown).
    if (!_enabled) {
        enable_rings(_ring);
        _enabled = true;
    }
    if (auto* sqe = io_uring_get_sqe(&_ring)) {
        io_uring_prep_cancel(sqe, nullptr, IORING_ASYNC_CANCEL_ANY | IORING_ASYNC_CANCEL_ALL);
        io_uring_sqe_set_data(sqe, nullptr);
    }
    io_uring_submit(&_ring);
    for (int i = 0; i < 100 && !_ops.empty(); ++i) {
        __kernel_timespec ts{0, 10'000'000};
        io_uring_cqe* cqe = nullptr;
        io_uring_submit_and_wait_timeout(&_ring, &cqe, 1, &ts, nullptr);
        while (io_uring_peek_cqe(&_ring, &cqe) == 0 && cqe) {
            auto* op = static_cast<operation*>(io_uring_cqe_get_data(cqe));
            bool final = !(cqe->flags & IORING_CQE_F_MORE);
            io_uring_cqe_seen(&_ring, cqe);
            if (op && final && _ops.erase(op)) delete op;
        }
    }
    for (auto* op : _ops) delete op;
    _ops.clear();
    _starved.clear();
    _wakeup.reset();
    io_uring_queue_exit(&_ring);
    _ring_ready = false;
    if (_buf_ring) munmap(_buf_ring, _options.buffer_count * sizeof(io_uring_buf));
    _buf_ring = nullptr;
    std::free(_buffers);
    _buffers = nullptr;
}

service& use_service(const asio::any_io_executor& ex) {
    auto& ctx = asio::query(ex, asio::execution::context);
    return asio::use_service<service>(ctx);
}

void configure(asio::io_context& ctx, const options& o) {
    if (asio::has_service<service>(ctx))
        throw std::logic_error("uring::configure: the ring of this io_context already exists");
    asio::make_service<service>(ctx, o);
}

} // namespace coronet::uring
