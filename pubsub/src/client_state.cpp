#include "client_state.hpp"

#include <coronet/pubsub/frame_reader.hpp>
#include <coronet/timer.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/write.hpp>

#include <fmt/format.h>

#include <charconv>
#include <random>

namespace coronet::pubsub::detail {

namespace {
constexpr std::uint32_t inbox_sid = 0; // subscriptions start at 1
}

client_state::client_state(any_stream s, client_options o)
    : stream(std::move(s)), options(o), _writer(stream.get_executor()), _room(stream.get_executor()),
      _pong(stream.get_executor()) {
    std::random_device rd;
    _inbox = fmt::format("_INBOX.{:08x}{:08x}", rd(), rd());
}

void client_state::start() {
    auto self = shared_from_this();
    send(wire::hello{options.policy, options.queue_messages, options.queue_bytes, options.backpressure, true});
    auto done = [self](std::exception_ptr) {};
    asio::co_spawn(stream.get_executor(), read_loop(), done);
    asio::co_spawn(stream.get_executor(), write_loop(), done);
}

void client_state::check_open() const {
    if (closed) throw broker_error(wire::error_code::malformed, "broker connection closed: " + close_reason);
}

void client_state::send(const wire::frame& f) {
    check_open();
    wire::encode(_out, f);
    _writer.notify_one();
}

asio::awaitable<void> client_state::wait_for_room() {
    auto self = shared_from_this();
    while (!closed && _out.size() >= options.send_buffer_bytes) co_await _room.async_wait();
    check_open();
}

asio::awaitable<void> client_state::flush() {
    auto self = shared_from_this();
    send(wire::ping{});
    auto mine = ++_pings_sent;
    while (!closed && _pongs < mine) co_await _pong.async_wait();
    check_open();
}

std::shared_ptr<subscription_state> client_state::add_subscription(std::string_view pattern, std::string_view group,
                                                                   std::string_view durable) {
    check_open();
    if (auto e = pattern_error(pattern, options.limits.topics)) throw broker_error(wire::error_code::bad_topic, *e);
    auto sid = _next_sid++;
    auto s = std::make_shared<subscription_state>(stream.get_executor(), sid, std::string(pattern),
                                                  options.subscription_buffer);
    s->owner = weak_from_this();
    s->durable = !durable.empty();
    _subs.emplace(sid, s);
    if (s->durable) send(wire::sub_durable{sid, pattern, durable});
    else send(wire::sub{sid, pattern, group});
    return s;
}

asio::awaitable<void> client_state::publish_confirmed(std::string_view topic, std::span<const std::byte> payload,
                                                      duration timeout) {
    auto self = shared_from_this();
    co_await wait_for_room();
    auto id = ++_next_pub_id;
    confirmation c{std::nullopt, {}, waiters(stream.get_executor())};
    _confirmations.emplace(id, &c);
    struct forget {
        client_state& s;
        std::uint32_t id;
        ~forget() { s._confirmations.erase(id); }
    } guard{*this, id};
    send(wire::publish_confirmed{id, topic, {}, payload});
    auto answered = [&] { return c.code || closed; };
    co_await wait_until(c.done, answered, timeout);
    if (c.code && *c.code == wire::error_code{}) co_return;
    if (c.code) throw broker_error(*c.code, c.text);
    check_open();
    throw broker_error(wire::error_code::limit, fmt::format("no confirmation for a publish to {} within the timeout", topic));
}

void client_state::on_puback(const wire::puback& p) {
    auto it = _confirmations.find(p.pub_id);
    if (it == _confirmations.end()) return; // given up on already
    it->second->code = p.code;
    it->second->text = std::string(p.text);
    it->second->done.notify_all();
}

void client_state::remove_subscription(std::uint32_t sid, bool tell_broker) {
    auto it = _subs.find(sid);
    if (it == _subs.end()) return;
    it->second->active = false;
    _subs.erase(it);
    if (tell_broker && !closed) send(wire::unsub{sid});
}

asio::awaitable<message> client_state::request(std::string_view topic, std::span<const std::byte> payload,
                                               duration timeout) {
    auto self = shared_from_this();
    check_open();
    if (_next_request == 0) { // the first request subscribes the inbox
        send(wire::sub{inbox_sid, _inbox + ".>", {}});
    }
    auto id = ++_next_request;
    auto reply_to = fmt::format("{}.{}", _inbox, id);
    pending p{std::nullopt, waiters(stream.get_executor())};
    _requests.emplace(id, &p);
    struct forget {
        client_state& s;
        std::uint64_t id;
        ~forget() { s._requests.erase(id); }
    } guard{*this, id};
    send(wire::publish{topic, reply_to, payload, false});
    auto replied = [&] { return p.reply || closed; };
    co_await wait_until(p.done, replied, timeout);
    if (p.reply) co_return std::move(*p.reply);
    check_open();
    throw broker_error(wire::error_code::limit, fmt::format("request to {} timed out", topic));
}

void client_state::close(std::string reason) {
    if (closed) return;
    closed = true;
    close_reason = reason.empty() ? "closed" : std::move(reason);
    stream.close(); // the broker sees the end; our pending read and write end too
    _writer.notify_all();
    _room.notify_all();
    _pong.notify_all();
    for (auto& [sid, s] : _subs) s->ready.notify_all();
    for (auto& [id, p] : _requests) p->done.notify_all();
    for (auto& [id, c] : _confirmations) c->done.notify_all();
}

asio::awaitable<void> client_state::read_loop() {
    auto self = shared_from_this();
    wire::frame_reader frames(options.limits);
    try {
        while (!closed) {
            while (auto f = frames.next()) {
                if (auto* m = std::get_if<wire::msg>(&*f)) on_message(*m);
                else if (std::holds_alternative<wire::pong>(*f)) {
                    ++_pongs;
                    _pong.notify_all();
                } else if (auto* e = std::get_if<wire::error>(&*f)) on_error(*e);
                else if (auto* p = std::get_if<wire::puback>(&*f)) on_puback(*p);
                else throw wire::protocol_error("the broker sent a frame only clients send");
            }
            auto [ec, n] = co_await stream.async_read_some(wire::to_buffer(frames.space()), asio::as_tuple(asio::use_awaitable));
            if (ec == asio::error::eof) co_return close("the broker closed the connection");
            if (ec) co_return close(ec.message());
            frames.commit(n);
        }
    } catch (const wire::protocol_error& e) {
        close(fmt::format("malformed frame from the broker: {}", e.what()));
    }
}

void client_state::on_message(const wire::msg& m) {
    if (m.sid == inbox_sid) {
        auto last = m.topic.substr(m.topic.rfind('.') + 1);
        std::uint64_t id = 0;
        std::from_chars(last.data(), last.data() + last.size(), id);
        if (auto it = _requests.find(id); it != _requests.end() && !it->second->reply) {
            it->second->reply = message{std::string(m.topic), std::string(m.reply_to), {m.payload.begin(), m.payload.end()}, m.seq, false};
            it->second->done.notify_all();
        }
        return;
    }
    auto it = _subs.find(m.sid);
    if (it == _subs.end()) return; // unsubscribed meanwhile
    auto& s = *it->second;
    // A durable subscription starts where its last subscriber's acks left
    // off: its first seq is not a gap.
    if (m.seq > s.last_seq + 1 && !(s.durable && s.last_seq == 0)) s.missed += m.seq - s.last_seq - 1;
    s.last_seq = m.seq;
    if (s.buffer.size() >= s.buffer_max) {
        s.buffer.pop_front();
        ++s.missed;
    }
    s.buffer.push_back(
        message{std::string(m.topic), std::string(m.reply_to), {m.payload.begin(), m.payload.end()}, m.seq, m.retained});
    s.ready.notify_one();
}

void client_state::on_error(const wire::error& e) {
    ++refusals;
    last_refusal_code = e.code;
    last_refusal = std::string(e.text);
    if (e.code == wire::error_code::slow_consumer || e.code == wire::error_code::malformed)
        close(fmt::format("the broker closed the connection: {}", e.text));
    // Other refusals concern a request that was checked here first; one the
    // broker still refuses (its limits are stricter) is lost, as with NATS.
}

asio::awaitable<void> client_state::write_loop() {
    auto self = shared_from_this();
    std::vector<std::byte> sending;
    for (;;) {
        while (_out.empty() && !closed) co_await _writer.async_wait();
        if (closed) co_return;
        sending.clear();
        sending.swap(_out);
        _room.notify_all();
        auto [ec, n] = co_await asio::async_write(stream, asio::buffer(sending), asio::as_tuple(asio::use_awaitable));
        if (ec) co_return close(ec == asio::error::operation_aborted ? "" : ec.message());
    }
}

} // namespace coronet::pubsub::detail
