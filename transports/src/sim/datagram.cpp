#include "pending_op.hpp"
#include "world.hpp"

#include <coronet/transports/sim/datagram.hpp>

#include <boost/asio/error.hpp>
#include <boost/system/system_error.hpp>

#include <cstring>

namespace coronet::sim {

namespace detail {

using boost::system::error_code;
using udp_endpoint = asio::ip::udp::endpoint;

/// UDP and IP headers, counted against bandwidth.
inline constexpr std::size_t datagram_header_bytes = 28;

struct datagram_state final : resource, std::enable_shared_from_this<datagram_state> {
    datagram_state(incarnation& inc, std::uint16_t port_) : resource(inc), w(inc.w), port(port_) {}
    ~datagram_state() override { close(); }

    void arrive(const udp_endpoint& from, std::shared_ptr<const std::vector<std::byte>> bytes) {
        if (!open) return;
        if (_queue.size() >= w.options.datagram_queue_max) {
            ++w.stats.datagrams_overflowed;
            w.record("overflow", process.node, process.node, port);
            return;
        }
        _queue.push_back({from, std::move(bytes)});
        try_receive();
    }

    void receive(asio::mutable_buffer b, udp_endpoint& from, datagram_socket::io_handler h) {
        if (!process.alive) return w.complete(process, std::move(h), process_gone(), std::size_t{0});
        if (!open) return w.complete(process, std::move(h), asio::error::bad_descriptor, std::size_t{0});
        if (_receive.active()) return w.complete(process, std::move(h), asio::error::in_progress, std::size_t{0});
        _buffer = b;
        _from = &from;
        _receive.park(std::move(h), [weak = weak_from_this()] {
            if (auto s = weak.lock(); s && s->_receive.active())
                s->w.complete(s->process, s->_receive.take(true), asio::error::operation_aborted, std::size_t{0});
        });
        try_receive();
    }

    void try_receive() {
        if (!_receive.active() || _queue.empty()) return;
        auto d = std::move(_queue.front());
        _queue.pop_front();
        *_from = d.from;
        auto n = std::min(d.bytes->size(), _buffer.size());
        std::memcpy(_buffer.data(), d.bytes->data(), n);
        // Never silently truncated: the caller learns its buffer was too small.
        error_code ec = d.bytes->size() > _buffer.size() ? error_code(asio::error::message_size) : error_code{};
        w.complete(process, _receive.take(), ec, n);
    }

    void cancel() {
        if (_receive.active()) w.complete(process, _receive.take(), asio::error::operation_aborted, std::size_t{0});
    }

    void close() {
        if (!open) return;
        open = false;
        cancel();
        _queue.clear();
        auto& ports = w.at(process.node).datagram_ports;
        if (auto it = ports.find(port); it != ports.end() && it->second == this) ports.erase(it);
        release();
    }

    void on_crash() override {
        open = false;
        _queue.clear();
        if (_receive.active()) w.complete(process, _receive.take(), process_gone(), std::size_t{0});
    }

    world& w;
    std::uint16_t port;
    bool open = true;

private:
    struct datagram {
        udp_endpoint from;
        std::shared_ptr<const std::vector<std::byte>> bytes;
    };
    std::deque<datagram> _queue;
    pending_op<datagram_socket::io_handler> _receive;
    asio::mutable_buffer _buffer;
    udp_endpoint* _from = nullptr;
};

} // namespace detail

datagram_socket::datagram_socket(const executor_type& ex, std::uint16_t port, std::size_t datagram_bytes_max)
    : _ex(ex), _datagram_bytes_max(std::min(datagram_bytes_max, datagram_bytes_limit)) {
    auto* w = detail::world_of(ex);
    if (!w) throw std::invalid_argument("sim::datagram_socket: the executor is not a sim node's");
    auto& inc = w->process_of_or_throw(ex, "sim::datagram_socket");
    if (!inc.alive) throw boost::system::system_error(detail::process_gone(), "sim::datagram_socket: the node is down");
    auto& ns = w->at(inc.node);
    if (port == 0) port = ns.ephemeral(ns.datagram_ports);
    if (ns.datagram_ports.contains(port))
        throw boost::system::system_error(asio::error::address_in_use,
                                          "sim://" + ns.facade->name() + ":" + std::to_string(port));
    _state = std::make_shared<detail::datagram_state>(inc, port);
    ns.datagram_ports.emplace(port, _state.get());
}

datagram_socket::datagram_socket(datagram_socket&&) noexcept = default;
datagram_socket& datagram_socket::operator=(datagram_socket&& o) noexcept {
    if (this != &o) {
        if (_state) _state->close();
        _ex = std::move(o._ex);
        _state = std::move(o._state);
        _datagram_bytes_max = o._datagram_bytes_max;
    }
    return *this;
}

datagram_socket::~datagram_socket() {
    if (_state) _state->close();
}

asio::ip::udp::endpoint datagram_socket::local_endpoint() const {
    if (!_state) return {};
    return {_state->w.at(_state->process.node).address, _state->port};
}

void datagram_socket::send_to(std::vector<std::byte> bytes, const asio::ip::udp::endpoint& to, io_handler h) {
    if (!_state) return asio::post(_ex, asio::append(std::move(h), asio::error::bad_descriptor, std::size_t{0}));
    auto& s = *_state;
    auto& w = s.w;
    auto fail = [&](boost::system::error_code ec) { w.complete(s.process, std::move(h), ec, std::size_t{0}); };
    if (!s.process.alive) return fail(detail::process_gone());
    if (!s.open) return fail(asio::error::bad_descriptor);
    node_index dest;
    try {
        dest = w.index_of(to.address());
    } catch (const boost::system::system_error& e) {
        return fail(e.code());
    }
    auto from = s.process.node;
    if (bytes.size() > _datagram_bytes_max || bytes.size() > w.path_mtu(from, dest))
        return fail(asio::error::message_size);
    auto n = bytes.size();
    auto payload = std::make_shared<const std::vector<std::byte>>(std::move(bytes));
    w.send(from, dest, n + detail::datagram_header_bytes,
           [&w, dest, port = to.port(), payload, from_at = local_endpoint()] {
               auto& ports = w.at(dest).datagram_ports;
               if (auto it = ports.find(port); it != ports.end()) it->second->arrive(from_at, payload);
           });
    w.complete(s.process, std::move(h), boost::system::error_code{}, n);
}

void datagram_socket::receive_from(asio::mutable_buffer b, asio::ip::udp::endpoint& from, io_handler h) {
    if (!_state) return asio::post(_ex, asio::append(std::move(h), asio::error::bad_descriptor, std::size_t{0}));
    _state->receive(b, from, std::move(h));
}

void datagram_socket::cancel() {
    if (_state) _state->cancel();
}

void datagram_socket::close() {
    if (_state) _state->close();
}

bool datagram_socket::is_open() const { return _state && _state->open; }

} // namespace coronet::sim
