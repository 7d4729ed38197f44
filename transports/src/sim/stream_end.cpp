#include "stream_end.hpp"

#include <boost/asio/error.hpp>

#include <algorithm>

namespace coronet::sim::detail {

namespace {

/// Where a SYN lands: the listener on that port of the node's live process,
/// or a reset from the host if nobody listens.
void deliver_syn(world& w, node_index server, std::uint16_t port, std::uint64_t connection,
                 const tcp_endpoint& client_at, node_index client_node, std::weak_ptr<stream_end> client) {
    auto& ns = w.at(server);
    auto it = ns.listeners.find(port);
    if (it != ns.listeners.end() && it->second->open) {
        it->second->on_syn(connection, client_at, client_node, std::move(client));
        return;
    }
    w.record("refuse", server, client_node, port);
    w.send(server, client_node, header_bytes, [client] {
        if (auto c = client.lock()) c->on_rst();
    });
}

} // namespace

stream_end::stream_end(incarnation& inc) : resource(inc), w(inc.w) {}

stream_end::~stream_end() = default;

duration stream_end::to_peer(std::size_t bytes, std::function<void(stream_end&)> at_peer) {
    auto& world = w;
    return w.send(here(), peer_node, bytes,
           [&world, target = peer, self = weak_from_this(), from = here(), to = peer_node, at_peer = std::move(at_peer)] {
               if (auto t = target.lock()) {
                   if (!t->peer_known) { // our data overtook the SYN-ACK
                       t->peer = self;
                       t->peer_known = true;
                   }
                   at_peer(*t);
                   return;
               }
               world.record("reset-unknown", to, from);
               world.send(to, from, header_bytes, [self] {
                   if (auto s = self.lock()) s->on_rst();
               });
           });
}

// ---- connecting

void stream_end::connect(const tcp_endpoint& to, stream::connect_handler h) {
    auto fail_now = [&](error_code ec) { w.complete(process, std::move(h), ec); };
    if (!process.alive) return fail_now(process_gone());
    if (closed) return fail_now(asio::error::bad_descriptor);
    if (state != phase::idle) return fail_now(asio::error::already_connected);
    node_index server;
    try {
        server = w.index_of(to.address());
    } catch (const boost::system::system_error& e) {
        return fail_now(e.code());
    }
    auto& ns = w.at(here());
    local = tcp_endpoint(ns.address, ns.ephemeral(ns.listeners));
    remote = to;
    peer_node = server;
    connection = ++w.next_connection;
    state = phase::connecting;
    error = {};
    _connect.park(std::move(h), [weak = weak_from_this()] {
        if (auto s = weak.lock(); s && s->_connect.active()) {
            s->state = phase::idle;
            ++s->_syn_generation;
            s->w.complete(s->process, s->_connect.take(true), asio::error::operation_aborted);
        }
    });
    w.record("connect", here(), server, to.port());
    send_syn();
}

void stream_end::send_syn() {
    ++_syn_attempts;
    auto& world = w;
    w.send(here(), peer_node, header_bytes,
           [&world, server = peer_node, port = remote.port(), connection = connection, client_at = local,
            client_node = here(), self = weak_from_this()] {
               deliver_syn(world, server, port, connection, client_at, client_node, self);
           });
    // SYNs are retried after 1 s, 2 s, 4 s, … like Linux's.
    auto wait = w.options.tcp.syn_rto * (1 << std::min(_syn_attempts - 1, 20));
    w.schedule_after(wait, [self = shared_from_this(), generation = _syn_generation] {
        if (self->state != phase::connecting || generation != self->_syn_generation || self->error) return;
        if (self->_syn_attempts > self->w.options.tcp.syn_retries) return self->fail(asio::error::timed_out);
        ++self->w.stats.retransmissions;
        self->send_syn();
    });
}

void stream_end::on_syn_ack(std::weak_ptr<stream_end> server) {
    if (state != phase::connecting || error) return; // a duplicate, or too late
    state = phase::established;
    ++_syn_generation;
    peer = std::move(server);
    peer_known = true;
    w.record("established", here(), peer_node, connection);
    if (_connect.active()) w.complete(process, _connect.take(), error_code{});
    try_write();
}

void stream_end::accept_from(std::uint64_t conn, const tcp_endpoint& local_at, const tcp_endpoint& remote_at,
                             std::weak_ptr<stream_end> client) {
    connection = conn;
    local = local_at;
    remote = remote_at;
    peer_node = w.index_of(remote_at.address());
    peer = std::move(client);
    peer_known = true;
    state = phase::established;
}

// ---- reading

void stream_end::read_some(asio::mutable_buffer b, stream::io_handler h) {
    if (!process.alive) return w.complete(process, std::move(h), process_gone(), std::size_t{0});
    if (_read.active()) return w.complete(process, std::move(h), asio::error::in_progress, std::size_t{0});
    if (closed) return w.complete(process, std::move(h), asio::error::bad_descriptor, std::size_t{0});
    if (state != phase::established && !error)
        return w.complete(process, std::move(h), asio::error::not_connected, std::size_t{0});
    _read_buffer = b;
    _read.park(std::move(h), [weak = weak_from_this()] {
        if (auto s = weak.lock(); s && s->_read.active())
            s->w.complete(s->process, s->_read.take(true), asio::error::operation_aborted, std::size_t{0});
    });
    try_read();
}

void stream_end::try_read() {
    if (!_read.active()) return;
    auto available = _rx.size() - _rx_pos;
    if (available > 0 || _read_buffer.size() == 0) {
        auto n = std::min(available, _read_buffer.size());
        std::memcpy(_read_buffer.data(), _rx.data() + _rx_pos, n);
        _rx_pos += n;
        _consumed += n;
        if (_rx_pos == _rx.size()) {
            _rx.clear();
            _rx_pos = 0;
        } else if (_rx_pos > 64 * 1024 && _rx_pos * 2 > _rx.size()) {
            _rx.erase(_rx.begin(), _rx.begin() + static_cast<std::ptrdiff_t>(_rx_pos));
            _rx_pos = 0;
        }
        w.complete(process, _read.take(), error_code{}, n);
        if (n > 0) send_ack(); // the window opened
        return;
    }
    if (error) return w.complete(process, _read.take(), error, std::size_t{0});
    if (_fin_received) return w.complete(process, _read.take(), asio::error::eof, std::size_t{0});
}

// ---- writing

void stream_end::write_some(std::span<const asio::const_buffer> b, stream::io_handler h) {
    if (!process.alive) return w.complete(process, std::move(h), process_gone(), std::size_t{0});
    if (_write.active()) return w.complete(process, std::move(h), asio::error::in_progress, std::size_t{0});
    if (closed) return w.complete(process, std::move(h), asio::error::bad_descriptor, std::size_t{0});
    if (error) return w.complete(process, std::move(h), error, std::size_t{0});
    if (send_shut) return w.complete(process, std::move(h), asio::error::shut_down, std::size_t{0});
    if (state == phase::idle) return w.complete(process, std::move(h), asio::error::not_connected, std::size_t{0});
    _write_buffers.assign(b.begin(), b.end());
    _write.park(std::move(h), [weak = weak_from_this()] {
        if (auto s = weak.lock(); s && s->_write.active())
            s->w.complete(s->process, s->_write.take(true), asio::error::operation_aborted, std::size_t{0});
    });
    try_write();
}

void stream_end::try_write() {
    if (!_write.active() || state != phase::established) return;
    std::size_t total = 0;
    for (const auto& b : _write_buffers) total += b.size();
    if (total == 0) return w.complete(process, _write.take(), error_code{}, std::size_t{0});
    const auto& tcp = w.options.tcp;
    auto outstanding = _snd_next - _peer_consumed;
    if (outstanding >= tcp.window) return schedule_probe(); // flow control: wait for the reader
    auto n = std::min({total, tcp.window - static_cast<std::size_t>(outstanding), tcp.segment_bytes});
    auto data = std::make_shared<std::vector<std::byte>>(n);
    std::size_t copied = 0;
    for (const auto& b : _write_buffers) {
        auto k = std::min(b.size(), n - copied);
        std::memcpy(data->data() + copied, b.data(), k);
        copied += k;
        if (copied == n) break;
    }
    queue_segment(segment{_snd_next, std::move(data), false});
    w.complete(process, _write.take(), error_code{}, n);
}

void stream_end::shutdown_send() {
    if (send_shut || error || state != phase::established) return;
    send_shut = true;
    queue_segment(segment{_snd_next, nullptr, true});
}

void stream_end::queue_segment(segment s) {
    auto seq = s.seq;
    _snd_next += s.length();
    if (_rto.count() == 0) _rto = std::clamp(w.options.tcp.rto_initial, w.options.tcp.rto_min, w.options.tcp.rto_max);
    _unacked.emplace(seq, in_flight{std::move(s), 0, _rto, 0, w.now});
    transmit(seq);
}

void stream_end::transmit(std::uint64_t seq) {
    auto& f = _unacked.at(seq);
    f.generation = ++_timer_generation;
    // The timer starts when the segment leaves this host, as in Linux: time
    // spent in our own link's queue is not a sign of loss.
    auto departure = to_peer(header_bytes + (f.seg.data ? f.seg.data->size() : 0),
                             [seg = f.seg](stream_end& p) { p.on_segment(seg); });
    f.sent_at = w.now + departure;
    w.schedule_after(departure + f.rto, [self = shared_from_this(), seq, generation = f.generation] {
        auto it = self->_unacked.find(seq);
        if (it == self->_unacked.end() || it->second.generation != generation || self->error) return;
        auto& f = it->second;
        if (++f.attempts > self->w.options.tcp.retries) return self->fail(asio::error::timed_out);
        f.rto = std::min(f.rto * 2, self->w.options.tcp.rto_max);
        ++self->w.stats.retransmissions;
        self->transmit(seq);
    });
}

void stream_end::schedule_probe() {
    // A lost window update must not stall the sender forever: probe the
    // receiver, which answers with an ack (TCP's persist timer).
    if (_probing) return;
    _probing = true;
    _probe_interval = _probe_interval.count() == 0 ? w.options.tcp.rto_min
                                                    : std::min(_probe_interval * 2, w.options.tcp.rto_max);
    w.schedule_after(_probe_interval, [self = shared_from_this()] {
        self->_probing = false;
        if (self->error || !self->_write.active()) {
            self->_probe_interval = {};
            return;
        }
        self->to_peer(header_bytes, [](stream_end& p) { p.on_probe(); });
        self->schedule_probe();
    });
}

// ---- packets from the peer

void stream_end::on_segment(const segment& s) {
    if (state == phase::connecting && !error) {
        // Data overtook the SYN-ACK: the peer accepted, so we are connected.
        state = phase::established;
        ++_syn_generation;
        if (_connect.active()) w.complete(process, _connect.take(), error_code{});
    }
    if (error) return;
    if (closed && s.data && !s.data->empty()) {
        // Data for a closed socket: the kernel answers with a reset.
        to_peer(header_bytes, [](stream_end& p) { p.on_rst(); });
        fail(asio::error::connection_reset);
        return;
    }
    if (s.seq + s.length() <= _rcv_next) return send_ack(); // a duplicate: re-acknowledge
    if (s.seq != _rcv_next) {
        _out_of_order.emplace(s.seq, s);
        return send_ack();
    }
    auto take = [this](const segment& seg) {
        if (seg.data) _rx.insert(_rx.end(), seg.data->begin(), seg.data->end());
        if (seg.fin) _fin_received = true;
        _rcv_next += seg.length();
    };
    take(s);
    for (auto it = _out_of_order.begin(); it != _out_of_order.end() && it->first <= _rcv_next;
         it = _out_of_order.erase(it))
        if (it->first == _rcv_next) take(it->second);
    send_ack();
    try_read();
}

void stream_end::send_ack() {
    if (error) return;
    to_peer(header_bytes, [acked = _rcv_next, consumed = _consumed](stream_end& p) { p.on_ack(acked, consumed); });
}

void stream_end::on_ack(std::uint64_t acked, std::uint64_t consumed) {
    if (error) return;
    std::optional<duration> rtt;
    while (!_unacked.empty()) {
        auto it = _unacked.begin();
        if (it->first + it->second.seg.length() > acked) break;
        if (it->second.attempts == 0) rtt = w.now - it->second.sent_at; // Karn: never from a retransmission
        _unacked.erase(it);
    }
    if (rtt) sample_rtt(*rtt);
    if (consumed > _peer_consumed) {
        _peer_consumed = consumed;
        _probe_interval = {};
    }
    try_write();
}

void stream_end::on_probe() { send_ack(); }

void stream_end::sample_rtt(duration r) {
    // RFC 6298.
    if (_srtt.count() == 0) {
        _srtt = r;
        _rttvar = r / 2;
    } else {
        auto diff = _srtt > r ? _srtt - r : r - _srtt;
        _rttvar = (_rttvar * 3 + diff) / 4;
        _srtt = (_srtt * 7 + r) / 8;
    }
    _rto = std::clamp(_srtt + 4 * _rttvar, w.options.tcp.rto_min, w.options.tcp.rto_max);
}

void stream_end::on_rst() {
    if (error) return;
    w.record("reset", peer_node, here(), connection);
    fail(state == phase::connecting ? asio::error::connection_refused : asio::error::connection_reset);
}

// ---- ending

void stream_end::fail(error_code ec) {
    if (error) return;
    error = ec;
    _unacked.clear();
    ++_syn_generation;
    w.record("fail", here(), peer_node, static_cast<std::uint64_t>(ec.value()));
    abort_pending(ec);
    release();
}

void stream_end::abort_pending(error_code ec) {
    if (_connect.active()) w.complete(process, _connect.take(), ec);
    if (_read.active()) {
        if (ec == asio::error::operation_aborted || ec == process_gone()) {
            w.complete(process, _read.take(), ec, std::size_t{0});
        } else {
            try_read(); // buffered data is still delivered before the error
        }
    }
    if (_write.active()) w.complete(process, _write.take(), ec, std::size_t{0});
}

void stream_end::cancel() {
    if (_connect.active()) {
        state = phase::idle;
        ++_syn_generation;
    }
    abort_pending(asio::error::operation_aborted);
}

void stream_end::close() {
    if (closed) return;
    cancel();
    closed = true;
    if (state != phase::established || error) {
        release();
        return;
    }
    if (_rx_pos < _rx.size() || !_out_of_order.empty()) {
        // Closing with unread data resets the connection (as Linux does).
        to_peer(header_bytes, [](stream_end& p) { p.on_rst(); });
        error = asio::error::connection_aborted;
        _unacked.clear();
        release();
        return;
    }
    shutdown_send(); // the FIN is retransmitted until acknowledged
}

void stream_end::abort() {
    if (state == phase::established && !error) to_peer(header_bytes, [](stream_end& p) { p.on_rst(); });
    closed = true;
    fail(asio::error::connection_aborted);
}

void stream_end::on_crash() {
    if (state == phase::established && !error) to_peer(header_bytes, [](stream_end& p) { p.on_rst(); });
    error = asio::error::connection_aborted;
    _unacked.clear();
    ++_syn_generation;
    abort_pending(process_gone());
    if (_read.active()) w.complete(process, _read.take(), process_gone(), std::size_t{0});
}

// ---- listening

listener_state::listener_state(incarnation& inc, std::uint16_t port_, std::size_t backlog_)
    : resource(inc), w(inc.w), port(port_), backlog(backlog_) {}

listener_state::~listener_state() { close(); }

void listener_state::accept(listener::accept_handler h) {
    if (!process.alive) return w.complete(process, std::move(h), process_gone(), stream(std::shared_ptr<stream_end>{}));
    if (!open) return w.complete(process, std::move(h), asio::error::bad_descriptor, stream(std::shared_ptr<stream_end>{}));
    if (_accept.active()) return w.complete(process, std::move(h), asio::error::in_progress, stream(std::shared_ptr<stream_end>{}));
    _accept.park(std::move(h), [weak = weak_from_this()] {
        if (auto s = weak.lock(); s && s->_accept.active())
            s->w.complete(s->process, s->_accept.take(true), asio::error::operation_aborted, stream(std::shared_ptr<stream_end>{}));
    });
    try_accept();
}

void listener_state::try_accept() {
    if (!_accept.active() || _ready.empty()) return;
    auto end = std::move(_ready.front());
    _ready.pop_front();
    w.complete(process, _accept.take(), error_code{}, stream(std::move(end)));
}

void listener_state::on_syn(std::uint64_t connection, const tcp_endpoint& client_at, node_index client_node,
                            std::weak_ptr<stream_end> client) {
    std::shared_ptr<stream_end> end;
    if (auto it = _seen.find(connection); it != _seen.end()) {
        end = it->second.lock(); // a retransmitted SYN: answer again
        if (!end) return;
    } else {
        if (_ready.size() >= backlog) {
            w.record("backlog-full", process.node, client_node, port);
            return; // dropped: the client retries
        }
        if (_seen.size() > 4 * backlog + 64)
            std::erase_if(_seen, [](const auto& kv) { return kv.second.expired(); });
        end = std::make_shared<stream_end>(process);
        end->accept_from(connection, tcp_endpoint(w.at(process.node).address, port), client_at, client);
        _seen.emplace(connection, end);
        _ready.push_back(end);
        w.record("syn", client_node, process.node, port);
        try_accept();
    }
    w.send(process.node, client_node, header_bytes, [client, server = std::weak_ptr<stream_end>(end)] {
        if (auto c = client.lock()) c->on_syn_ack(server);
    });
}

void listener_state::cancel() {
    if (_accept.active()) w.complete(process, _accept.take(), asio::error::operation_aborted, stream(std::shared_ptr<stream_end>{}));
}

void listener_state::close() {
    if (!open) return;
    open = false;
    cancel();
    auto& listeners = w.at(process.node).listeners;
    if (auto it = listeners.find(port); it != listeners.end() && it->second == this) listeners.erase(it);
    for (auto& e : _ready) e->abort(); // never accepted: reset, as Linux does
    _ready.clear();
    release();
}

void listener_state::on_crash() {
    open = false;
    if (_accept.active()) w.complete(process, _accept.take(), process_gone(), stream(std::shared_ptr<stream_end>{}));
    _ready.clear(); // their own on_crash resets them
}

} // namespace coronet::sim::detail
