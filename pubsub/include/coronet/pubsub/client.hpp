#pragma once
// A broker client for coroutines (async: co_await publish/subscribe/request)
// and, in blocking_client.hpp, for plain threads (sync).

#include <coronet/clock.hpp>
#include <coronet/pubsub/wire.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace coronet::pubsub {

namespace asio = boost::asio;

struct client_options {
    wire::limits limits;
    /// What the broker does when this client reads too slowly (sent in hello).
    overflow_policy policy = overflow_policy::drop_oldest;
    std::uint32_t queue_messages = 0; ///< 0: the broker's default
    std::uint32_t queue_bytes = 0;    ///< 0: the broker's default
    /// Received messages a subscription holds until next() takes them; beyond
    /// it the oldest go (counted in subscription::missed()).
    std::size_t subscription_buffer = 65'536;
    /// Publishes wait while this many bytes are queued unsent (backpressure).
    std::size_t send_buffer_bytes = 4u << 20;
    /// Asks the broker to slow this client's publishing down, rather than
    /// drop, when its messages fill a subscriber's queue past the broker's
    /// mark (broker_options::backpressure_*): publish() then waits.
    bool backpressure = false;
};

struct message {
    std::string topic;
    std::string reply_to;
    std::vector<std::byte> payload;
    std::uint64_t seq = 0; ///< the subscription's count of matches; a gap is loss
    bool retained = false; ///< published before the subscription: its topic's retained message
    std::string_view text() const { return wire::as_text(payload); }
};

/// The broker refused a request (bad topic, too large) or the connection ended.
class broker_error : public std::runtime_error {
public:
    broker_error(wire::error_code c, const std::string& what) : std::runtime_error(what), _code(c) {}
    wire::error_code code() const { return _code; }

private:
    wire::error_code _code;
};

namespace detail {
class client_state;
struct subscription_state;
} // namespace detail

class subscription {
    // Lives on after its client: next() then reports the connection's end.
public:
    subscription() = default;
    /// The next message; throws broker_error once the connection has ended
    /// and every received message was taken.
    asio::awaitable<message> next();
    /// next(), or nothing once `timeout` has passed without a message.
    asio::awaitable<std::optional<message>> next_for(duration timeout);
    /// Messages lost before reaching next(): sequence gaps (the broker dropped
    /// them for a slow consumer) plus any this side's buffer dropped.
    std::uint64_t missed() const;
    /// Received and not yet taken.
    std::size_t buffered() const;
    /// Asks the broker to stop; messages already buffered can still be read.
    /// On a durable subscription this ends the durable itself (what it held
    /// is gone); to keep it for later, close the client instead.
    void unsubscribe();
    /// Durable subscriptions: `m` and everything before it were processed;
    /// the broker may forget them. What is not acknowledged is sent again to
    /// the next subscriber that takes the durable name up.
    void ack(const message& m);
    bool durable() const;
    const std::string& pattern() const;

private:
    friend class client;
    explicit subscription(std::shared_ptr<detail::subscription_state> s) : _s(std::move(s)) {}
    std::shared_ptr<detail::subscription_state> _s;
};

class client {
public:
    /// Connects to a broker URL (tcp://, uring://, sim://, fault+…).
    static asio::awaitable<client> connect(std::string url, client_options o = {});

    client() = default;
    client(client&&) noexcept;
    client& operator=(client&&) noexcept;
    ~client(); // closes

    /// Queues one message (at-most-once: no acknowledgement). Waits only if
    /// send_buffer_bytes are already queued. A refusal by the broker (bad
    /// topic, too large) is checked here first and throws broker_error.
    asio::awaitable<void> publish(std::string_view topic, std::span<const std::byte> payload,
                                  std::string_view reply_to = {});
    asio::awaitable<void> publish(std::string_view topic, std::string_view text, std::string_view reply_to = {}) {
        return publish(topic, wire::as_bytes(text), reply_to);
    }
    /// Publishes and has the broker keep the message as the topic's retained
    /// one: every later subscription that matches the topic gets it first
    /// (message::retained). An empty payload forgets the topic's retained
    /// message (and is not delivered). Returns once the broker has it (a
    /// round trip); throws broker_error(limit) if the broker's retained bounds
    /// are full.
    asio::awaitable<void> publish_retained(std::string_view topic, std::span<const std::byte> payload);
    asio::awaitable<void> publish_retained(std::string_view topic, std::string_view text) {
        return publish_retained(topic, wire::as_bytes(text));
    }
    /// At-least-once publishing: returns once the broker has routed the
    /// message and stored it in every durable subscription it matches; throws
    /// broker_error if the broker refuses it, a subscriber's slow-consumer
    /// policy dropped it (code slow_consumer: the others got it), the
    /// connection ends, or
    /// `timeout` passes (then it may or may not have arrived: publish again,
    /// and let subscribers tolerate a duplicate).
    asio::awaitable<void> publish_confirmed(std::string_view topic, std::span<const std::byte> payload,
                                            duration timeout = std::chrono::seconds(5));
    asio::awaitable<void> publish_confirmed(std::string_view topic, std::string_view text,
                                            duration timeout = std::chrono::seconds(5)) {
        return publish_confirmed(topic, wire::as_bytes(text), timeout);
    }
    /// Subscribes to a pattern (`*` one level, `>` the rest), optionally as
    /// a member of a queue group. Returns once the broker has it, so a
    /// message published after this returns will be delivered.
    asio::awaitable<subscription> subscribe(std::string_view pattern, std::string_view queue_group = {});
    /// A durable subscription (at-least-once): the broker keeps, under
    /// `durable_name`, every matching message until it is acknowledged
    /// (subscription::ack), also while no subscriber is connected, and sends
    /// what was not acknowledged again to whoever subscribes with that name
    /// next. One connection at a time may hold a name.
    asio::awaitable<subscription> subscribe_durable(std::string_view pattern, std::string_view durable_name);
    /// Request/reply over an inbox topic: publishes with a reply-to of this
    /// client's inbox and awaits the first reply; throws broker_error
    /// (timed out) after `timeout`.
    asio::awaitable<message> request(std::string_view topic, std::span<const std::byte> payload, duration timeout);
    asio::awaitable<message> request(std::string_view topic, std::string_view text, duration timeout) {
        return request(topic, wire::as_bytes(text), timeout);
    }
    /// Returns once the broker has processed everything sent before (a ping
    /// round trip): after flush(), earlier publishes have been routed.
    asio::awaitable<void> flush();
    /// Closes at once: what was queued and not yet written is not sent
    /// (flush() first for that).
    void close();
    bool is_open() const;
    asio::any_io_executor get_executor() const;

private:
    explicit client(std::shared_ptr<detail::client_state> s) : _s(std::move(s)) {}
    asio::awaitable<void> send_publish(std::string_view topic, std::span<const std::byte> payload,
                                       std::string_view reply_to, bool retain);
    std::shared_ptr<detail::client_state> _s;
};

} // namespace coronet::pubsub
