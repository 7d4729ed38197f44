#pragma once
// The client's connection: a reader that hands each msg to its subscription
// (or pending request), and a writer that sends whatever publishes queued
// since its last write in one write.

#include <coronet/pubsub/client.hpp>
#include <coronet/transports/any_stream.hpp>
#include <coronet/timer.hpp>
#include <coronet/wait_until.hpp>
#include <coronet/waiters.hpp>

#include <boost/asio/this_coro.hpp>

#include <boost/unordered/unordered_flat_map.hpp>

#include <deque>
#include <optional>

namespace coronet::pubsub::detail {

using coronet::wait_until;

struct subscription_state {
    subscription_state(asio::any_io_executor ex, std::uint32_t id, std::string p, std::size_t max)
        : sid(id), pattern(std::move(p)), buffer_max(max), ready(std::move(ex)) {}
    std::weak_ptr<client_state> owner;
    std::uint32_t sid;
    std::string pattern;
    std::size_t buffer_max;
    std::deque<message> buffer;
    std::uint64_t last_seq = 0;
    std::uint64_t missed = 0;
    waiters ready;
    bool active = true;
    bool durable = false;
};

class client_state : public std::enable_shared_from_this<client_state> {
public:
    client_state(any_stream s, client_options o);
    void start();

    void send(const wire::frame& f);
    asio::awaitable<void> wait_for_room();
    asio::awaitable<void> flush();
    std::shared_ptr<subscription_state> add_subscription(std::string_view pattern, std::string_view group,
                                                         std::string_view durable = {});
    asio::awaitable<void> publish_confirmed(std::string_view topic, std::span<const std::byte> payload,
                                            duration timeout);
    /// `tell_broker`: send unsub (not for one the broker refused).
    void remove_subscription(std::uint32_t sid, bool tell_broker = true);
    asio::awaitable<message> request(std::string_view topic, std::span<const std::byte> payload, duration timeout);
    void close(std::string reason);
    /// Throws broker_error if the connection has ended.
    void check_open() const;

    any_stream stream;
    client_options options;
    /// Error frames the broker sent (refusals); subscribe() compares the
    /// count across its round trip to report a refusal of its own request.
    std::uint64_t refusals = 0;
    wire::error_code last_refusal_code{};
    std::string last_refusal;
    bool closed = false;
    std::string close_reason;

private:
    asio::awaitable<void> read_loop();
    asio::awaitable<void> write_loop();
    void on_message(const wire::msg& m);
    void on_error(const wire::error& e);

    std::vector<std::byte> _out;
    waiters _writer;
    waiters _room;
    std::uint64_t _pings_sent = 0;
    std::uint64_t _pongs = 0;
    waiters _pong;
    std::uint32_t _next_sid = 1;
    boost::unordered_flat_map<std::uint32_t, std::shared_ptr<subscription_state>> _subs;

    // Request/reply: one inbox subscription, `<inbox>.<n>` per request.
    struct pending {
        std::optional<message> reply;
        waiters done;
    };
    struct confirmation {
        std::optional<wire::error_code> code; ///< set when the puback came
        std::string text;
        waiters done;
    };
    std::uint32_t _next_pub_id = 0;
    boost::unordered_flat_map<std::uint32_t, confirmation*> _confirmations;
    void on_puback(const wire::puback& p);

    std::string _inbox;
    std::uint64_t _next_request = 0;
    boost::unordered_flat_map<std::uint64_t, pending*> _requests;
};

} // namespace coronet::pubsub::detail
