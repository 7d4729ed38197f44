#include <coronet/transports/uring/listener.hpp>
#include <coronet/transports/url.hpp>

#include <boost/asio/append.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/system/system_error.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <deque>
#include <optional>

namespace coronet::uring {

using boost::system::error_code;

namespace detail {

class accept_op;

class listener_state : public std::enable_shared_from_this<listener_state> {
public:
    listener_state(service& s, asio::any_io_executor e, int f) : svc(s), ex(std::move(e)), fd(f) {}
    ~listener_state() {
        for (int c : ready) ::close(c);
    }

    void arm();
    void deliver(bool inline_ok);
    void abort();

    service& svc;
    asio::any_io_executor ex;
    int fd;
    accept_op* op = nullptr; // persistent; owned by the service
    bool accepting = false;
    bool paused = false;
    std::deque<int> ready; // accepted, not yet handed out
    error_code error;      // reported to the next accept, then cleared
    std::optional<listener::accept_handler> pending;
    asio::cancellation_slot slot;
};

class accept_op final : public operation {
public:
    explicit accept_op(std::shared_ptr<listener_state> s) : _s(std::move(s)) {}

    bool complete(int res, unsigned flags) override {
        auto& s = *_s;
        if (res >= 0) {
            int one = 1;
            ::setsockopt(res, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            if (s.fd < 0) ::close(res);
            else s.ready.push_back(res);
        } else if (res != -ECANCELED) {
            s.error = to_error(res); // EMFILE etc.: tell the application, re-arm on its next accept
        }
        if (!(flags & IORING_CQE_F_MORE)) {
            s.accepting = false;
            if (s.fd < 0) {
                s.op = nullptr;
                return true;
            }
        } else if (s.ready.size() >= listener::accepted_max && !s.paused) {
            s.paused = true;
            s.svc.cancel(this);
        }
        s.deliver(true);
        return false;
    }

private:
    std::shared_ptr<listener_state> _s;
};

void listener_state::arm() {
    if (accepting || fd < 0) return;
    if (!op) op = new accept_op(shared_from_this());
    auto* sqe = svc.prepare(op);
    io_uring_prep_multishot_accept(sqe, fd, nullptr, nullptr, SOCK_CLOEXEC);
    accepting = true;
}

void listener_state::deliver(bool inline_ok) {
    if (!pending) return;
    error_code ec;
    int accepted = -1;
    if (!ready.empty()) {
        accepted = ready.front();
        ready.pop_front();
    } else if (error) {
        ec = error;
        error.clear();
    } else if (fd < 0) {
        ec = asio::error::bad_descriptor;
    } else {
        return;
    }
    if (slot.is_connected()) slot.clear();
    auto h = std::move(*pending);
    pending.reset();
    if (paused && ready.size() <= listener::accepted_max / 2 && !accepting && fd >= 0) {
        paused = false;
        arm();
    }
    stream s(ex, accepted);
    if (inline_ok) asio::dispatch(ex, asio::append(std::move(h), ec, std::move(s)));
    else asio::post(ex, asio::append(std::move(h), ec, std::move(s)));
}

void listener_state::abort() {
    if (!pending) return;
    if (slot.is_connected()) slot.clear();
    auto h = std::move(*pending);
    pending.reset();
    asio::post(ex, asio::append(std::move(h), error_code(asio::error::operation_aborted), stream(ex)));
}

} // namespace detail

listener::listener(const executor_type& ex, const asio::ip::tcp::endpoint& at, int backlog) : _ex(ex) {
    auto where = make_url(scheme::uring, at.address(), at.port());
    auto& svc = use_service(ex); // throws, naming the cause, if io_uring is unavailable
    int fd = ::socket(at.protocol().family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
    auto fail = [&](const char* what) {
        error_code ec(errno, boost::system::system_category());
        if (fd >= 0) ::close(fd);
        throw boost::system::system_error(ec, where + ": " + what);
    };
    if (fd < 0) fail("cannot open socket");
    int one = 1;
    if (::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) fail("cannot set SO_REUSEADDR");
    if (::bind(fd, at.data(), static_cast<socklen_t>(at.size())) != 0) fail("cannot listen");
    if (::listen(fd, backlog) != 0) fail("cannot listen");
    _state = std::make_shared<detail::listener_state>(svc, ex, fd);
}

listener::listener(listener&&) noexcept = default;

listener& listener::operator=(listener&& other) noexcept {
    if (this != &other) {
        close();
        _ex = std::move(other._ex);
        _state = std::move(other._state);
    }
    return *this;
}

listener::~listener() { close(); }

void listener::start_accept(accept_handler h) {
    auto& s = *_state;
    if (s.pending) {
        asio::post(s.ex, asio::append(std::move(h), error_code(asio::error::in_progress), stream(s.ex)));
        return;
    }
    s.slot = asio::get_associated_cancellation_slot(h);
    s.pending.emplace(std::move(h));
    if (s.slot.is_connected()) {
        std::weak_ptr<detail::listener_state> weak = _state;
        s.slot.assign([weak](asio::cancellation_type) {
            if (auto st = weak.lock()) st->abort();
        });
    }
    if (!s.ready.empty() || s.error || s.fd < 0) s.deliver(false);
    else s.arm();
}

asio::ip::tcp::endpoint listener::local_endpoint() const {
    asio::ip::tcp::endpoint ep;
    socklen_t len = static_cast<socklen_t>(ep.capacity());
    if (!_state || ::getsockname(_state->fd, ep.data(), &len) != 0)
        throw boost::system::system_error(asio::error::bad_descriptor, "uring://: local_endpoint");
    ep.resize(len);
    return ep;
}

void listener::cancel() {
    if (_state) _state->abort();
}

void listener::close() {
    if (!_state || _state->fd < 0) return;
    auto& s = *_state;
    s.abort();
    s.svc.cancel_fd_now(s.fd);
    if (s.op && !s.accepting) {
        s.svc.discard(s.op);
        s.op = nullptr;
    }
    ::close(s.fd);
    s.fd = -1;
    for (int c : s.ready) ::close(c);
    s.ready.clear();
}

} // namespace coronet::uring
