#pragma once
// The broker's native protocol: length-prefixed binary frames, so a reader
// knows a frame's size before it looks inside and never scans for
// delimiters (NATS' text protocol does). All integers are little-endian.
//
//   frame   = u32 body_bytes, body          (body_bytes <= limits.frame_max)
//   body    = u8 op, fields
//   string  = u16 bytes, bytes
//
//   client -> broker
//     hello   (1): u8 policy, u32 queue_messages, u32 queue_bytes [, u8 flags]
//                  flags bit 0: backpressure (pause my reads while a
//                  subscriber my messages go to is more than half full);
//                  bit 1: I read retained_msg; other bits are ignored (later
//                  flags), and brokers older than the flags byte refuse it
//     publish (2): string topic, string reply_to, payload (the rest)
//     publish_retained (10): as publish; the broker also keeps it as the
//                  topic's retained message (an empty payload clears it)
//     sub     (3): u32 sid, string pattern, string queue_group
//     unsub   (4): u32 sid
//     ping    (5)
//     publish_confirmed (7): u32 pub_id, string topic, string reply_to, payload
//     sub_durable (8): u32 sid, string pattern, string durable_name
//     ack     (9): u32 sid, u64 seq     (everything up to seq was processed)
//   broker -> client
//     pong    (6)
//     msg    (16): u32 sid, u64 seq, string topic, string reply_to, payload
//     retained_msg (19): as msg, for a retained message sent to a new
//                  subscription (it was published before the subscription)
//     error  (17): u16 code, string text
//     puback (18): u32 pub_id, u16 code (0: routed and stored), string text
//
// At-least-once: a durable subscription keeps its unacknowledged messages
// (bounded) while its subscriber is away, and sends them again, with their
// original seq, when a subscriber takes the durable name up again.
//
// `seq` counts the messages a subscription matched, delivered or not: a gap
// is exactly the number the broker dropped for a slow consumer, so loss is
// visible to the subscriber, never silent.

#include <coronet/pubsub/overflow_policy.hpp>
#include <coronet/pubsub/topic.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string_view>
#include <variant>
#include <vector>

namespace coronet::pubsub::wire {

enum class op : std::uint8_t {
    hello = 1,
    publish = 2,
    sub = 3,
    unsub = 4,
    ping = 5,
    pong = 6,
    publish_confirmed = 7,
    sub_durable = 8,
    ack = 9,
    publish_retained = 10,
    msg = 16,
    error = 17,
    puback = 18,
    retained_msg = 19,
};

constexpr std::size_t length_bytes = 4;

struct limits {
    std::size_t payload_max = 1 << 20;
    topic_limits topics;
    /// Room for a payload of payload_max, two strings and the fixed fields.
    std::size_t frame_max() const { return payload_max + 2 * (topics.bytes_max + 2) + 32; }
};

/// Why the broker refused something; sent in an error frame.
enum class error_code : std::uint16_t {
    bad_topic = 1,       ///< invalid topic or pattern: the request is refused, the connection stays
    too_large = 2,       ///< payload over payload_max: refused, the connection stays
    unknown_sid = 3,     ///< unsub of a sid that is not subscribed
    slow_consumer = 4,   ///< policy disconnect: the queue overflowed; the broker closes
    malformed = 5,       ///< a frame that cannot be parsed: the broker closes
    limit = 6,           ///< too many subscriptions (or durables) on this connection or broker
    in_use = 7,          ///< a durable name another connection holds
};

struct hello {
    overflow_policy policy = overflow_policy::drop_oldest;
    std::uint32_t queue_messages = 0; ///< 0: the broker's default
    std::uint32_t queue_bytes = 0;    ///< 0: the broker's default
    /// Slow me down instead of dropping: see broker_options::backpressure_*.
    bool backpressure = false;
    /// This client reads retained_msg (op 19); without it a retained message
    /// arrives as a plain msg, which clients older than op 19 understand.
    bool retained_aware = false;
    static constexpr std::uint8_t backpressure_flag = 1;
    static constexpr std::uint8_t retained_flag = 2;
};
struct publish {
    std::string_view topic;
    std::string_view reply_to;
    std::span<const std::byte> payload;
    bool retain = false; ///< sent as publish_retained
};
struct sub {
    std::uint32_t sid = 0;
    std::string_view pattern;
    std::string_view queue_group;
};
struct unsub {
    std::uint32_t sid = 0;
};
struct publish_confirmed {
    std::uint32_t pub_id = 0;
    std::string_view topic;
    std::string_view reply_to;
    std::span<const std::byte> payload;
};
struct sub_durable {
    std::uint32_t sid = 0;
    std::string_view pattern;
    std::string_view durable;
};
struct ack {
    std::uint32_t sid = 0;
    std::uint64_t seq = 0;
};
struct puback {
    std::uint32_t pub_id = 0;
    error_code code{}; ///< 0: routed and stored in every durable it matched
    std::string_view text;
};
struct ping {};
struct pong {};
struct msg {
    std::uint32_t sid = 0;
    std::uint64_t seq = 0;
    std::string_view topic;
    std::string_view reply_to;
    std::span<const std::byte> payload;
    bool retained = false; ///< sent as retained_msg
};
struct error {
    error_code code{};
    std::string_view text;
};

/// Views into the buffer it was decoded from.
using frame = std::variant<hello, publish, sub, unsub, ping, pong, msg, error, publish_confirmed, sub_durable, ack,
                           puback>;

/// A frame that cannot be trusted: the connection that sent it is closed.
class protocol_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Bytes of the whole frame at the front of `buffer` (length field
/// included), or nothing if fewer than 4 bytes have arrived. Throws
/// protocol_error if the length exceeds l.frame_max() or is zero.
std::optional<std::size_t> frame_bytes(std::span<const std::byte> buffer, const limits& l);

/// Decodes one frame's body (after its length). Throws protocol_error on
/// anything malformed: unknown op, fields running past the end, strings over
/// the topic limit, an unknown policy. Topics are not validated here (that
/// is a refusal, not a broken connection).
frame decode(std::span<const std::byte> body);

/// Appends one whole frame (length included) to `out`.
void encode(std::vector<std::byte>& out, const frame& f);

/// Appends a msg frame's header and strings, everything but the payload, for
/// a payload of `payload_bytes`: fan-out writes the shared payload after it.
void encode_msg_head(std::vector<std::byte>& out, std::uint32_t sid, std::uint64_t seq, std::string_view topic,
                     std::string_view reply_to, std::size_t payload_bytes, bool retained = false);

std::span<const std::byte> as_bytes(std::string_view s);
std::string_view as_text(std::span<const std::byte> b);

} // namespace coronet::pubsub::wire
