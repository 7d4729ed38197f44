#include <coronet/consensus/raft/stream_transport.hpp>

#include <coronet/deadline.hpp>
#include <coronet/timer.hpp>
#include <coronet/wait_until.hpp>
#include <coronet/when_any.hpp>

#include <coronet/transports/accept_next.hpp>
#include <coronet/transports/endpoint.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <array>
#include <limits>
#include <optional>
#include <vector>

namespace coronet::consensus::raft {
namespace {

constexpr std::size_t length_bytes = 4;
constexpr std::size_t read_chunk_bytes = 64 * 1024;

std::uint32_t get_u32(const char* p) {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= std::uint32_t{static_cast<std::uint8_t>(p[i])} << (8 * i);
    return v;
}

/// Removes an inbound connection from the set stop() closes, however its
/// reader ends (cancellation throws out of it).
struct inbound_guard {
    std::set<any_stream*>& set;
    any_stream* stream;
    ~inbound_guard() { set.erase(stream); }
};

asio::awaitable<std::optional<any_stream>> try_connect(std::string url, logger_ptr log) {
    try {
        co_return co_await coronet::connect(url);
    } catch (const std::exception& e) {
        log->debug("raft transport: cannot connect to {}: {}", url, e.what());
    }
    co_return std::nullopt;
}

asio::awaitable<std::optional<any_stream>> give_up_after(duration d) {
    auto ex = co_await asio::this_coro::executor;
    coronet::timer t(ex, clock_of(ex));
    t.expires_at(clock_of(ex).now() + d);
    co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    co_return std::nullopt;
}

} // namespace

stream_transport::stream_transport(asio::any_io_executor ex, node_id self, std::map<node_id, std::string> peers,
                                   stream_transport_options options, logger_ptr log)
    : _ex(std::move(ex)), _self(self), _options(options), _log(log ? std::move(log) : make_logger("raft.transport")),
      _tasks(_ex) {
    _options.frame_bytes_max =
        std::min<std::size_t>(_options.frame_bytes_max, std::numeric_limits<std::uint32_t>::max());
    _options.limits.message_bytes_max = std::min(_options.limits.message_bytes_max, _options.frame_bytes_max);
    for (auto& [id, address] : peers)
        if (id != _self) _peers.emplace(id, std::make_shared<peer>(_ex, id, std::move(address)));
}

stream_transport::~stream_transport() = default;

void stream_transport::start(std::string_view listen_url, handler on_message) {
    if (_started) throw std::logic_error("raft transport: started twice");
    _listener = listen(_ex, listen_url);
    _url = _listener.url();
    _on_message = std::move(on_message);
    _started = true;
    _tasks.spawn(accept_loop(this));
    for (auto& [id, p] : _peers) spawn_writer(p);
}

asio::awaitable<void> stream_transport::stop() {
    if (!_started) co_return;
    _stopping = true;
    if (_listener) _listener.close();
    for (auto* s : _inbound) s->close();
    for (auto& [id, p] : _peers) {
        if (p->stream.is_open()) p->stream.close();
        p->wake.notify_all();
    }
    _tasks.cancel();
    co_await _tasks.join();
    for (auto& [id, p] : _peers) {
        // A connect that completed during the shutdown left its stream here.
        if (p->stream.is_open()) p->stream.close();
        _stats.dropped += p->frames.size();
        p->frames.clear();
        p->bytes = 0;
    }
}

void stream_transport::spawn_writer(const std::shared_ptr<peer>& p) { _tasks.spawn(write_loop(this, p)); }

void stream_transport::send(const message& m) {
    auto it = _peers.find(m.to);
    if (!running() || it == _peers.end() || _blocked.contains(m.to)) {
        ++_stats.dropped;
        return;
    }
    std::string frame;
    try {
        auto body = encode(m);
        if (body.size() > _options.frame_bytes_max) {
            ++_stats.dropped;
            _log->warn("raft transport: dropped a {}-byte {} to {}: frames are at most {} bytes", body.size(),
                       to_string(m.type), m.to, _options.frame_bytes_max);
            return;
        }
        frame.reserve(length_bytes + body.size());
        for (int i = 0; i < 4; ++i) frame.push_back(static_cast<char>((body.size() >> (8 * i)) & 0xff));
        frame += body;
    } catch (const std::exception& e) { // bad_alloc, or a count beyond the format
        ++_stats.dropped;
        _log->warn("raft transport: cannot encode {} to {}: {}", to_string(m.type), m.to, e.what());
        return;
    }
    auto& p = *it->second;
    // Drop-oldest: the newest message carries the newest state, and Raft
    // resends anything the peer still needs.
    while (!p.frames.empty() &&
           (p.frames.size() >= _options.queue_msgs_max || p.bytes + frame.size() > _options.queue_bytes_max)) {
        p.bytes -= p.frames.front().size();
        p.frames.pop_front();
        ++_stats.dropped;
    }
    p.bytes += frame.size();
    p.frames.push_back(std::move(frame));
    p.wake.notify_one();
}

void stream_transport::block(node_id id, bool blocked) {
    if (blocked)
        _blocked.insert(id);
    else
        _blocked.erase(id);
}

void stream_transport::add_peer(node_id id, const std::string& address) {
    if (id == _self || _stopping) return;
    if (auto it = _peers.find(id); it != _peers.end()) {
        auto& p = *it->second;
        if (p.address == address) return;
        p.address = address;
        if (p.stream.is_open()) p.stream.close(); // the writer reconnects to the new address
        return;
    }
    auto p = std::make_shared<peer>(_ex, id, address);
    _peers.emplace(id, p);
    if (running()) spawn_writer(p);
}

void stream_transport::remove_peer(node_id id) {
    auto it = _peers.find(id);
    if (it == _peers.end()) return;
    auto p = it->second;
    _peers.erase(it);
    p->removed = true;
    _stats.dropped += p->frames.size();
    p->frames.clear();
    p->bytes = 0;
    if (p->stream.is_open()) p->stream.close();
    p->wake.notify_all();
}

std::size_t stream_transport::queued(node_id id) const {
    auto it = _peers.find(id);
    return it == _peers.end() ? 0 : it->second->frames.size();
}

bool stream_transport::connected(node_id id) const {
    auto it = _peers.find(id);
    return it != _peers.end() && it->second->stream.is_open();
}

asio::awaitable<void> stream_transport::accept_loop(stream_transport* self) {
    while (auto s = co_await accept_next(self->_listener, *self->_log)) {
        if (!self->running()) {
            s->close();
            break;
        }
        ++self->_stats.accepted;
        self->_tasks.spawn(read_loop(self, std::move(*s)));
    }
}

asio::awaitable<void> stream_transport::read_loop(stream_transport* self, any_stream s) {
    self->_inbound.insert(&s);
    inbound_guard guard{self->_inbound, &s};
    std::string remote = "an inbound connection";
    try {
        remote = "inbound connection from " + s.remote_endpoint().address().to_string() + ":" +
                 std::to_string(s.remote_endpoint().port());
    } catch (const std::exception&) {
        // Already reset: the first read says so.
    }
    auto on_silence = [self, &s, &remote] {
        if (!s.is_open()) return;
        ++self->_stats.timeouts;
        self->_log->info("raft transport: closing {}: silent for longer than the idle timeout", remote);
        s.close();
    };
    deadline silence(self->_ex, clock_of(self->_ex), on_silence);
    std::vector<char> chunk(read_chunk_bytes);
    std::string pending;
    while (self->running()) {
        silence.expires_after(self->_options.idle_timeout);
        auto [ec, n] = co_await s.async_read_some(asio::buffer(chunk), any_stream::awaitable_result_t{});
        if (ec) {
            if (ec != asio::error::eof && ec != asio::error::operation_aborted)
                self->_log->debug("raft transport: {} ended: {}", remote, ec.message());
            break;
        }
        if (!self->running()) break;
        pending.append(chunk.data(), n);
        if (!self->deliver_frames(pending, remote)) {
            ++self->_stats.malformed;
            break;
        }
    }
    if (s.is_open()) s.close();
}

bool stream_transport::deliver_frames(std::string& pending, const std::string& remote) {
    std::size_t at = 0;
    bool ok = true;
    while (pending.size() - at >= length_bytes) {
        auto length = get_u32(pending.data() + at);
        if (length > _options.frame_bytes_max) {
            _log->warn("raft transport: closing {}: a frame of {} bytes exceeds the limit of {}", remote, length,
                       _options.frame_bytes_max);
            ok = false;
            break;
        }
        if (pending.size() - at - length_bytes < length) break; // the rest has not arrived yet
        std::string_view body(pending.data() + at + length_bytes, length);
        at += length_bytes + length;
        std::optional<message> m;
        try {
            m = decode_message(body, _options.limits);
        } catch (const codec_error& e) {
            _log->warn("raft transport: closing {}: {}", remote, e.what());
            ok = false;
            break;
        }
        if (_blocked.contains(m->from)) {
            ++_stats.dropped;
            continue;
        }
        ++_stats.received;
        _on_message(*m);
        if (!running()) break; // the callback stopped us
    }
    pending.erase(0, at);
    return ok;
}

asio::awaitable<bool> stream_transport::connect(stream_transport* self, const std::shared_ptr<peer>& p) {
    std::vector<asio::awaitable<std::optional<any_stream>>> attempt;
    attempt.push_back(try_connect(p->address, self->_log));
    attempt.push_back(give_up_after(self->_options.connect_timeout));
    auto [which, s] = co_await when_any(std::move(attempt));
    if (which != 0 || !s) {
        ++self->_stats.connect_failures;
        p->failed_before = true;
        co_return false;
    }
    if (!self->running() || p->removed) {
        s->close();
        co_return false;
    }
    p->stream = std::move(*s);
    ++self->_stats.connects;
    if (p->failed_before) ++self->_stats.reconnects;
    p->failed_before = false;
    self->_log->debug("raft transport: node {} connected to node {} at {}", self->_self, p->id, p->address);
    co_return true;
}

asio::awaitable<void> stream_transport::back_off(stream_transport* self, const std::shared_ptr<peer>& p,
                                                 duration& pause) {
    auto ends = [self, p] { return !self->running() || p->removed; };
    co_await wait_until(p->wake, ends, pause);
    pause = std::min(pause * 2, self->_options.reconnect_backoff_max);
}

asio::awaitable<void> stream_transport::write_loop(stream_transport* self, std::shared_ptr<peer> p) {
    auto pause = self->_options.reconnect_backoff_min;
    std::vector<std::string> batch;
    std::vector<asio::const_buffer> buffers;
    bool stuck = false;
    auto on_stuck = [self, p, &stuck] {
        if (!p->stream.is_open()) return;
        stuck = true;
        ++self->_stats.timeouts;
        p->stream.close();
    };
    deadline write_deadline(self->_ex, clock_of(self->_ex), on_stuck);
    for (;;) {
        while (p->frames.empty() && self->running() && !p->removed) co_await p->wake.async_wait();
        if (!self->running() || p->removed) break;
        if (!p->stream.is_open()) {
            if (!co_await connect(self, p)) {
                co_await back_off(self, p, pause);
                continue;
            }
            pause = self->_options.reconnect_backoff_min;
        }
        // Gather what is queued into one write, up to the batch bound.
        batch.clear();
        buffers.clear();
        std::size_t bytes = 0;
        while (!p->frames.empty() &&
               (batch.empty() || bytes + p->frames.front().size() <= self->_options.write_batch_bytes_max)) {
            bytes += p->frames.front().size();
            p->bytes -= p->frames.front().size();
            batch.push_back(std::move(p->frames.front()));
            p->frames.pop_front();
        }
        for (const auto& f : batch) buffers.push_back(asio::buffer(f));
        stuck = false;
        write_deadline.expires_after(self->_options.write_timeout);
        auto [ec, n] = co_await asio::async_write(p->stream, buffers, asio::as_tuple(asio::use_awaitable));
        write_deadline.disarm();
        if (!ec) {
            self->_stats.sent += batch.size();
            continue;
        }
        // What was in flight is lost (the peer may have read part of it; it
        // sees a cut frame and the connection end).
        self->_stats.dropped += batch.size();
        if (p->stream.is_open()) p->stream.close();
        p->failed_before = true;
        if (!self->running() || p->removed) break;
        if (stuck)
            self->_log->info("raft transport: node {} closed its connection to node {}: a write took longer than {} ms",
                             self->_self, p->id,
                             std::chrono::duration_cast<std::chrono::milliseconds>(self->_options.write_timeout).count());
        else
            self->_log->debug("raft transport: connection from node {} to node {} lost: {}", self->_self, p->id,
                              ec.message());
        co_await back_off(self, p, pause);
    }
}

} // namespace coronet::consensus::raft
