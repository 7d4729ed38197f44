#include "broker_state.hpp"
#include "session.hpp"

#include <coronet/transports/accept_next.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace coronet::pubsub {

namespace detail {

broker_state::broker_state(any_listener l, broker_options o, logger_ptr lg)
    : listener(std::move(l)), options(o), log(lg ? std::move(lg) : make_logger("broker")),
      tasks(listener.get_executor()), routes(o.limits.topics) {}

asio::awaitable<void> broker_state::accept_loop() {
    while (auto s = co_await accept_next(listener, *log)) {
        ++counts.accepted;
        if (counts.connections >= options.connections_max) {
            log->warn("{}: connections_max ({}) reached; closing new connection", listener.url(),
                      options.connections_max);
            s->close();
            continue;
        }
        tasks.spawn(serve(std::move(*s)));
    }
}

asio::awaitable<void> broker_state::serve(any_stream s) {
    auto self = shared_from_this();
    auto c = std::make_shared<session>(*this, std::move(s));
    sessions.push_back(c);
    ++counts.connections;
    co_await c->run();
    --counts.connections;
    std::erase_if(sessions, [&](auto& w) { return w.expired() || w.lock() == c; });
}

std::uint64_t broker_state::publish(const wire::publish& p, topic_counters*& cached, session* from) {
    ++counts.published;
    auto delivered_before = counts.delivered + counts.durable_stored;
    auto refused_before = refused_copies;
    const bool pressure = from && from->wants_backpressure();
    body_ref body; // built once, for the first recipient
    auto shared_body = [&]() -> const body_ref& {
        if (!body) body = bodies->make_body(p.topic, p.reply_to, p.payload);
        return body;
    };
    routes.route(p.topic, [&](subscription_id id) {
        auto it = _targets.find(id);
        if (it == _targets.end()) return;
        if (it->second.keeper) {
            auto& dur = *it->second.keeper;
            delivery m{shared_body(), dur.sid, ++dur.seq};
            if (dur.pending.push(m, body->bytes()) != push_result::queued) ++counts.dropped;
            ++counts.durable_stored;
            if (dur.attached && !dur.attached->closing() && !dur.attached->deliver(m, body->bytes()))
                _overflowed.push_back(dur.attached);
            return;
        }
        auto& t = it->second;
        ++t.seq;
        if (t.to->closing()) return;
        delivery m{shared_body(), t.sid, t.seq}; // before body->bytes(): arguments have no order
        if (!t.to->deliver(std::move(m), body->bytes())) _overflowed.push_back(t.to);
        else if (pressure && t.to != from && t.to->above_backpressure_mark()) from->pressed_by(*t.to);
    });
    if (!cached || cached->topic != p.topic) {
        auto it = topics.find(p.topic);
        if (it == topics.end() && topics.size() < options.topics_tracked_max)
            it = topics.emplace(std::string(p.topic), std::make_unique<topic_counters>(topic_counters{std::string(p.topic)})).first;
        cached = it == topics.end() ? &other_topics : it->second.get();
    }
    auto& tc = *cached;
    ++tc.published;
    tc.delivered += counts.delivered + counts.durable_stored - delivered_before;
    // Closing unsubscribes, which the router must not see while routing.
    for (auto* s : _overflowed) {
        if (s->closing()) continue;
        ++counts.slow_disconnects;
        log->warn("broker: {} is too slow (its queue is full); disconnecting it", s->peer());
        s->close(wire::error{wire::error_code::slow_consumer, "slow consumer: queue full, disconnected"});
    }
    _overflowed.clear();
    return refused_copies - refused_before;
}

std::optional<wire::error> broker_state::retain(const wire::publish& p) {
    auto it = _retained.find(p.topic);
    if (p.payload.empty()) { // MQTT's convention: an empty retained message forgets the topic's
        if (it != _retained.end()) {
            _retained_bytes -= it->second->bytes();
            _retained.erase(it);
        }
        counts.retained = _retained.size();
        return std::nullopt;
    }
    auto body = bodies->make_body(p.topic, p.reply_to, p.payload);
    auto old = it == _retained.end() ? 0 : it->second->bytes();
    if (it == _retained.end() && _retained.size() >= options.retained_topics_max)
        return wire::error{wire::error_code::limit, "retained topics limit reached"};
    if (_retained_bytes - old + body->bytes() > options.retained_bytes_max)
        return wire::error{wire::error_code::limit, "retained bytes limit reached"};
    _retained_bytes += body->bytes() - old;
    if (it == _retained.end()) _retained.emplace(std::string(p.topic), std::move(body));
    else it->second = std::move(body);
    counts.retained = _retained.size();
    return std::nullopt;
}

void broker_state::send_retained(subscription_id id, std::string_view pattern) {
    // A scan of every retained topic: subscribing is rare next to publishing,
    // and the scan is bounded by retained_topics_max.
    auto it = _targets.find(id);
    if (it == _targets.end() || _retained.empty()) return;
    auto& t = it->second;
    for (auto& [topic, body] : _retained) {
        if (!topic_matches(pattern, topic)) continue;
        ++t.seq;
        if (!t.to->deliver(delivery{body, t.sid, t.seq, t.to->retained_aware()}, body->bytes())) {
            ++counts.slow_disconnects;
            t.to->close(wire::error{wire::error_code::slow_consumer, "slow consumer: retained messages exceed the queue"});
            return;
        }
    }
}

subscription_id broker_state::subscribe(session& s, std::uint32_t sid, std::string_view pattern,
                                        std::string_view group) {
    auto id = routes.subscribe(pattern, group);
    _targets.emplace(id, target{&s, sid});
    counts.subscriptions = routes.subscriptions();
    return id;
}

std::optional<broker_state::refusal> broker_state::attach_durable(session& s, std::uint32_t sid, std::string_view pattern,
                                                        std::string_view name) {
    auto it = _durables.find(std::string(name));
    if (it == _durables.end()) {
        if (_durables.size() >= options.durables_max)
            return refusal{wire::error_code::limit, fmt::format("at most {} durable subscriptions", options.durables_max)};
        auto id = routes.subscribe(pattern);
        auto d = std::make_unique<durable>(std::string(name), std::string(pattern), id, options);
        _targets.emplace(id, target{nullptr, 0, 0, d.get()});
        it = _durables.emplace(std::string(name), std::move(d)).first;
        counts.durables = _durables.size();
        counts.subscriptions = routes.subscriptions();
    }
    auto& d = *it->second;
    if (d.attached && d.attached != &s)
        return refusal{wire::error_code::in_use, fmt::format("durable {} is in use by another connection", name)};
    if (d.pattern != pattern)
        return refusal{wire::error_code::bad_topic, fmt::format("durable {} subscribes to {}, not {}", name, d.pattern, pattern)};
    d.attached = &s;
    d.sid = sid;
    // Everything not acknowledged goes again, oldest first, with its seq.
    bool room = true;
    d.pending.for_each([&](const delivery& m, std::size_t bytes) {
        if (!room) return;
        auto again = m;
        again.sid = sid;
        ++counts.redelivered;
        room = s.deliver(std::move(again), bytes);
    });
    if (!room) { // its own queue is smaller than what it left behind, and the policy is disconnect
        ++counts.slow_disconnects;
        s.close(wire::error{wire::error_code::slow_consumer, "slow consumer: durable backlog exceeds the queue"});
    }
    return std::nullopt;
}

void broker_state::detach_durable(std::string_view name) {
    if (auto it = _durables.find(std::string(name)); it != _durables.end()) it->second->attached = nullptr;
}

void broker_state::ack_durable(std::string_view name, std::uint64_t seq) {
    auto it = _durables.find(std::string(name));
    if (it == _durables.end()) return;
    auto& pending = it->second->pending;
    while (!pending.empty() && pending.front().seq <= seq) pending.pop();
}

void broker_state::remove_durable(std::string_view name) {
    auto it = _durables.find(std::string(name));
    if (it == _durables.end()) return;
    routes.unsubscribe(it->second->id);
    _targets.erase(it->second->id);
    _durables.erase(it);
    counts.durables = _durables.size();
    counts.subscriptions = routes.subscriptions();
}

std::size_t broker_state::durable_pending() const {
    std::size_t n = 0;
    for (auto& [name, d] : _durables) n += d->pending.size();
    return n;
}

void broker_state::unsubscribe(subscription_id id) {
    routes.unsubscribe(id);
    _targets.erase(id);
    counts.subscriptions = routes.subscriptions();
}

} // namespace detail

broker::broker(any_listener listener, broker_options options, logger_ptr log)
    : _state(std::make_shared<detail::broker_state>(std::move(listener), options, std::move(log))) {
    if (options.queue_messages_max == 0 || options.queue_bytes_max == 0)
        throw std::invalid_argument("pubsub::broker: queue limits must be at least 1");
    if (options.backpressure_high_percent < 1 || options.backpressure_high_percent > 100)
        throw std::invalid_argument("pubsub::broker: backpressure_high_percent is 1..100");
}

broker::~broker() { _state->listener.close(); }

const std::string& broker::url() const { return _state->listener.url(); }

void broker::start() { _state->tasks.spawn(_state->accept_loop()); }

asio::awaitable<void> broker::stop() {
    auto state = _state;
    state->listener.cancel();
    for (auto& w : state->sessions)
        if (auto s = w.lock()) s->close();
    state->tasks.cancel();
    co_await state->tasks.join();
    state->listener.close();
}

broker_counters broker::counters() const {
    auto c = _state->counts;
    c.durable_pending = _state->durable_pending();
    for (auto& w : _state->sessions)
        if (auto s = w.lock()) {
            c.queued_messages += s->queued_messages();
            c.queued_bytes += s->queued_bytes();
        }
    return c;
}

std::vector<client_counters> broker::clients() const {
    std::vector<client_counters> out;
    for (auto& w : _state->sessions)
        if (auto s = w.lock()) out.push_back(s->counters());
    return out;
}

std::vector<topic_counters> broker::topics() const {
    std::vector<topic_counters> out;
    out.reserve(_state->topics.size() + 1);
    for (auto& [name, c] : _state->topics) out.push_back(*c);
    if (_state->other_topics.published) out.push_back(_state->other_topics);
    std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.published > b.published; });
    return out;
}

} // namespace coronet::pubsub
