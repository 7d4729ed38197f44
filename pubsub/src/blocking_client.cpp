#include <coronet/pubsub/blocking_client.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>

namespace coronet::pubsub {

/// Runs the coroutine `f()` on the client's thread and waits for its result
/// (or exception).
template <class F>
auto blocking_client::on_thread(F f) {
    return asio::co_spawn(_io, std::move(f), asio::use_future).get();
}

blocking_client::blocking_client(std::string url, client_options o) : _thread([this] { _io.run(); }) {
    try {
        _client = on_thread([url, o]() -> asio::awaitable<client> { co_return co_await client::connect(url, o); });
    } catch (...) {
        _work.reset();
        _io.stop();
        _thread.join();
        throw;
    }
}

blocking_client::~blocking_client() {
    asio::post(_io, [this] { _client.close(); });
    _work.reset();
    _thread.join();
}

void blocking_client::publish(std::string_view topic, std::string_view text, std::string_view reply_to) {
    publish(topic, wire::as_bytes(text), reply_to);
}

void blocking_client::publish(std::string_view topic, std::span<const std::byte> payload, std::string_view reply_to) {
    on_thread([&]() -> asio::awaitable<void> { co_await _client.publish(topic, payload, reply_to); });
}

void blocking_client::publish_retained(std::string_view topic, std::string_view text) {
    on_thread([&]() -> asio::awaitable<void> { co_await _client.publish_retained(topic, text); });
}

blocking_client::subscription blocking_client::subscribe(std::string_view pattern, std::string_view queue_group) {
    auto s = on_thread([&]() -> asio::awaitable<pubsub::subscription> {
        co_return co_await _client.subscribe(pattern, queue_group);
    });
    return subscription(*this, std::move(s));
}

message blocking_client::request(std::string_view topic, std::string_view text, duration timeout) {
    return on_thread([&]() -> asio::awaitable<message> { co_return co_await _client.request(topic, text, timeout); });
}

void blocking_client::flush() {
    on_thread([&]() -> asio::awaitable<void> { co_await _client.flush(); });
}

std::optional<message> blocking_client::subscription::next(duration timeout) {
    return _c->on_thread([&]() -> asio::awaitable<std::optional<message>> { co_return co_await _s.next_for(timeout); });
}

std::uint64_t blocking_client::subscription::missed() const {
    return _c->on_thread([&]() -> asio::awaitable<std::uint64_t> { co_return _s.missed(); });
}

void blocking_client::subscription::unsubscribe() {
    _c->on_thread([&]() -> asio::awaitable<void> {
        _s.unsubscribe();
        co_return;
    });
}

} // namespace coronet::pubsub
