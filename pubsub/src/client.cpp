#include "client_state.hpp"

#include <coronet/timer.hpp>
#include <coronet/transports/endpoint.hpp>

#include <boost/asio/this_coro.hpp>

#include <fmt/format.h>

namespace coronet::pubsub {

asio::awaitable<message> subscription::next() {
    if (!_s) throw std::logic_error("pubsub: next() on an empty subscription");
    auto s = _s;
    for (;;) {
        if (!s->buffer.empty()) {
            auto m = std::move(s->buffer.front());
            s->buffer.pop_front();
            co_return m;
        }
        auto owner = s->owner.lock();
        if (!owner || owner->closed)
            throw broker_error(wire::error_code::malformed,
                               "broker connection closed: " + (owner ? owner->close_reason : std::string("client gone")));
        if (!s->active) throw broker_error(wire::error_code::unknown_sid, "subscription " + s->pattern + " was ended");
        co_await s->ready.async_wait();
    }
}

asio::awaitable<std::optional<message>> subscription::next_for(duration timeout) {
    if (!_s) throw std::logic_error("pubsub: next_for() on an empty subscription");
    auto s = _s;
    auto ready = [&] {
        auto owner = s->owner.lock();
        return !s->buffer.empty() || !owner || owner->closed || !s->active; // next() says why
    };
    if (!co_await detail::wait_until(s->ready, ready, timeout)) co_return std::nullopt;
    co_return co_await next();
}

std::uint64_t subscription::missed() const { return _s ? _s->missed : 0; }
std::size_t subscription::buffered() const { return _s ? _s->buffer.size() : 0; }
const std::string& subscription::pattern() const {
    static const std::string none;
    return _s ? _s->pattern : none;
}

void subscription::ack(const message& m) {
    if (!_s) throw std::logic_error("pubsub: ack on an empty subscription");
    if (!_s->durable) throw std::logic_error("pubsub: ack on a subscription that is not durable");
    if (auto owner = _s->owner.lock(); owner && !owner->closed) owner->send(wire::ack{_s->sid, m.seq});
}

bool subscription::durable() const { return _s && _s->durable; }

void subscription::unsubscribe() {
    if (!_s) return;
    if (auto owner = _s->owner.lock()) owner->remove_subscription(_s->sid);
    _s->active = false;
    _s->ready.notify_all();
}

asio::awaitable<client> client::connect(std::string url, client_options o) {
    auto s = co_await coronet::connect(url);
    auto state = std::make_shared<detail::client_state>(std::move(s), o);
    state->start();
    co_return client(std::move(state));
}

client::client(client&&) noexcept = default;
client& client::operator=(client&& other) noexcept {
    if (this != &other) {
        close();
        _s = std::move(other._s);
    }
    return *this;
}
client::~client() { close(); }

asio::awaitable<void> client::publish(std::string_view topic, std::span<const std::byte> payload,
                                      std::string_view reply_to) {
    return send_publish(topic, payload, reply_to, false);
}

asio::awaitable<void> client::publish_retained(std::string_view topic, std::span<const std::byte> payload) {
    return send_publish(topic, payload, {}, true);
}

asio::awaitable<void> client::send_publish(std::string_view topic, std::span<const std::byte> payload,
                                           std::string_view reply_to, bool retain) {
    if (!_s) throw std::logic_error("pubsub: publish on an empty client");
    auto s = _s;
    const auto& l = s->options.limits;
    if (auto e = topic_error(topic, l.topics)) throw broker_error(wire::error_code::bad_topic, *e);
    if (!reply_to.empty())
        if (auto e = topic_error(reply_to, l.topics)) throw broker_error(wire::error_code::bad_topic, "reply-to: " + *e);
    if (payload.size() > l.payload_max)
        throw broker_error(wire::error_code::too_large,
                           fmt::format("payload of {} bytes exceeds {}", payload.size(), l.payload_max));
    co_await s->wait_for_room();
    auto refusals_before = s->refusals;
    s->send(wire::publish{topic, reply_to, payload, retain});
    if (!retain) co_return;
    // Only the broker knows whether its retained store has room: wait for
    // its verdict, so that a refusal comes back here and not to whichever
    // request happens to be next.
    co_await flush();
    if (s->refusals != refusals_before) throw broker_error(s->last_refusal_code, s->last_refusal);
}

asio::awaitable<subscription> client::subscribe(std::string_view pattern, std::string_view queue_group) {
    if (!_s) throw std::logic_error("pubsub: subscribe on an empty client");
    auto s = _s;
    auto before = s->refusals;
    auto sub = s->add_subscription(pattern, queue_group);
    co_await s->flush();
    if (s->refusals != before) { // refused: the broker said why before its pong
        s->remove_subscription(sub->sid, false);
        throw broker_error(s->last_refusal_code, s->last_refusal);
    }
    co_return subscription(std::move(sub));
}

asio::awaitable<void> client::publish_confirmed(std::string_view topic, std::span<const std::byte> payload,
                                                duration timeout) {
    if (!_s) throw std::logic_error("pubsub: publish_confirmed on an empty client");
    auto s = _s;
    const auto& l = s->options.limits;
    if (auto e = topic_error(topic, l.topics)) throw broker_error(wire::error_code::bad_topic, *e);
    if (payload.size() > l.payload_max)
        throw broker_error(wire::error_code::too_large,
                           fmt::format("payload of {} bytes exceeds {}", payload.size(), l.payload_max));
    co_await s->publish_confirmed(topic, payload, timeout);
}

asio::awaitable<subscription> client::subscribe_durable(std::string_view pattern, std::string_view durable_name) {
    if (!_s) throw std::logic_error("pubsub: subscribe_durable on an empty client");
    if (durable_name.empty()) throw broker_error(wire::error_code::bad_topic, "a durable subscription needs a name");
    auto s = _s;
    auto before = s->refusals;
    auto sub = s->add_subscription(pattern, {}, durable_name);
    co_await s->flush();
    if (s->refusals != before) { // e.g. the name is in use elsewhere
        s->remove_subscription(sub->sid, false);
        throw broker_error(s->last_refusal_code, s->last_refusal);
    }
    co_return subscription(std::move(sub));
}

asio::awaitable<message> client::request(std::string_view topic, std::span<const std::byte> payload, duration timeout) {
    if (!_s) throw std::logic_error("pubsub: request on an empty client");
    if (auto e = topic_error(topic, _s->options.limits.topics)) throw broker_error(wire::error_code::bad_topic, *e);
    auto s = _s;
    co_return co_await s->request(topic, payload, timeout);
}

asio::awaitable<void> client::flush() {
    if (!_s) throw std::logic_error("pubsub: flush on an empty client");
    auto s = _s;
    co_await s->flush();
}

void client::close() {
    if (_s) _s->close("closed by this client");
}

bool client::is_open() const { return _s && !_s->closed; }
asio::any_io_executor client::get_executor() const { return _s->stream.get_executor(); }

} // namespace coronet::pubsub
