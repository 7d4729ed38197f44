#include <coronet/transports/uring/stream.hpp>

#include <boost/asio/append.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/system/system_error.hpp>
#include <boost/unordered/unordered_flat_set.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <deque>
#include <optional>
#include <variant>

namespace coronet::uring {

using boost::system::error_code;
using io_handler = stream::io_handler;

namespace detail {

/// A read's or write's completion handler, of either kind (see stream.hpp).
class io_completion {
public:
    io_completion(io_handler h) : _h(std::move(h)) {}
    io_completion(stream::awaitable_io_handler h) : _h(std::move(h)) {}
    asio::cancellation_slot slot() const {
        return std::visit([](auto& h) { return asio::get_associated_cancellation_slot(h); }, _h);
    }
    /// On `ex`, inline if allowed (we are in a completion), else posted.
    void complete(const asio::any_io_executor& ex, bool inline_ok, error_code ec, std::size_t n) && {
        std::visit(
            [&](auto& h) {
                if constexpr (std::same_as<std::decay_t<decltype(h)>, io_handler>) finish(ex, inline_ok, std::move(h), ec, n);
                else finish(ex, inline_ok, std::move(h), stream::io_result{ec, n});
            },
            _h);
    }

private:
    template <class Handler, class... Args>
    static void finish(const asio::any_io_executor& ex, bool inline_ok, Handler h, Args... args) {
        if (inline_ok) asio::dispatch(ex, asio::append(std::move(h), args...));
        else asio::post(ex, asio::append(std::move(h), args...));
    }
    std::variant<io_handler, stream::awaitable_io_handler> _h;
};

} // namespace detail

namespace detail {

class recv_op;

class stream_state : public std::enable_shared_from_this<stream_state> {
    // Everything a stream's in-flight operations need after the stream object
    // itself may be gone. One executor: no locking.
public:
    stream_state(service& s, asio::any_io_executor e, int f) : svc(s), ex(std::move(e)), fd(f) {}
    ~stream_state() { release_chunks(); }

    void start_read(asio::mutable_buffer b, io_completion h);
    void arm_recv();
    void deliver_read(bool inline_ok);
    void abort_read();
    void release_chunks();
    template <class Handler, class... Args>
    void complete(Handler h, bool inline_ok, Args... args) {
        if (inline_ok) asio::dispatch(ex, asio::append(std::move(h), args...));
        else asio::post(ex, asio::append(std::move(h), args...));
    }

    struct chunk {
        unsigned id;
        std::size_t size;
        std::size_t consumed;
    };

    service& svc;
    asio::any_io_executor ex;
    int fd;
    recv_op* recv = nullptr;   // persistent; owned by the service
    bool receiving = false;    // the multishot receive is in the kernel
    bool paused = false;       // cancelled because the application is behind
    bool starved = false;      // waiting for provided buffers
    std::deque<chunk> chunks;  // received, not yet read
    error_code read_error;     // eof or error, reported once chunks are drained
    std::optional<io_completion> pending_read;
    asio::mutable_buffer read_buffer;
    asio::cancellation_slot read_slot;
    boost::unordered_flat_set<operation*> writes; // sends and connects in the kernel
};

class recv_op final : public operation {
public:
    explicit recv_op(std::shared_ptr<stream_state> s) : _s(std::move(s)) {}

    bool complete(int res, unsigned flags) override {
        auto& s = *_s;
        bool more = flags & IORING_CQE_F_MORE;
        if (res > 0 && (flags & IORING_CQE_F_BUFFER)) {
            unsigned id = flags >> IORING_CQE_BUFFER_SHIFT;
            if (s.fd < 0) s.svc.recycle_buffer(id);
            else s.chunks.push_back({id, static_cast<std::size_t>(res), 0});
        } else if (res == 0) {
            s.read_error = asio::error::eof;
        } else if (res == -ENOBUFS) {
            s.starved = true;
        } else if (res < 0 && res != -ECANCELED) {
            s.read_error = to_error(res);
        }
        if (!more) {
            s.receiving = false;
            if (s.fd < 0 || s.read_error) {
                s.recv = nullptr;
                s.deliver_read(true);
                return true;
            }
            if (s.starved) s.svc.on_buffers_available(this);
            else if (!s.paused) s.arm_recv(); // the kernel ended it (e.g. CQ overflow): carry on
        } else if (s.chunks.size() >= s.svc.opts().stream_buffers_max && !s.paused) {
            s.paused = true; // resumes in deliver_read once the reader catches up
            s.svc.cancel(this);
        }
        s.deliver_read(true);
        return false;
    }

    void buffers_available() override {
        _s->starved = false;
        if (_s->fd >= 0 && !_s->paused) _s->arm_recv();
    }

private:
    std::shared_ptr<stream_state> _s;
};

void stream_state::arm_recv() {
    if (receiving || fd < 0) return;
    if (!recv) recv = new recv_op(shared_from_this());
    auto* sqe = svc.prepare(recv);
    io_uring_prep_recv_multishot(sqe, fd, nullptr, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = svc.buffer_group();
    receiving = true;
}

void stream_state::start_read(asio::mutable_buffer b, io_completion h) {
    if (pending_read) {
        std::move(h).complete(ex, false, asio::error::in_progress, 0);
        return;
    }
    if (fd < 0 && chunks.empty()) {
        std::move(h).complete(ex, false, asio::error::bad_descriptor, 0);
        return;
    }
    read_buffer = b;
    read_slot = h.slot();
    pending_read.emplace(std::move(h));
    if (read_slot.is_connected()) {
        std::weak_ptr<stream_state> weak = shared_from_this();
        read_slot.assign([weak](asio::cancellation_type) {
            if (auto s = weak.lock()) s->abort_read();
        });
    }
    if (!chunks.empty() || read_error || b.size() == 0) deliver_read(false);
    else arm_recv();
}

void stream_state::deliver_read(bool inline_ok) {
    if (!pending_read) return;
    std::size_t n = 0;
    auto* out = static_cast<std::byte*>(read_buffer.data());
    while (n < read_buffer.size() && !chunks.empty()) {
        auto& c = chunks.front();
        auto take = std::min(read_buffer.size() - n, c.size - c.consumed);
        std::memcpy(out + n, svc.buffer(c.id) + c.consumed, take);
        n += take;
        c.consumed += take;
        if (c.consumed == c.size) {
            svc.recycle_buffer(c.id);
            chunks.pop_front();
        }
    }
    error_code ec;
    if (n == 0 && read_buffer.size() > 0) {
        if (!read_error) return; // nothing yet
        ec = read_error;
    }
    if (read_slot.is_connected()) read_slot.clear();
    auto h = std::move(*pending_read);
    pending_read.reset();
    if (paused && chunks.size() <= svc.opts().stream_buffers_max / 2 && !receiving && fd >= 0) {
        paused = false;
        arm_recv();
    }
    std::move(h).complete(ex, inline_ok, ec, n);
}

void stream_state::abort_read() {
    if (!pending_read) return;
    if (read_slot.is_connected()) read_slot.clear();
    auto h = std::move(*pending_read);
    pending_read.reset();
    std::move(h).complete(ex, false, asio::error::operation_aborted, 0);
}

void stream_state::release_chunks() {
    for (auto& c : chunks) svc.recycle_buffer(c.id);
    chunks.clear();
}

class send_op final : public operation {
public:
    send_op(std::shared_ptr<stream_state> s, const stream::iovecs& v, io_completion h)
        : _s(std::move(s)), _v(v), _h(std::move(h)) {
        _msg.msg_iov = _v.items.data();
        _msg.msg_iovlen = _v.count;
    }

    void start() {
        auto* sqe = _s->svc.prepare(this);
        if (_v.count == 1) io_uring_prep_send(sqe, _s->fd, _v.items[0].iov_base, _v.items[0].iov_len, MSG_NOSIGNAL);
        else io_uring_prep_sendmsg(sqe, _s->fd, &_msg, MSG_NOSIGNAL);
        _s->writes.insert(this);
        _slot = _h.slot();
        if (_slot.is_connected()) {
            auto* svc = &_s->svc;
            _slot.assign([svc, this](asio::cancellation_type) { svc->cancel(this); });
        }
    }

    bool complete(int res, unsigned) override {
        _s->writes.erase(this);
        if (_slot.is_connected()) _slot.clear();
        error_code ec = res < 0 ? to_error(res) : error_code{};
        std::move(_h).complete(_s->ex, true, ec, static_cast<std::size_t>(res < 0 ? 0 : res));
        return true;
    }

private:
    std::shared_ptr<stream_state> _s;
    stream::iovecs _v;
    ::msghdr _msg{};
    io_completion _h;
    asio::cancellation_slot _slot;
};

class connect_op final : public operation {
public:
    connect_op(std::shared_ptr<stream_state> s, const asio::ip::tcp::endpoint& peer, stream::connect_handler h)
        : _s(std::move(s)), _peer(peer), _h(std::move(h)) {}

    void start() {
        auto* sqe = _s->svc.prepare(this);
        io_uring_prep_connect(sqe, _s->fd, _peer.data(), static_cast<socklen_t>(_peer.size()));
        _s->writes.insert(this);
        _slot = asio::get_associated_cancellation_slot(_h);
        if (_slot.is_connected()) {
            auto* svc = &_s->svc;
            _slot.assign([svc, this](asio::cancellation_type) { svc->cancel(this); });
        }
    }

    bool complete(int res, unsigned) override {
        _s->writes.erase(this);
        if (_slot.is_connected()) _slot.clear();
        error_code ec = res < 0 ? to_error(res) : error_code{};
        if (!ec && _s->fd >= 0) {
            int one = 1;
            ::setsockopt(_s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        }
        if (ec == asio::error::operation_aborted || ec) {
            if (_s->fd >= 0) ::close(_s->fd);
            _s->fd = -1;
        }
        _s->complete(std::move(_h), true, ec);
        return true;
    }

private:
    std::shared_ptr<stream_state> _s;
    asio::ip::tcp::endpoint _peer; // the kernel reads the address while connecting
    stream::connect_handler _h;
    asio::cancellation_slot _slot;
};

} // namespace detail

stream::stream(const executor_type& ex) : stream(ex, -1) {}

stream::stream(const executor_type& ex, int fd)
    : _ex(ex), _state(std::make_shared<detail::stream_state>(use_service(ex), ex, fd)) {}

stream::stream(stream&&) noexcept = default;

stream& stream::operator=(stream&& other) noexcept {
    if (this != &other) {
        close();
        _ex = std::move(other._ex);
        _state = std::move(other._state);
    }
    return *this;
}

stream::~stream() { close(); }

void stream::start_read(asio::mutable_buffer b, io_handler h) { _state->start_read(b, std::move(h)); }
void stream::start_read(asio::mutable_buffer b, awaitable_io_handler h) { _state->start_read(b, std::move(h)); }

namespace {
void start_send(const std::shared_ptr<detail::stream_state>& state, const stream::iovecs& v, detail::io_completion h) {
    auto& s = *state;
    if (s.fd < 0 || v.count == 0) {
        error_code ec = s.fd < 0 ? error_code(asio::error::bad_descriptor) : error_code{};
        std::move(h).complete(s.ex, false, ec, 0);
        return;
    }
    (new detail::send_op(state, v, std::move(h)))->start();
}
} // namespace

void stream::start_write(const iovecs& v, io_handler h) { start_send(_state, v, std::move(h)); }
void stream::start_write(const iovecs& v, awaitable_io_handler h) { start_send(_state, v, std::move(h)); }

void stream::start_connect(const asio::ip::tcp::endpoint& peer, connect_handler h) {
    auto& s = *_state;
    if (s.fd >= 0) {
        s.complete(std::move(h), false, error_code(asio::error::already_connected));
        return;
    }
    s.fd = ::socket(peer.protocol().family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s.fd < 0) {
        s.complete(std::move(h), false, error_code(errno, boost::system::system_category()));
        return;
    }
    (new detail::connect_op(_state, peer, std::move(h)))->start();
}

void stream::shutdown(asio::socket_base::shutdown_type what) {
    if (_state && _state->fd >= 0) ::shutdown(_state->fd, static_cast<int>(what));
}

void stream::cancel() {
    if (!_state) return;
    auto& s = *_state;
    s.abort_read();
    for (auto* op : std::vector<operation*>(s.writes.begin(), s.writes.end())) s.svc.cancel(op);
}

void stream::close() {
    if (!_state || _state->fd < 0) return;
    auto& s = *_state;
    s.abort_read();
    s.svc.cancel_fd_now(s.fd);
    if (s.recv && !s.receiving) { // parked (paused or starved): nothing in the kernel
        s.svc.discard(s.recv);
        s.recv = nullptr;
    }
    ::close(s.fd);
    s.fd = -1;
    s.release_chunks();
}

bool stream::is_open() const { return _state && _state->fd >= 0; }
int stream::native_handle() const { return _state ? _state->fd : -1; }

namespace {
asio::ip::tcp::endpoint endpoint_of(int fd, bool peer) {
    asio::ip::tcp::endpoint ep;
    socklen_t len = static_cast<socklen_t>(ep.capacity());
    int r = peer ? ::getpeername(fd, ep.data(), &len) : ::getsockname(fd, ep.data(), &len);
    if (r != 0)
        throw boost::system::system_error(error_code(errno, boost::system::system_category()),
                                          peer ? "uring://: remote_endpoint" : "uring://: local_endpoint");
    ep.resize(len);
    return ep;
}
} // namespace

asio::ip::tcp::endpoint stream::local_endpoint() const { return endpoint_of(native_handle(), false); }
asio::ip::tcp::endpoint stream::remote_endpoint() const { return endpoint_of(native_handle(), true); }

} // namespace coronet::uring
