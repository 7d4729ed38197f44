#include <coronet/timer.hpp>
#include <coronet/transports/fault/stream.hpp>

#include <boost/asio/append.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/post.hpp>

#include <sys/socket.h>

#include <algorithm>
#include <deque>
#include <vector>

namespace coronet::fault {

namespace detail {

using boost::system::error_code;

class stream_core : public std::enable_shared_from_this<stream_core> {
    // The wrapped stream and everything the plan holds back. Owned by the
    // fault::stream, by its operations in flight and, while queued bytes are
    // being sent, by the sender (pump), so close() can linger.
public:
    stream_core(any_stream n, int fd_, std::optional<asio::ip::tcp::endpoint> local_,
                std::optional<asio::ip::tcp::endpoint> remote_, std::shared_ptr<fault::plan> p, clock& c)
        : next(std::move(n)), fd(fd_), local(local_), remote(remote_), plan(std::move(p)), clk(c),
          read_timer(next.get_executor(), c), write_timer(next.get_executor(), c),
          flush_timer(next.get_executor(), c) {
        if (!plan) throw std::invalid_argument("fault::stream: no plan");
    }

    bool blocked() const { return remote && plan->blocks(remote->address(), remote->port()); }
    bool reset_after_reached() const {
        auto limit = plan->get().reset_after;
        return limit && sent >= *limit;
    }

    /// Waits on `t` until `until`, cancellable through the operation's slot
    /// as well as by cancel() (a manual_clock timer ignores slots).
    template <class Op>
    void wait(Op& op, coronet::timer& t, time_point until) {
        t.expires_at(until);
        // Boxed first: boxing installs its own handler in the operation's
        // slot, so ours goes in the box's slot, the innermost one.
        asio::any_completion_handler<void(error_code)> h(std::move(op));
        if (auto slot = h.get_cancellation_slot(); slot.is_connected())
            slot.assign([weak = weak_from_this(), timer = &t](asio::cancellation_type) {
                if (auto self = weak.lock()) timer->cancel();
            });
        t.async_wait(std::move(h));
    }
    time_point poll_at() const { return clk.now() + stream::poll_interval; }

    /// Copies `n` bytes of `g` to the back of the queue and starts sending.
    void enqueue(const stream::gather& g, std::size_t n, duration hold);
    void stash(asio::const_buffer bytes, error_code ec) {
        stashed.assign(static_cast<const char*>(bytes.data()), static_cast<const char*>(bytes.data()) + bytes.size());
        stashed_ec = ec;
    }
    bool has_stash() const { return !stashed.empty() || stashed_ec; }
    std::pair<error_code, std::size_t> take_stash(asio::mutable_buffer b);

    void reset();
    void shutdown(asio::socket_base::shutdown_type what);
    void cancel();
    void close();

    any_stream next;
    int fd;
    std::optional<asio::ip::tcp::endpoint> local, remote;
    std::shared_ptr<fault::plan> plan;
    clock& clk;
    coronet::timer read_timer, write_timer, flush_timer;

    struct chunk {
        std::vector<char> bytes;
        std::size_t offset = 0;
        time_point due;
    };
    std::deque<chunk> queue;
    std::size_t queued = 0;
    std::uint64_t sent = 0; // accepted from writes: what reset_after counts
    error_code deferred;    // the sender's failure, reported by the next write
    // What a read took off the socket while cut off and then was cancelled:
    // the next read returns it, so no byte is lost.
    std::vector<char> stashed;
    error_code stashed_ec;
    time_point linger_until = time_point::max();
    bool flushing = false;
    bool reset_when_flushed = false;
    bool shutdown_when_flushed = false;
    bool close_when_flushed = false;
    bool send_shut = false;
    bool was_reset = false;
    bool user_closed = false;

private:
    static void pump(std::shared_ptr<stream_core> self);
    void finish_flush();
};

void stream_core::enqueue(const stream::gather& g, std::size_t n, duration hold) {
    chunk c;
    c.bytes.resize(n);
    asio::buffer_copy(asio::buffer(c.bytes), g, n);
    c.due = clk.now() + hold;
    if (!queue.empty()) c.due = std::max(c.due, queue.back().due); // bytes never overtake
    queued += n;
    sent += n;
    queue.push_back(std::move(c));
    if (reset_after_reached()) reset_when_flushed = true;
    if (!flushing) {
        flushing = true;
        pump(shared_from_this());
    }
}

void stream_core::pump(std::shared_ptr<stream_core> self) {
    auto& c = *self;
    if (c.was_reset) {
        c.flushing = false;
        return;
    }
    bool gave_up = c.close_when_flushed && c.clk.now() >= c.linger_until;
    if (c.queue.empty() || gave_up) {
        c.queue.clear();
        c.queued = 0;
        return c.finish_flush();
    }
    auto& front = c.queue.front();
    auto now = c.clk.now();
    std::optional<time_point> wake;
    if (now < front.due) wake = front.due;
    else if (c.blocked()) wake = now + stream::poll_interval;
    if (wake) {
        c.flush_timer.expires_at(std::min(*wake, c.linger_until));
        // Only reset() cancels this timer, and pump() stops on was_reset.
        c.flush_timer.async_wait([self](error_code) { pump(self); });
        return;
    }
    c.next.async_write_some(
        asio::buffer(front.bytes.data() + front.offset, front.bytes.size() - front.offset),
        [self](error_code ec, std::size_t n) {
            auto& c = *self;
            if (c.was_reset) {
                c.flushing = false;
                return;
            }
            // cancel() and close() abort every operation on the socket, this
            // one too, though they are meant for the caller's: send again.
            if (ec == asio::error::operation_aborted && c.next.is_open()) return pump(self);
            if (ec) {
                c.deferred = ec;
                c.queue.clear();
                c.queued = 0;
                c.shutdown_when_flushed = false;
                return c.finish_flush();
            }
            auto& front = c.queue.front();
            front.offset += n;
            c.queued -= n;
            if (front.offset == front.bytes.size()) c.queue.pop_front();
            pump(self);
        });
}

void stream_core::finish_flush() {
    flushing = false;
    if (reset_when_flushed) return reset();
    if (shutdown_when_flushed) {
        shutdown_when_flushed = false;
        next.shutdown(asio::socket_base::shutdown_send);
    }
    if (close_when_flushed) next.close();
}

std::pair<error_code, std::size_t> stream_core::take_stash(asio::mutable_buffer b) {
    if (!stashed.empty()) {
        auto n = asio::buffer_copy(b, asio::buffer(stashed));
        stashed.erase(stashed.begin(), stashed.begin() + static_cast<std::ptrdiff_t>(n));
        return {error_code{}, n};
    }
    return {std::exchange(stashed_ec, {}), 0};
}

void stream_core::reset() {
    if (was_reset) return;
    was_reset = true;
    plan->count_reset();
    // The fd is ours while the socket is open: setting SO_LINGER {1, 0} makes
    // close() send an RST and drop unsent data, i.e. abort the connection.
    if (fd >= 0 && next.is_open()) {
        ::linger l{1, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    }
    queue.clear();
    queued = 0;
    stashed.clear();
    stashed_ec = {};
    read_timer.cancel();
    write_timer.cancel();
    flush_timer.cancel();
    next.close();
}

void stream_core::shutdown(asio::socket_base::shutdown_type what) {
    if (was_reset || user_closed) return;
    if (what != asio::socket_base::shutdown_receive) send_shut = true;
    if (send_shut && flushing) {
        // The FIN goes after the queued bytes.
        shutdown_when_flushed = true;
        if (what == asio::socket_base::shutdown_both) next.shutdown(asio::socket_base::shutdown_receive);
        return;
    }
    next.shutdown(what);
}

void stream_core::cancel() {
    read_timer.cancel();
    write_timer.cancel();
    if (!was_reset) next.cancel();
}

void stream_core::close() {
    if (user_closed) return;
    user_closed = true;
    read_timer.cancel();
    write_timer.cancel();
    if (was_reset) return; // already closed
    if (flushing) {
        close_when_flushed = true;
        linger_until = clk.now() + stream::linger_max;
        next.cancel(); // the caller's pending operations end now; the sender goes on
        return;
    }
    next.close();
}

/// The first `n` bytes of `g`.
stream::gather prefix(const stream::gather& g, std::size_t n) {
    stream::gather out;
    for (auto& b : g) {
        if (n == 0) break;
        auto k = std::min(n, b.size());
        out.buffers[out.count++] = asio::const_buffer(b.data(), k);
        n -= k;
    }
    return out;
}

/// Shared by both operations: completions of the initiating call are posted
/// (the stream contract), and an abort caused by reset() is reported as the
/// reset it is.
struct op_base {
    std::shared_ptr<stream_core> c;
    bool posted = false;

    template <class Self>
    void post(Self& self, error_code ec, std::size_t n = 0) {
        posted = true;
        auto ex = c->next.get_executor();
        asio::post(ex, asio::append(std::move(self), ec, n));
    }
    template <class Self>
    void finish(Self& self, error_code ec, std::size_t n) {
        if (ec == asio::error::operation_aborted && c->was_reset) ec = asio::error::connection_reset;
        self.complete(ec, n);
    }
};

struct read_op : op_base {
    asio::mutable_buffer b;
    enum class phase { start, wait_open, reading, holding } at = phase::start;
    error_code held_ec;
    std::size_t held_n = 0;

    template <class Self>
    void operator()(Self& self, error_code ec = {}, std::size_t n = 0) {
        if (posted) return self.complete(ec, n);
        switch (at) {
        case phase::start:
            if (c->was_reset) return post(self, asio::error::connection_reset);
            if (c->user_closed) return post(self, asio::error::bad_descriptor);
            if (b.size() == 0) return post(self, {});
            return step(self, true);
        case phase::wait_open:
            if (ec) return finish(self, ec, 0);
            return step(self, false);
        case phase::reading:
            // Arrived through a cable cut meanwhile: held until it heals.
            if (ec != asio::error::operation_aborted && !c->was_reset && c->blocked()) {
                held_ec = ec;
                held_n = n;
                at = phase::holding;
                return c->wait(self, c->read_timer, c->poll_at());
            }
            return finish(self, ec, n);
        case phase::holding:
            if (ec) {
                if (!c->was_reset) c->stash(asio::buffer(b.data(), held_n), held_ec);
                return finish(self, ec, 0);
            }
            if (c->blocked()) return c->wait(self, c->read_timer, c->poll_at());
            return finish(self, held_ec, held_n);
        }
    }

    template <class Self>
    void step(Self& self, bool initiating) {
        if (c->blocked()) {
            at = phase::wait_open;
            return c->wait(self, c->read_timer, c->poll_at());
        }
        if (c->has_stash()) {
            auto [ec, n] = c->take_stash(b);
            return initiating ? post(self, ec, n) : finish(self, ec, n);
        }
        at = phase::reading;
        c->next.async_read_some(asio::mutable_buffers_1(b), std::move(self));
    }
};

struct write_op : op_base {
    stream::gather g;
    enum class phase { start, direct, wait_room } at = phase::start;
    std::size_t take = 0;
    duration hold{};

    template <class Self>
    void operator()(Self& self, error_code ec = {}, std::size_t n = 0) {
        if (posted) return self.complete(ec, n);
        switch (at) {
        case phase::start:
            return start(self);
        case phase::direct:
            c->sent += n;
            // The peer now has exactly reset_after bytes: abort.
            if (!ec && c->reset_after_reached()) c->reset();
            return finish(self, ec, n);
        case phase::wait_room:
            if (ec) return finish(self, ec, 0);
            return enqueue(self, false);
        }
    }

    template <class Self>
    void start(Self& self) {
        if (c->was_reset || c->reset_when_flushed) return post(self, asio::error::connection_reset);
        if (c->user_closed) return post(self, asio::error::bad_descriptor);
        if (c->send_shut) return post(self, asio::error::broken_pipe);
        if (c->deferred) return post(self, c->deferred);
        auto total = asio::buffer_size(g);
        if (total == 0) return post(self, {});
        auto fate = c->plan->next_write(c->sent);
        if (fate.reset) {
            c->reset();
            return post(self, asio::error::connection_reset);
        }
        take = static_cast<std::size_t>(std::min<std::uint64_t>(total, fate.bytes_max));
        hold = fate.hold;
        if (!c->flushing && hold == duration::zero() && !c->blocked()) {
            // Nothing to hold back: the caller's buffers go straight out.
            at = phase::direct;
            return c->next.async_write_some(prefix(g, take), std::move(self));
        }
        enqueue(self, true);
    }

    template <class Self>
    void enqueue(Self& self, bool initiating) {
        auto room = stream::queued_bytes_max - std::min(c->queued, stream::queued_bytes_max);
        if (room == 0) {
            at = phase::wait_room;
            return c->wait(self, c->write_timer, c->poll_at());
        }
        auto k = std::min(take, room);
        c->enqueue(g, k, hold);
        if (initiating) return post(self, {}, k);
        finish(self, {}, k);
    }
};

} // namespace detail

stream::stream(erased e, std::shared_ptr<plan> p, clock* c) {
    auto& clk = c ? *c : clock_of(e.next.get_executor());
    _core = std::make_shared<detail::stream_core>(std::move(e.next), e.fd, e.local, e.remote, std::move(p), clk);
}

stream::stream(stream&&) noexcept = default;

stream& stream::operator=(stream&& other) noexcept {
    if (this != &other) {
        if (_core) _core->close();
        _core = std::move(other._core);
    }
    return *this;
}

stream::~stream() {
    if (_core) _core->close();
}

stream::executor_type stream::get_executor() { return _core->next.get_executor(); }
const std::shared_ptr<plan>& stream::get_plan() const { return _core->plan; }
std::size_t stream::queued() const { return _core->queued; }
void stream::shutdown(asio::socket_base::shutdown_type what) { _core->shutdown(what); }
void stream::cancel() { _core->cancel(); }
void stream::close() { _core->close(); }
bool stream::is_open() const { return _core && !_core->user_closed; }

asio::ip::tcp::endpoint stream::local_endpoint() const {
    return _core->local ? *_core->local : _core->next.local_endpoint();
}

asio::ip::tcp::endpoint stream::remote_endpoint() const {
    return _core->remote ? *_core->remote : _core->next.remote_endpoint();
}

void stream::read_some(detail::stream_core* c, asio::mutable_buffer b, io_handler h) {
    auto ex = c->next.get_executor();
    detail::read_op op;
    op.c = c->shared_from_this();
    op.b = b;
    asio::async_compose<io_handler, void(boost::system::error_code, std::size_t)>(std::move(op), h, ex);
}

void stream::write_some(detail::stream_core* c, const gather& g, io_handler h) {
    auto ex = c->next.get_executor();
    detail::write_op op;
    op.c = c->shared_from_this();
    op.g = g;
    asio::async_compose<io_handler, void(boost::system::error_code, std::size_t)>(std::move(op), h, ex);
}

} // namespace coronet::fault
