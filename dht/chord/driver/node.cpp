#include <coronet/dht/chord/node.hpp>

#include <coronet/clock.hpp>
#include <coronet/dht/chord/hash.hpp>
#include <coronet/dht/chord/message_codec.hpp>
#include <coronet/timer.hpp>
#include <coronet/transports/endpoint.hpp>
#include <coronet/wait_until.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/address.hpp>

#include <charconv>

namespace coronet::dht::chord {

namespace {

std::string address_of(const asio::ip::udp::endpoint& ep) {
    auto a = ep.address();
    auto host = a.is_v6() ? "[" + a.to_string() + "]" : a.to_string();
    return host + ":" + std::to_string(ep.port());
}

/// "ip:port" or "[v6]:port"; nullopt if it is not one.
std::optional<asio::ip::udp::endpoint> parse_address(std::string_view s) {
    auto colon = s.rfind(':');
    if (colon == std::string_view::npos || colon + 1 == s.size()) return std::nullopt;
    auto host = s.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    std::uint16_t port = 0;
    auto [end, ec] = std::from_chars(s.data() + colon + 1, s.data() + s.size(), port);
    if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
    boost::system::error_code bad;
    auto addr = asio::ip::make_address(std::string(host), bad);
    if (bad) return std::nullopt;
    return asio::ip::udp::endpoint(addr, port);
}

config make_config(const node_options& o, const std::string& address) {
    config c;
    chord::ring r(o.id_bits);
    c.self = peer{hash_id(address, r), address};
    c.id_bits = o.id_bits;
    c.successors = o.successors;
    c.seed = o.seed ^ std::hash<std::string>{}(address);
    if (o.tweak) o.tweak(c);
    return c;
}

} // namespace

node::node(const asio::any_io_executor& ex, node_options o, logger_ptr log)
    : _ex(ex), _options(std::move(o)), _log(log ? std::move(log) : make_logger("dht")),
      _socket(open_datagram(ex, _options.listen)),
      _core(make_config(_options, address_of(_socket.local_endpoint()))), _store(chord::ring(_options.id_bits)),
      _join_wake(ex), _next_id(_options.seed * 0x9E3779B97F4A7C15ULL + 1), _loops_done(ex) {
    if (_options.replicas == 0) throw std::invalid_argument("replicas must be at least 1");
    if (_options.replicate_ticks == 0) throw std::invalid_argument("replicate_ticks must be at least 1");
    if (_options.tick.count() <= 0) throw std::invalid_argument("the tick must be positive");
}

node::~node() {
    *_alive = false;
    if (_timer) _timer->cancel();
    if (_socket.is_open()) _socket.close();
}

void node::start() {
    if (_started) return;
    _started = true;
    _timer = std::make_unique<coronet::timer>(_ex, clock_of(_ex));
    _loops = 2;
    asio::co_spawn(_ex, receive_loop(_alive), asio::detached);
    asio::co_spawn(_ex, tick_loop(_alive), asio::detached);
}

void node::create() {
    check_running();
    if (auto ec = _core.create()) throw request_error(request_error::kind::invalid, "create: " + ec.message());
    pump();
}

asio::awaitable<void> node::receive_loop(std::shared_ptr<bool> alive) {
    std::vector<char> buf(65536);
    asio::ip::udp::endpoint from;
    for (;;) {
        auto [ec, n] = co_await _socket.async_receive_from(asio::buffer(buf), from, asio::as_tuple(asio::use_awaitable));
        if (!*alive) co_return;
        if (_stopped || ec == asio::error::operation_aborted || ec == asio::error::bad_descriptor) break;
        if (ec) {
            // message_size: an oversize datagram, dropped; connection_refused:
            // ICMP for an earlier send to a node that is gone. Neither ends
            // the loop.
            if (ec == asio::error::message_size) ++_counters.malformed;
            continue;
        }
        ++_counters.datagrams_in;
        on_datagram(std::string_view(buf.data(), n), address_of(from));
    }
    if (--_loops == 0) _loops_done.notify_all();
}

asio::awaitable<void> node::tick_loop(std::shared_ptr<bool> alive) {
    auto& clock = clock_of(_ex);
    auto next = clock.now();
    for (;;) {
        next += _options.tick;
        _timer->expires_at(next);
        co_await _timer->async_wait(asio::as_tuple(asio::use_awaitable));
        if (!*alive) co_return;
        if (_stopped) break;
        ++_ticks;
        _core.tick();
        if (_core.state() == node_state::joined && _options.probe_ticks && _ticks % _options.probe_ticks == 0) probe();
        if (_core.state() == node_state::joined && _ticks % _options.replicate_ticks == 0) {
            replicate();
            auto pred = _core.predecessor();
            _store.expire(pred ? std::optional<id>(pred->id) : std::nullopt, self().id,
                          _ticks > _options.replica_ttl_ticks ? _ticks - _options.replica_ttl_ticks : 0);
        }
        pump();
    }
    if (--_loops == 0) _loops_done.notify_all();
}

void node::on_datagram(std::string_view bytes, const std::string& from) {
    if (is_store_message(bytes)) {
        store_message m;
        try {
            m = decode_store_message(bytes, _options.limits);
        } catch (const codec_error& e) {
            ++_counters.malformed;
            _log->debug("dropped a malformed store message from {}: {}", from, e.what());
            return;
        }
        on_store(m, from);
        return;
    }
    message m;
    try {
        m = decode_message(bytes);
    } catch (const codec_error& e) {
        ++_counters.malformed;
        _log->debug("dropped a malformed message from {}: {}", from, e.what());
        return;
    }
    _core.step(m); // the core validates it and counts what it ignores
    pump();
}

void node::pump() {
    while (_core.has_ready()) {
        auto rd = _core.take_ready();
        for (const auto& m : rd.messages) send(m.to, encode(m));
        for (auto& r : rd.lookups) {
            if (!r.error) {
                ++_counters.lookups_answered;
                _counters.lookup_hops += r.hops;
            }
            if (auto it = _lookups.find(r.request_id); it != _lookups.end()) {
                it->second->lookup = std::move(r);
                it->second->wake.notify_all();
                _lookups.erase(it);
            }
        }
        if (rd.joined) {
            _joined = *rd.joined;
            _join_wake.notify_all();
        }
        if (rd.neighbours) on_neighbours(*rd.neighbours);
    }
}

void node::send(const std::string& to, std::string bytes) {
    if (_stopped) return;
    auto ep = parse_address(to);
    if (!ep) {
        _log->debug("cannot send to '{}': not an ip:port address", to);
        return;
    }
    ++_counters.datagrams_out;
    auto b = std::make_shared<std::string>(std::move(bytes));
    // Errors are the network's business: a lost datagram is a timeout to
    // whoever waits for an answer.
    _socket.async_send_to(asio::buffer(*b), *ep, [b](boost::system::error_code, std::size_t) {});
}

bool node::owns(const id& key) const {
    if (_core.state() != node_state::joined) return false;
    const auto& pred = _core.predecessor();
    return !pred || in_half_open(key, pred->id, self().id);
}

void node::check_running() const {
    if (_stopped) throw request_error(request_error::kind::stopped, "the DHT node is stopped");
    if (!_started) throw request_error(request_error::kind::stopped, "the DHT node is not started");
}

asio::awaitable<void> node::join(std::string bootstrap, std::chrono::milliseconds timeout) {
    check_running();
    auto& clock = clock_of(_ex); // virtual time on sim://
    auto deadline = clock.now() + timeout;
    remember(peer{hash_id(bootstrap, _core.ring()), bootstrap});
    for (;;) {
        _joined.reset();
        if (auto ec = _core.join(bootstrap)) throw request_error(request_error::kind::invalid, "join: " + ec.message());
        pump();
        auto done = [this] { return _joined.has_value() || _stopped; };
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock.now());
        if (left.count() <= 0 || !co_await wait_until(_join_wake, done, left))
            throw request_error(request_error::kind::timeout,
                                "join: no answer within " + std::to_string(timeout.count()) + " ms");
        check_running();
        if (!*_joined) co_return;
        // Our id is hash(address): a node restarted at its old address finds
        // its earlier run still listed until the ring notices that it died.
        // Wait for a few stabilization rounds and ask again.
        bool stale_self = *_joined == errc::id_in_use;
        auto pause = _options.tick * (4 * _core.config().stabilize_ticks);
        if (!stale_self || clock.now() + pause >= deadline)
            throw request_error(request_error::kind::unavailable, "join failed: " + _joined->message());
        _log->info("dht: the ring still lists this node's earlier run; joining again in {} ms", pause.count());
        coronet::timer wait(_ex, clock);
        wait.expires_at(clock.now() + pause);
        co_await wait.async_wait(asio::as_tuple(asio::use_awaitable));
        check_running();
    }
}

asio::awaitable<lookup_result> node::lookup(const id& key, lookup_style style, std::chrono::milliseconds timeout) {
    check_running();
    auto request = _next_id++;
    auto c = std::make_shared<call>(_ex);
    if (auto ec = _core.lookup(request, key, style)) {
        auto k = ec == errc::key_out_of_range ? request_error::kind::invalid : request_error::kind::unavailable;
        throw request_error(k, "lookup: " + ec.message());
    }
    _lookups[request] = c;
    pump();
    auto done = [&] { return c->lookup.has_value() || c->cancelled; };
    if (!co_await wait_until(c->wake, done, timeout)) {
        _lookups.erase(request);
        throw request_error(request_error::kind::timeout,
                            "lookup: no answer within " + std::to_string(timeout.count()) + " ms");
    }
    check_running();
    if (c->lookup->error)
        throw request_error(request_error::kind::unavailable, "lookup failed: " + c->lookup->error.message());
    co_return std::move(*c->lookup);
}

asio::awaitable<void> node::stop() { co_await shut_down(true); }

asio::awaitable<void> node::crash() { co_await shut_down(false); }

asio::awaitable<void> node::shut_down(bool hand_over) {
    if (_stopped) co_return;
    if (hand_over && _core.state() == node_state::joined && _core.successor().id != self().id) {
        const auto& pred = _core.predecessor();
        auto owned = pred ? _store.range(pred->id, self().id) : _store.all();
        _counters.handed_over += push(_core.successor().address, owned);
    }
    _stopped = true;
    for (auto* pending : {&_lookups, &_requests}) {
        for (auto& [i, c] : *pending) {
            c->cancelled = true;
            c->wake.notify_all();
        }
        pending->clear();
    }
    _join_wake.notify_all();
    if (_timer) _timer->cancel();
    _socket.cancel();
    while (_loops > 0) co_await _loops_done.async_wait();
    _socket.close();
}

} // namespace coronet::dht::chord
