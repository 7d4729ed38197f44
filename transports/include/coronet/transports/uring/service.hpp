#pragma once
// One io_uring per io_context, integrated with Asio's event loop.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/unordered/unordered_flat_set.hpp>

#include <liburing.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace coronet::uring {

namespace asio = boost::asio;

struct options {
    unsigned sq_entries = 512;
    /// Provided receive buffers shared by every stream of the ring (power of two).
    unsigned buffer_count = 1024;
    std::size_t buffer_bytes = 16 * 1024;
    /// A stream that holds this many unread buffers stops receiving until the
    /// application reads, so one slow reader cannot take the whole pool.
    std::size_t stream_buffers_max = 32;
};

/// Why io_uring cannot be used here, in words, or nothing if it can.
std::optional<std::string> unavailable_reason();

class operation {
    // Something the kernel is working on. The service owns it from submission
    // to its final completion (for multishot, the CQE without IORING_CQE_F_MORE),
    // so a stream can be destroyed with operations in flight.
public:
    virtual ~operation() = default;
    // One per send: from Asio's per-thread recycled memory, not malloc.
    static void* operator new(std::size_t bytes);
    static void operator delete(void* p, std::size_t bytes) noexcept;
    /// Handles one CQE; returns true when the service should free the operation
    /// (its final CQE, and nothing will re-submit it).
    virtual bool complete(int result, unsigned flags) = 0;
    /// The provided-buffer pool ran dry earlier and has buffers again.
    virtual void buffers_available() {}
};

class service final : public asio::execution_context::service {
    // The ring lives as long as the io_context. Completions reach Asio through
    // an eventfd registered with the ring: under DEFER_TASKRUN the kernel signals
    // it when it queues completion work for us, and polling the ring fd itself
    // does not wake epoll reliably for deferred work. We then run that work
    // (io_uring_get_events) and dispatch every CQE, inline, in one pass.
    //
    // SQEs prepared while handlers run are submitted once per loop turn by one
    // posted flush. SINGLE_ISSUER ties the ring to one thread: the ring is
    // created disabled and enabled by the first flush, which runs on the thread
    // running the io_context. \warning Run the io_context from one thread.
public:
    using key_type = service;
    static asio::execution_context::id id;

    explicit service(asio::execution_context& ctx);
    service(asio::execution_context& ctx, const options& o);
    ~service() override;

    const options& opts() const { return _options; }
    asio::any_io_executor executor() const { return _ex; }

    /// An SQE for `op` (user_data set); submission is batched. Throws if the
    /// ring is unusable.
    io_uring_sqe* prepare(operation* op);
    /// Asks the kernel to cancel `op` (its final CQE still arrives).
    void cancel(operation* op);
    /// Cancels every operation on `fd`, submitted at once so the fd can be closed.
    void cancel_fd_now(int fd);

    std::uint16_t buffer_group() const { return 0; }
    std::byte* buffer(unsigned id) { return _buffers + static_cast<std::size_t>(id) * _options.buffer_bytes; }
    void recycle_buffer(unsigned id);
    /// Called back (once) when buffers are recycled after the pool ran dry.
    void on_buffers_available(operation* waiter) { _starved.push_back(waiter); }
    void forget_starved(operation* waiter);

    /// Frees an operation the kernel no longer holds (e.g. a starved receive).
    void discard(operation* op);

    std::size_t in_flight() const { return _ops.size(); }

private:
    void shutdown() override;
    void init_ring();
    void schedule_flush();
    void flush();
    void submit_now();
    void drain();
    void arm_wakeup();
    void release(operation* op);

    options _options;
    asio::any_io_executor _ex;
    io_uring _ring{};
    bool _ring_ready = false;
    bool _enabled = false;
    bool _defer_taskrun = false;
    bool _flush_scheduled = false;
    bool _wakeup_armed = false;
    bool _draining = false;
    int _eventfd = -1;
    std::optional<asio::posix::stream_descriptor> _wakeup;
    std::uint64_t _wakeup_value = 0;
    io_uring_buf_ring* _buf_ring = nullptr;
    std::byte* _buffers = nullptr;
    boost::unordered_flat_set<operation*> _ops; // every operation the kernel may still complete
    std::vector<operation*> _starved;
};

/// The service of the io_context behind `ex` (made on first use, with default
/// options unless configure() ran first).
service& use_service(const asio::any_io_executor& ex);
/// Sets the options of `ctx`'s ring; call before any uring:// object is made on it.
void configure(asio::io_context& ctx, const options& o);

/// A system_error for a negative CQE result, with Asio's error codes.
boost::system::error_code to_error(int negative_result);

} // namespace coronet::uring
