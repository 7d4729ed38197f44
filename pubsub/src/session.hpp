#pragma once
// One client of the broker: a reader that parses its frames and a writer that
// drains its bounded queue, many messages per write.

#include "broker_state.hpp"

#include <coronet/pubsub/bounded_queue.hpp>
#include <coronet/transports/any_stream.hpp>
#include <coronet/waiters.hpp>

#include <optional>

namespace coronet::pubsub::detail {

class session : public std::enable_shared_from_this<session> {
public:
    session(broker_state& b, any_stream s);

    /// Until the client leaves or is closed; never throws.
    asio::awaitable<void> run();
    /// Queues one message under the client's policy; false: the policy is
    /// disconnect and the queue is full (the caller closes it after routing).
    bool deliver(delivery d, std::size_t bytes);
    /// Stops reading; the writer sends `last_words` (if any) and what is
    /// queued before it, within a second, then the stream closes.
    void close(std::optional<wire::error> last_words = std::nullopt);
    bool closing() const { return _closing; }
    const std::string& peer() const { return _peer; }
    client_counters counters() const;
    std::size_t queued_messages() const { return _queue.size(); }
    std::size_t queued_bytes() const { return _queue.bytes(); }

    // Backpressure (broker_options::backpressure_*).
    bool wants_backpressure() const { return _backpressure; }
    bool retained_aware() const { return _retained_aware; }
    /// This subscriber's queue is past the mark at which publishers that
    /// asked for backpressure are paused.
    bool above_backpressure_mark() const;
    /// A publisher: `subscriber` is past the mark; pause before reading more.
    void pressed_by(session& subscriber);

private:
    asio::awaitable<void> read_loop();
    asio::awaitable<void> write_loop();
    /// Waits while a subscriber this publisher filled is past half the mark.
    asio::awaitable<void> yield_to_subscribers();
    bool below_resume_mark() const;
    void handle(const wire::frame& f);
    void reply(const wire::frame& f);
    void refuse(wire::error_code code, std::string text);
    /// Why a publish is refused (its text lives in _error_text), if it is.
    std::optional<wire::error> publish_error(std::string_view topic, std::string_view reply_to,
                                             std::span<const std::byte> payload);
    std::string _error_text;

    broker_state& _b;
    any_stream _stream;
    std::string _peer;
    bounded_queue<delivery> _queue;
    boost::unordered_flat_map<std::uint32_t, subscription_id> _subs;
    boost::unordered_flat_map<std::uint32_t, std::string> _durables; ///< sid -> durable name
    std::vector<std::byte> _control; ///< pongs and errors, sent before queued messages
    waiters _wake;
    waiters _writer_done;
    waiters _drained; ///< publishers paused on this subscriber's queue
    std::vector<std::weak_ptr<session>> _pressing; ///< subscribers this publisher filled past the mark
    bool _backpressure = false;
    bool _retained_aware = false;
    /// A publisher's wait on this subscriber ran out: publishers are not
    /// paused for it again until its queue drains below the resume mark (its
    /// own policy applies meanwhile), so a stalled subscriber cannot hold a
    /// publisher to one read per backpressure_wait_max.
    bool _pressure_given_up = false;
    std::weak_ptr<session> _paused_on; ///< the subscriber this publisher waits for, now
    bool _writer_running = false;
    bool _hello_seen = false;
    bool _closing = false;
    bool _reading = false;
    std::uint64_t _published = 0;
    // The previous publish's topic, valid and counted: a publisher usually
    // sends many messages to one topic, so neither is redone for each.
    std::string _last_topic;
    topic_counters* _last_topic_counters = nullptr;
    std::uint64_t _delivered = 0;
};

} // namespace coronet::pubsub::detail
