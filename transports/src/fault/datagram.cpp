#include <coronet/timer.hpp>
#include <coronet/transports/fault/datagram.hpp>

#include <boost/asio/append.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/consign.hpp>
#include <boost/asio/post.hpp>

#include <list>

namespace coronet::fault {

namespace detail {

using boost::system::error_code;
using payload = std::shared_ptr<const std::vector<char>>;
using io_handler = datagram_socket::io_handler;

class datagram_core : public std::enable_shared_from_this<datagram_core> {
    // Owns the udp socket and the datagrams the plan holds back. Timers hold
    // the core weakly: when the socket goes, its pending delays just end.
public:
    datagram_core(udp::socket s, std::shared_ptr<fault::plan> p, clock& c)
        : socket(std::move(s)), plan(std::move(p)), clk(c) {
        if (!plan) throw std::invalid_argument("fault::datagram_socket: no plan");
    }

    void send_to(asio::const_buffer b, const asio::ip::udp::endpoint& to, io_handler h, std::shared_ptr<void> keep);
    void receive_from(asio::mutable_buffer b, asio::ip::udp::endpoint& from, io_handler h);
    void close();
    std::size_t delayed_count() const { return delayed.size() + held.size(); }

    udp::socket socket;
    std::shared_ptr<fault::plan> plan;
    clock& clk;

private:
    struct delayed_datagram {
        std::uint64_t id;
        payload bytes;
        asio::ip::udp::endpoint to;
        bool hold_back;
        coronet::timer timer;
    };
    struct held_datagram {
        payload bytes;
        asio::ip::udp::endpoint to;
    };

    void complete_now(io_handler h, std::size_t n) {
        // Never from inside the initiating call (the stream contract).
        asio::post(socket.get_executor(), asio::append(std::move(h), error_code{}, n));
    }
    void schedule(payload bytes, const asio::ip::udp::endpoint& to, duration after, bool hold_back);
    void on_due(std::uint64_t id);
    void emit(const payload& bytes, const asio::ip::udp::endpoint& to, bool hold_back);
    void release_held();
    void transmit(const payload& bytes, const asio::ip::udp::endpoint& to);

    std::list<delayed_datagram> delayed; // list: each timer keeps its address
    std::vector<held_datagram> held;     // sent, in order, right after the next datagram
    std::optional<coronet::timer> held_timer; // releases `held` if no datagram comes
    std::uint64_t next_id = 0;
};

void datagram_core::send_to(asio::const_buffer b, const asio::ip::udp::endpoint& to, io_handler h,
                            std::shared_ptr<void> keep) {
    // Oversize fails as it would without faults, before the plan is asked.
    if (b.size() > socket.datagram_bytes_max() || !socket.is_open())
        return socket.async_send_to(asio::const_buffers_1(b), to, asio::consign(std::move(h), std::move(keep)));
    auto fate = plan->next_datagram(to);
    if (fate.lost) return complete_now(std::move(h), b.size());
    bool untouched = fate.copies == 1 && fate.delay[0] == duration::zero() && !fate.hold_back;
    if (untouched) {
        // The caller's own send, no copy; whatever was held back follows it.
        socket.async_send_to(asio::const_buffers_1(b), to, asio::consign(std::move(h), std::move(keep)));
        release_held();
        return;
    }
    if (delayed_count() + static_cast<std::size_t>(fate.copies) > datagram_socket::delayed_max) {
        plan->count_overflow();
        return complete_now(std::move(h), b.size());
    }
    auto bytes = std::make_shared<const std::vector<char>>(static_cast<const char*>(b.data()),
                                                           static_cast<const char*>(b.data()) + b.size());
    for (int i = 0; i < fate.copies; ++i) {
        auto after = fate.delay[static_cast<std::size_t>(i)];
        bool hold_back = fate.hold_back && i == 0; // the duplicate goes out as it is
        if (after > duration::zero()) schedule(bytes, to, after, hold_back);
        else emit(bytes, to, hold_back);
    }
    complete_now(std::move(h), b.size());
}

void datagram_core::schedule(payload bytes, const asio::ip::udp::endpoint& to, duration after, bool hold_back) {
    auto id = next_id++;
    auto& d = delayed.emplace_back(
        delayed_datagram{id, std::move(bytes), to, hold_back, coronet::timer(socket.get_executor(), clk)});
    d.timer.expires_at(clk.now() + after);
    d.timer.async_wait([weak = weak_from_this(), id](error_code ec) {
        auto self = weak.lock();
        if (!ec && self) self->on_due(id);
    });
}

void datagram_core::on_due(std::uint64_t id) {
    for (auto it = delayed.begin(); it != delayed.end(); ++it) {
        if (it->id != id) continue;
        auto bytes = std::move(it->bytes);
        auto to = it->to;
        bool hold_back = it->hold_back;
        delayed.erase(it); // the timer's wait has completed: destroying it is safe
        emit(bytes, to, hold_back);
        return;
    }
}

void datagram_core::emit(const payload& bytes, const asio::ip::udp::endpoint& to, bool hold_back) {
    if (!hold_back) {
        transmit(bytes, to);
        release_held();
        return;
    }
    held.push_back({bytes, to});
    if (held_timer) return; // armed by the first one held
    held_timer.emplace(socket.get_executor(), clk);
    held_timer->expires_at(clk.now() + plan->get().reorder_window);
    held_timer->async_wait([weak = weak_from_this()](error_code ec) {
        auto self = weak.lock();
        if (!ec && self) self->release_held();
    });
}

void datagram_core::release_held() {
    if (held.empty()) return;
    auto out = std::move(held);
    held.clear();
    held_timer.reset(); // aborts its wait if still pending; the handler then does nothing
    for (auto& d : out) transmit(d.bytes, d.to);
}

void datagram_core::transmit(const payload& bytes, const asio::ip::udp::endpoint& to) {
    // Nobody waits for this send: an error (the socket closed meanwhile) is
    // the loss of a datagram in flight, which UDP allows.
    socket.async_send_to(asio::buffer(*bytes), to, [bytes](error_code, std::size_t) {});
}

void datagram_core::receive_from(asio::mutable_buffer b, asio::ip::udp::endpoint& from, io_handler h) {
    asio::async_compose<io_handler, void(error_code, std::size_t)>(
        [self = shared_from_this(), b, &from, started = false](auto& op, error_code ec = {},
                                                                std::size_t n = 0) mutable {
            if (started) {
                // A datagram too large for the buffer is still from someone:
                // a blocked peer's is discarded like any other of theirs.
                bool got_one = !ec || ec == asio::error::message_size;
                if (!got_one || !self->plan->discard_received(from)) return op.complete(ec, n);
            }
            started = true;
            self->socket.async_receive_from(asio::mutable_buffers_1(b), from, std::move(op));
        },
        h, socket.native());
}

void datagram_core::close() {
    delayed.clear(); // destroying the timers aborts their waits
    held.clear();
    held_timer.reset();
    socket.close();
}

} // namespace detail

datagram_socket::datagram_socket(udp::socket next, std::shared_ptr<plan> p) {
    auto& c = clock_of(next.get_executor());
    _core = std::make_shared<detail::datagram_core>(std::move(next), std::move(p), c);
}

datagram_socket::datagram_socket(udp::socket next, std::shared_ptr<plan> p, clock& c)
    : _core(std::make_shared<detail::datagram_core>(std::move(next), std::move(p), c)) {}

datagram_socket::datagram_socket(datagram_socket&&) noexcept = default;

datagram_socket& datagram_socket::operator=(datagram_socket&& other) noexcept {
    if (this != &other) {
        if (_core) _core->close();
        _core = std::move(other._core);
    }
    return *this;
}

datagram_socket::~datagram_socket() {
    if (_core) _core->close();
}

datagram_socket::executor_type datagram_socket::get_executor() { return _core->socket.get_executor(); }
asio::ip::udp::endpoint datagram_socket::local_endpoint() const { return _core->socket.local_endpoint(); }
std::size_t datagram_socket::datagram_bytes_max() const { return _core->socket.datagram_bytes_max(); }
const std::shared_ptr<plan>& datagram_socket::get_plan() const { return _core->plan; }
std::size_t datagram_socket::delayed() const { return _core->delayed_count(); }
void datagram_socket::cancel() { _core->socket.cancel(); }
void datagram_socket::close() { _core->close(); }
bool datagram_socket::is_open() const { return _core && _core->socket.is_open(); }
udp::socket& datagram_socket::next_layer() { return _core->socket; }

void datagram_socket::send_to(detail::datagram_core* c, asio::const_buffer b, const asio::ip::udp::endpoint& to,
                              io_handler h, std::shared_ptr<void> keep) {
    c->send_to(b, to, std::move(h), std::move(keep));
}

void datagram_socket::receive_from(detail::datagram_core* c, asio::mutable_buffer b, asio::ip::udp::endpoint& from,
                                   io_handler h) {
    c->receive_from(b, from, std::move(h));
}

} // namespace coronet::fault
