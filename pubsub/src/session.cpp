#include "session.hpp"

#include <coronet/pubsub/frame_reader.hpp>

#include <coronet/clock.hpp>
#include <coronet/timer.hpp>
#include <coronet/wait_until.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/write.hpp>

#include <fmt/format.h>

#include <cstring>

namespace coronet::pubsub::detail {

session::session(broker_state& b, any_stream s)
    : _b(b), _stream(std::move(s)),
      _queue(b.options.queue_messages_max, b.options.queue_bytes_max, b.options.default_policy),
      _wake(_stream.get_executor()), _writer_done(_stream.get_executor()), _drained(_stream.get_executor()) {
    try {
        auto ep = _stream.remote_endpoint();
        _peer = fmt::format("{}:{}", ep.address().to_string(), ep.port());
    } catch (const std::exception&) {
        _peer = "client";
    }
}

asio::awaitable<void> session::run() {
    auto self = shared_from_this();
    _writer_running = true;
    asio::co_spawn(_stream.get_executor(), write_loop(), [self](std::exception_ptr) {
        self->_writer_running = false;
        self->_writer_done.notify_all();
    });
    try {
        co_await read_loop();
    } catch (const wire::protocol_error& e) {
        ++_b.counts.malformed;
        _b.log->warn("broker: {} sent a malformed frame ({}); closing it", _peer, e.what());
        close(wire::error{wire::error_code::malformed, e.what()});
    } catch (const std::exception&) {
        // The stream failed or was cancelled (stop): nothing to tell anyone.
    }
    close();
    for (auto& [sid, id] : _subs) _b.unsubscribe(id);
    _subs.clear();
    for (auto& [sid, name] : _durables) _b.detach_durable(name); // kept for the next subscriber
    _durables.clear();
    // The writer gets a second to send its last words; a client that does not
    // read cannot hold the broker up.
    auto ex = _stream.get_executor();
    coronet::timer give_up(ex, clock_of(ex));
    give_up.expires_at(clock_of(ex).now() + std::chrono::seconds(1));
    give_up.async_wait([self](boost::system::error_code ec) {
        if (!ec) self->_stream.cancel();
    });
    while (_writer_running) co_await _writer_done.async_wait();
    give_up.cancel();
    _stream.close();
}

asio::awaitable<void> session::read_loop() {
    wire::frame_reader frames(_b.options.limits);
    while (!_closing) {
        while (!_closing)
            if (auto f = frames.next()) handle(*f);
            else break;
        if (_closing) break;
        if (!_pressing.empty()) co_await yield_to_subscribers();
        if (_closing) break;
        _reading = true;
        auto [ec, n] = co_await _stream.async_read_some(wire::to_buffer(frames.space()), asio::as_tuple(asio::use_awaitable));
        _reading = false;
        if (ec == asio::error::eof) {
            if (frames.partial()) _b.log->info("broker: {} left in the middle of a frame", _peer);
            co_return;
        }
        if (ec) throw boost::system::system_error(ec);
        frames.commit(n);
    }
}

void session::handle(const wire::frame& f) {
    std::visit(
        [&](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, wire::publish>) {
                if (auto e = publish_error(v.topic, v.reply_to, v.payload)) return refuse(e->code, std::string(e->text));
                if (v.retain)
                    if (auto e = _b.retain(v)) return refuse(e->code, std::string(e->text));
                ++_published;
                if (!v.retain || !v.payload.empty()) _b.publish(v, _last_topic_counters, this);
            } else if constexpr (std::is_same_v<T, wire::publish_confirmed>) {
                if (auto e = publish_error(v.topic, v.reply_to, v.payload)) {
                    ++_b.counts.refused;
                    return reply(wire::puback{v.pub_id, e->code, e->text});
                }
                ++_published;
                auto dropped = _b.publish(wire::publish{v.topic, v.reply_to, v.payload, false}, _last_topic_counters, this);
                ++_b.counts.confirmed;
                if (dropped) { // routed, but not everywhere: the publisher is told
                    _error_text = fmt::format("{} subscriber(s) dropped it: slow consumer", dropped);
                    reply(wire::puback{v.pub_id, wire::error_code::slow_consumer, _error_text});
                } else {
                    reply(wire::puback{v.pub_id, {}, {}});
                }
            } else if constexpr (std::is_same_v<T, wire::sub_durable>) {
                if (_subs.contains(v.sid) || _durables.contains(v.sid))
                    return refuse(wire::error_code::bad_topic, fmt::format("sid {} is already subscribed", v.sid));
                if (auto e = pattern_error(v.pattern, _b.options.limits.topics))
                    return refuse(wire::error_code::bad_topic, *e);
                if (v.durable.empty()) return refuse(wire::error_code::bad_topic, "a durable subscription needs a name");
                for (auto& [sid, name] : _durables)
                    if (name == v.durable)
                        return refuse(wire::error_code::in_use, fmt::format("durable {} is already attached here", name));
                if (auto e = _b.attach_durable(*this, v.sid, v.pattern, v.durable)) return refuse(e->code, e->text);
                _durables.emplace(v.sid, std::string(v.durable));
            } else if constexpr (std::is_same_v<T, wire::ack>) {
                auto it = _durables.find(v.sid);
                if (it == _durables.end())
                    return refuse(wire::error_code::unknown_sid, fmt::format("sid {} is not a durable subscription", v.sid));
                _b.ack_durable(it->second, v.seq);
            } else if constexpr (std::is_same_v<T, wire::sub>) {
                if (_subs.contains(v.sid) || _durables.contains(v.sid))
                    return refuse(wire::error_code::bad_topic, fmt::format("sid {} is already subscribed", v.sid));
                if (_subs.size() >= _b.options.subscriptions_per_connection_max)
                    return refuse(wire::error_code::limit,
                                  fmt::format("at most {} subscriptions per connection",
                                              _b.options.subscriptions_per_connection_max));
                if (auto e = pattern_error(v.pattern, _b.options.limits.topics))
                    return refuse(wire::error_code::bad_topic, *e);
                auto id = _b.subscribe(*this, v.sid, v.pattern, v.queue_group);
                _subs.emplace(v.sid, id);
                // A queue group shares live work; retained state goes to plain subscribers.
                if (v.queue_group.empty()) _b.send_retained(id, v.pattern);
            } else if constexpr (std::is_same_v<T, wire::unsub>) {
                if (auto d = _durables.find(v.sid); d != _durables.end()) { // ends the durable itself
                    _b.remove_durable(d->second);
                    _durables.erase(d);
                    return;
                }
                auto it = _subs.find(v.sid);
                if (it == _subs.end())
                    return refuse(wire::error_code::unknown_sid, fmt::format("sid {} is not subscribed", v.sid));
                _b.unsubscribe(it->second);
                _subs.erase(it);
            } else if constexpr (std::is_same_v<T, wire::ping>) {
                reply(wire::pong{});
            } else if constexpr (std::is_same_v<T, wire::hello>) {
                if (_hello_seen || !_subs.empty())
                    throw wire::protocol_error("hello must be the first frame, and only one");
                auto messages = v.queue_messages ? std::min<std::size_t>(v.queue_messages, _b.options.queue_messages_max)
                                                 : _b.options.queue_messages_max;
                auto bytes = v.queue_bytes ? std::min<std::size_t>(v.queue_bytes, _b.options.queue_bytes_max)
                                           : _b.options.queue_bytes_max;
                _queue = bounded_queue<delivery>(messages, bytes, v.policy);
                _backpressure = v.backpressure;
                _retained_aware = v.retained_aware;
            } else {
                throw wire::protocol_error("a client may not send that frame (pong, msg or error)");
            }
            _hello_seen = true;
        },
        f);
}

std::optional<wire::error> session::publish_error(std::string_view topic, std::string_view reply_to,
                                                 std::span<const std::byte> payload) {
    const auto& l = _b.options.limits;
    if (payload.size() > l.payload_max) {
        _error_text = fmt::format("payload of {} bytes exceeds {}", payload.size(), l.payload_max);
        return wire::error{wire::error_code::too_large, _error_text};
    }
    if (topic != _last_topic) {
        if (auto e = topic_error(topic, l.topics)) {
            _error_text = *e;
            return wire::error{wire::error_code::bad_topic, _error_text};
        }
        _last_topic = topic;
    }
    if (!reply_to.empty())
        if (auto e = topic_error(reply_to, l.topics)) {
            _error_text = "reply-to: " + *e;
            return wire::error{wire::error_code::bad_topic, _error_text};
        }
    return std::nullopt;
}

void session::reply(const wire::frame& f) {
    wire::encode(_control, f);
    _wake.notify_one();
}

void session::refuse(wire::error_code code, std::string text) {
    ++_b.counts.refused;
    reply(wire::error{code, text});
}

client_counters session::counters() const {
    return {_peer,      _queue.policy(), _subs.size() + _durables.size(), _published, _delivered, _queue.dropped(),
            _queue.size(), _queue.bytes()};
}

bool session::deliver(delivery d, std::size_t bytes) {
    auto r = _queue.push(std::move(d), bytes);
    switch (r) {
    case push_result::queued: ++_b.counts.delivered; ++_delivered; break;
    case push_result::dropped_oldest: ++_b.counts.delivered; ++_delivered; ++_b.counts.dropped; break;
    case push_result::dropped_newest: ++_b.counts.dropped; ++_b.refused_copies; break;
    case push_result::overflow: ++_b.counts.dropped; ++_b.refused_copies; return false;
    }
    _wake.notify_one();
    return true;
}

bool session::above_backpressure_mark() const {
    // Divided first: queue limits come from flags and may be near 2^64.
    auto pct = _b.options.backpressure_high_percent;
    return !_pressure_given_up &&
           (_queue.size() > _queue.messages_max() / 100 * pct || _queue.bytes() > _queue.bytes_max() / 100 * pct);
}

bool session::below_resume_mark() const {
    auto pct = _b.options.backpressure_high_percent;
    return _queue.size() <= _queue.messages_max() / 200 * pct && _queue.bytes() <= _queue.bytes_max() / 200 * pct;
}

void session::pressed_by(session& subscriber) {
    auto w = subscriber.weak_from_this();
    for (auto& p : _pressing)
        if (!p.owner_before(w) && !w.owner_before(p)) return;
    _pressing.push_back(std::move(w));
}

asio::awaitable<void> session::yield_to_subscribers() {
    auto pressing = std::move(_pressing);
    _pressing.clear();
    // One deadline for the whole pause, however many subscribers are full.
    auto ex = _stream.get_executor();
    auto deadline = clock_of(ex).now() + _b.options.backpressure_wait_max;
    for (auto& w : pressing) {
        auto s = w.lock();
        if (!s || s->closing() || s->below_resume_mark()) continue;
        ++_b.counts.throttled;
        auto left = std::max(duration::zero(), deadline - clock_of(ex).now());
        auto done = [&] { return _closing || s->closing() || s->below_resume_mark(); };
        _paused_on = s;
        auto drained = co_await wait_until(s->_drained, done, left);
        _paused_on.reset();
        if (_closing) co_return;
        if (!drained) {
            ++_b.counts.throttle_timeouts;
            s->_pressure_given_up = true;
            _b.log->info("broker: {} still full after {} ms; publishers go on, and its policy applies until it drains",
                         s->peer(),
                         std::chrono::duration_cast<std::chrono::milliseconds>(_b.options.backpressure_wait_max).count());
        }
    }
}

void session::close(std::optional<wire::error> last_words) {
    if (last_words) {
        _queue.clear(); // the client is told why; what it did not read is gone with it
        wire::encode(_control, *last_words);
    }
    if (_closing) return;
    _closing = true;
    _wake.notify_all();
    _drained.notify_all();
    if (auto s = _paused_on.lock()) s->_drained.notify_all(); // a paused publisher wakes to close
    // A pending read is cancelled (and a write with it: a client that is
    // closed mid-write is one too slow to hear the last words anyway).
    if (_reading) _stream.cancel();
}

asio::awaitable<void> session::write_loop() {
    auto self = shared_from_this();
    std::vector<std::byte> out;
    for (;;) {
        while (_control.empty() && (_queue.empty() || _closing) && !_closing) co_await _wake.async_wait();
        out.clear();
        out.swap(_control);
        // A closing session sends only its control frames (the last words).
        while (!_closing && !_queue.empty() && out.size() < _b.options.write_batch_bytes) {
            auto& d = _queue.front();
            auto& m = *d.body;
            wire::encode_msg_head(out, d.sid, d.seq, m.topic, m.reply_to, m.payload.size(), d.retained);
            out.insert(out.end(), m.payload.begin(), m.payload.end());
            _queue.pop();
        }
        if (out.empty()) co_return; // closing, nothing left to say
        auto [ec, n] = co_await asio::async_write(_stream, asio::buffer(out), asio::as_tuple(asio::use_awaitable));
        if (ec) {
            close();
            co_return;
        }
        if (below_resume_mark()) {
            _pressure_given_up = false;
            if (!_drained.empty()) _drained.notify_all();
        }
        if (_closing && _control.empty()) co_return;
    }
}

} // namespace coronet::pubsub::detail
