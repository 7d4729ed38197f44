#include <coronet/pubsub/wire.hpp>

#include <fmt/format.h>

#include <cstring>

namespace coronet::pubsub::wire {

namespace {

// Strings longer than any valid topic are malformed, whatever the broker's
// configured limit: the u16 length alone would allow 64 KiB.
constexpr std::size_t string_max = 4096;

class reader {
public:
    explicit reader(std::span<const std::byte> b) : _b(b) {}

    template <class T>
    T integer(const char* what) {
        need(sizeof(T), what);
        T v;
        std::memcpy(&v, _b.data() + _at, sizeof(T)); // little-endian hosts only (x86-64, arm64)
        _at += sizeof(T);
        return v;
    }
    std::string_view string(const char* what) {
        auto n = integer<std::uint16_t>(what);
        if (n > string_max) throw protocol_error(fmt::format("{} is {} bytes (at most {})", what, n, string_max));
        need(n, what);
        std::string_view s(reinterpret_cast<const char*>(_b.data() + _at), n);
        _at += n;
        return s;
    }
    std::span<const std::byte> rest() {
        auto r = _b.subspan(_at);
        _at = _b.size();
        return r;
    }
    bool at_end() const { return _at == _b.size(); }
    void end(const char* what) {
        if (_at != _b.size()) throw protocol_error(fmt::format("{} frame has {} bytes too many", what, _b.size() - _at));
    }

private:
    void need(std::size_t n, const char* what) {
        if (_b.size() - _at < n) throw protocol_error(fmt::format("frame ends inside its {}", what));
    }
    std::span<const std::byte> _b;
    std::size_t _at = 0;
};

template <class T>
void put(std::vector<std::byte>& out, T v) {
    auto at = out.size();
    out.resize(at + sizeof(T));
    std::memcpy(out.data() + at, &v, sizeof(T));
}

void put_string(std::vector<std::byte>& out, std::string_view s) {
    put(out, static_cast<std::uint16_t>(s.size()));
    auto b = as_bytes(s);
    out.insert(out.end(), b.begin(), b.end());
}

void put_bytes(std::vector<std::byte>& out, std::span<const std::byte> b) { out.insert(out.end(), b.begin(), b.end()); }

// Writes the body, then patches the length in front of it.
template <class Body>
void framed(std::vector<std::byte>& out, op o, Body body) {
    auto start = out.size();
    put(out, std::uint32_t{0});
    put(out, static_cast<std::uint8_t>(o));
    body();
    auto n = static_cast<std::uint32_t>(out.size() - start - length_bytes);
    std::memcpy(out.data() + start, &n, sizeof n);
}

} // namespace

std::span<const std::byte> as_bytes(std::string_view s) {
    return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

std::string_view as_text(std::span<const std::byte> b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

std::optional<std::size_t> frame_bytes(std::span<const std::byte> buffer, const limits& l) {
    if (buffer.size() < length_bytes) return std::nullopt;
    std::uint32_t n;
    std::memcpy(&n, buffer.data(), sizeof n);
    if (n == 0) throw protocol_error("empty frame");
    if (n > l.frame_max())
        throw protocol_error(fmt::format("frame of {} bytes exceeds the limit of {}", n, l.frame_max()));
    return length_bytes + n;
}

frame decode(std::span<const std::byte> body) {
    reader r(body);
    auto o = static_cast<op>(r.integer<std::uint8_t>("op"));
    switch (o) {
    case op::hello: {
        hello h;
        auto policy = r.integer<std::uint8_t>("policy");
        if (policy > static_cast<std::uint8_t>(overflow_policy::disconnect))
            throw protocol_error(fmt::format("unknown overflow policy {}", policy));
        h.policy = static_cast<overflow_policy>(policy);
        h.queue_messages = r.integer<std::uint32_t>("queue_messages");
        h.queue_bytes = r.integer<std::uint32_t>("queue_bytes");
        if (!r.at_end()) { // flags came later: a hello without them is still good
            auto flags = r.integer<std::uint8_t>("flags"); // unknown bits: flags of later versions
            h.backpressure = flags & hello::backpressure_flag;
            h.retained_aware = flags & hello::retained_flag;
        }
        r.end("hello");
        return h;
    }
    case op::publish:
    case op::publish_retained: {
        publish p;
        p.retain = o == op::publish_retained;
        p.topic = r.string("topic");
        p.reply_to = r.string("reply_to");
        p.payload = r.rest();
        return p;
    }
    case op::sub: {
        sub s;
        s.sid = r.integer<std::uint32_t>("sid");
        s.pattern = r.string("pattern");
        s.queue_group = r.string("queue_group");
        r.end("sub");
        return s;
    }
    case op::unsub: {
        unsub u{r.integer<std::uint32_t>("sid")};
        r.end("unsub");
        return u;
    }
    case op::publish_confirmed: {
        publish_confirmed p;
        p.pub_id = r.integer<std::uint32_t>("pub_id");
        p.topic = r.string("topic");
        p.reply_to = r.string("reply_to");
        p.payload = r.rest();
        return p;
    }
    case op::sub_durable: {
        sub_durable s;
        s.sid = r.integer<std::uint32_t>("sid");
        s.pattern = r.string("pattern");
        s.durable = r.string("durable name");
        r.end("sub_durable");
        return s;
    }
    case op::ack: {
        ack a;
        a.sid = r.integer<std::uint32_t>("sid");
        a.seq = r.integer<std::uint64_t>("seq");
        r.end("ack");
        return a;
    }
    case op::puback: {
        puback p;
        p.pub_id = r.integer<std::uint32_t>("pub_id");
        p.code = static_cast<error_code>(r.integer<std::uint16_t>("code"));
        p.text = r.string("text");
        r.end("puback");
        return p;
    }
    case op::ping: r.end("ping"); return ping{};
    case op::pong: r.end("pong"); return pong{};
    case op::msg:
    case op::retained_msg: {
        msg m;
        m.retained = o == op::retained_msg;
        m.sid = r.integer<std::uint32_t>("sid");
        m.seq = r.integer<std::uint64_t>("seq");
        m.topic = r.string("topic");
        m.reply_to = r.string("reply_to");
        m.payload = r.rest();
        return m;
    }
    case op::error: {
        error e;
        e.code = static_cast<error_code>(r.integer<std::uint16_t>("code"));
        e.text = r.string("text");
        r.end("error");
        return e;
    }
    }
    throw protocol_error(fmt::format("unknown op {}", static_cast<unsigned>(o)));
}

void encode(std::vector<std::byte>& out, const frame& f) {
    std::visit(
        [&](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, hello>)
                framed(out, op::hello, [&] {
                    put(out, static_cast<std::uint8_t>(v.policy));
                    put(out, v.queue_messages);
                    put(out, v.queue_bytes);
                    std::uint8_t flags = (v.backpressure ? hello::backpressure_flag : 0) |
                                         (v.retained_aware ? hello::retained_flag : 0);
                    if (flags) put(out, flags);
                });
            else if constexpr (std::is_same_v<T, publish>)
                framed(out, v.retain ? op::publish_retained : op::publish, [&] {
                    put_string(out, v.topic);
                    put_string(out, v.reply_to);
                    put_bytes(out, v.payload);
                });
            else if constexpr (std::is_same_v<T, sub>)
                framed(out, op::sub, [&] {
                    put(out, v.sid);
                    put_string(out, v.pattern);
                    put_string(out, v.queue_group);
                });
            else if constexpr (std::is_same_v<T, unsub>) framed(out, op::unsub, [&] { put(out, v.sid); });
            else if constexpr (std::is_same_v<T, publish_confirmed>)
                framed(out, op::publish_confirmed, [&] {
                    put(out, v.pub_id);
                    put_string(out, v.topic);
                    put_string(out, v.reply_to);
                    put_bytes(out, v.payload);
                });
            else if constexpr (std::is_same_v<T, sub_durable>)
                framed(out, op::sub_durable, [&] {
                    put(out, v.sid);
                    put_string(out, v.pattern);
                    put_string(out, v.durable);
                });
            else if constexpr (std::is_same_v<T, ack>)
                framed(out, op::ack, [&] {
                    put(out, v.sid);
                    put(out, v.seq);
                });
            else if constexpr (std::is_same_v<T, puback>)
                framed(out, op::puback, [&] {
                    put(out, v.pub_id);
                    put(out, static_cast<std::uint16_t>(v.code));
                    put_string(out, v.text.substr(0, string_max));
                });
            else if constexpr (std::is_same_v<T, ping>) framed(out, op::ping, [] {});
            else if constexpr (std::is_same_v<T, pong>) framed(out, op::pong, [] {});
            else if constexpr (std::is_same_v<T, msg>) {
                encode_msg_head(out, v.sid, v.seq, v.topic, v.reply_to, v.payload.size(), v.retained);
                put_bytes(out, v.payload);
            } else if constexpr (std::is_same_v<T, error>)
                framed(out, op::error, [&] {
                    put(out, static_cast<std::uint16_t>(v.code));
                    put_string(out, v.text.substr(0, string_max));
                });
        },
        f);
}

void encode_msg_head(std::vector<std::byte>& out, std::uint32_t sid, std::uint64_t seq, std::string_view topic,
                     std::string_view reply_to, std::size_t payload_bytes, bool retained) {
    // On the broker's fan-out path: one resize, then plain stores.
    const auto head = length_bytes + 1 + 4 + 8 + 2 + topic.size() + 2 + reply_to.size();
    const auto body = static_cast<std::uint32_t>(head - length_bytes + payload_bytes);
    const auto t = static_cast<std::uint16_t>(topic.size());
    const auto r = static_cast<std::uint16_t>(reply_to.size());
    const auto o = static_cast<std::uint8_t>(retained ? op::retained_msg : op::msg);
    auto at = out.size();
    out.resize(at + head);
    auto* p = out.data() + at;
    auto store = [&p](const void* v, std::size_t n) {
        std::memcpy(p, v, n);
        p += n;
    };
    store(&body, 4);
    store(&o, 1);
    store(&sid, 4);
    store(&seq, 8);
    store(&t, 2);
    store(topic.data(), topic.size());
    store(&r, 2);
    store(reply_to.data(), reply_to.size());
}

} // namespace coronet::pubsub::wire
